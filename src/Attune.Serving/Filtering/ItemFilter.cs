using Attune.Model;

namespace Attune.Serving.Filtering;

/// <summary>
/// A parsed, compiled filter expression over catalog <see cref="Item"/>s: the <c>filter</c> of a recommendation request
/// and the condition of a business rule. Parse once, then call <see cref="Matches"/> for each candidate; matching
/// allocates nothing, and an instance is immutable, so one filter can serve many threads.
/// The user-facing reference is <c>docs/filters.md</c>.
/// </summary>
/// <remarks>
/// <para><b>Grammar</b> (keywords and field names are case-insensitive):</para>
/// <code>
/// filter     := or
/// or         := and ('or' and)*
/// and        := unary ('and' unary)*
/// unary      := 'not' unary | primary                          precedence: not &gt; and &gt; or
/// primary    := '(' or ')' | 'true' | 'false' | condition
/// condition  := field                                           a bare boolean: inStock, properties.featured, context.flag
///             | field ('=' | '==' | '!=' | '&lt;' | '&lt;=' | '&gt;' | '&gt;=' | 'contains' | 'startsWith') operand
///             | field ['not'] 'in' (list | field)
///             | field 'between' operand 'and' operand           inclusive
/// operand    := literal | field
/// list       := '[' literal (',' literal)* ']'                  1 to 1,000 literals
/// literal    := number | string | 'true' | 'false'             12, 12.5, -3, 1e3; "a" or 'a' with \" \' \\ escapes
/// field      := id | title | description | brand | price | currency | inStock | tags | categories | category
///             | publishedAt | ageDays | properties.NAME | props.NAME | context.NAME[.NAME]*
/// </code>
/// <para><b>Types.</b> id, title, description, brand, currency: text; price, ageDays: number; inStock: boolean;
/// tags, categories: lists of text; publishedAt: date (compared with "2026-01-31", which means that whole UTC day, or an
/// ISO date-time); ageDays: days since publishedAt as of <see cref="FilterContext.Now"/>. Property and context values
/// are typed per item and per request (string, number, boolean, list of strings).</para>
/// <para><b>Semantics.</b> Text comparisons (=, !=, in, contains, startsWith) are ordinal and case-insensitive.
/// &lt;, &lt;=, &gt;, &gt;= and between work on numbers and dates. A list matches a comparison when any element does
/// (<c>tags = "sale"</c>); != and not in are the negation of = and in, so on a list they mean "no element equals".
/// <c>contains</c> on a list tests membership, on text a substring. <c>categories startsWith "shoes"</c> matches whole
/// path segments ("shoes", "shoes/running", not "shoestring"); on other text it is a plain prefix.
/// A missing value (no price, no publishedAt, an absent property or context key) makes every comparison false,
/// including != and not in; <c>not</c> negates the whole result, so <c>not price &gt; 10</c> is true when price is missing.
/// A type mismatch known at parse time (<c>price &gt; "abc"</c>) is a <see cref="FilterSyntaxException"/>; one found
/// only at run time (a property holding text compared with a number) makes the comparison false, including !=.</para>
/// <para><b>Limits.</b> At most 4,000 characters, 32 levels of parentheses and <c>not</c>, 1,000 values per list.</para>
/// </remarks>
public sealed class ItemFilter
{
    private readonly FilterNode _root;

    private ItemFilter(string text, FilterNode root)
    {
        Text = text;
        _root = root;
        UsesContext = root.UsesContext;
    }

    /// <summary>Parses and compiles <paramref name="text"/>.</summary>
    /// <exception cref="FilterSyntaxException">The text is not a valid filter; the exception names the position and what was expected.</exception>
    public static ItemFilter Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new ItemFilter(text, FilterParser.Parse(text));
    }

    /// <summary>Like <see cref="Parse"/>, returning the problem instead of throwing it.</summary>
    public static bool TryParse(string text, out ItemFilter? filter, out FilterSyntaxException? error)
    {
        try
        {
            filter = Parse(text ?? "");
            error = null;
            return true;
        }
        catch (FilterSyntaxException e)
        {
            filter = null;
            error = e;
            return false;
        }
    }

    /// <summary>The text as given to <see cref="Parse"/>.</summary>
    public string Text { get; }

    /// <summary>
    /// True when the filter refers to <c>context.*</c> or to <c>ageDays</c> (which depends on <see cref="FilterContext.Now"/>):
    /// its result for an item can then change from request to request and cannot be precomputed per item.
    /// </summary>
    public bool UsesContext { get; }

    /// <summary>Whether <paramref name="item"/> satisfies the filter. Allocates nothing.</summary>
    public bool Matches(Item item, FilterContext context)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(context);
        return _root.Eval(item, context);
    }

    /// <summary>The filter re-rendered in a canonical form (lower-case keywords, canonical field names, minimal parentheses).</summary>
    internal string Canonical => _root.ToString();

    public override string ToString() => Text;
}
