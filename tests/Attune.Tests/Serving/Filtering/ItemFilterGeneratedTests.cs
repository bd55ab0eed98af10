using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Attune.Model;
using Attune.Serving.Filtering;

namespace Attune.Tests.Serving.Filtering;

/// <summary>
/// Random, well-typed expression trees are rendered to text with random spacing, case, quotes and aliases, parsed by
/// <see cref="ItemFilter"/>, and checked against a straightforward evaluator of the tree written here from the documented rules.
/// </summary>
public sealed partial class ItemFilterGeneratedTests
{
    // ---- The generated tree ----

    private enum Kind { Text, Number, Bool, List, Date, Dynamic }

    private sealed record Field(string Name, Kind Kind, string[] Spellings);

    private abstract record Expr;
    private sealed record AndExpr(Expr[] Children) : Expr;
    private sealed record OrExpr(Expr[] Children) : Expr;
    private sealed record NotExpr(Expr Child) : Expr;
    private sealed record ConstExpr(bool Value) : Expr;
    private sealed record TruthExpr(Field Field) : Expr;
    private sealed record CompareExpr(Field Left, string Op, Operand Right) : Expr;     // = != < <= > >= contains startsWith
    private sealed record InExpr(Field Left, bool Negated, object[]? List, Field? Target) : Expr;
    private sealed record BetweenExpr(Field Left, Operand Low, Operand High) : Expr;

    /// <summary>A literal (string, double, bool) or a field.</summary>
    private sealed record Operand(object? Literal, Field? Field);

    private static readonly Field[] Fields =
    [
        new("id", Kind.Text, ["id", "ID", "Id"]),
        new("title", Kind.Text, ["title", "TITLE", "Title"]),
        new("description", Kind.Text, ["description", "Description"]),
        new("brand", Kind.Text, ["brand", "BRAND"]),
        new("currency", Kind.Text, ["currency", "Currency"]),
        new("price", Kind.Number, ["price", "PRICE", "Price"]),
        new("ageDays", Kind.Number, ["ageDays", "agedays", "AGEDAYS"]),
        new("inStock", Kind.Bool, ["inStock", "instock", "INSTOCK"]),
        new("tags", Kind.List, ["tags", "Tags"]),
        new("categories", Kind.List, ["categories", "category", "Categories", "CATEGORY"]),
        new("publishedAt", Kind.Date, ["publishedAt", "publishedat", "PublishedAt"]),
        new("properties.color", Kind.Dynamic, ["properties.color", "props.color", "PROPERTIES.color", "Props.color"]),
        new("properties.size", Kind.Dynamic, ["properties.size", "props.size"]),
        new("properties.sizes", Kind.Dynamic, ["properties.sizes", "props.sizes"]),
        new("properties.organic", Kind.Dynamic, ["properties.organic", "props.organic"]),
        new("properties.release", Kind.Dynamic, ["properties.release", "PROPS.release"]),
        new("properties.none", Kind.Dynamic, ["properties.none"]),
        new("context.budget", Kind.Dynamic, ["context.budget", "CONTEXT.budget", "Context.budget"]),
        new("context.geo.country", Kind.Dynamic, ["context.geo.country"]),
        new("context.brands", Kind.Dynamic, ["context.brands"]),
        new("context.flag", Kind.Dynamic, ["context.flag"]),
        new("context.since", Kind.Dynamic, ["context.since"]),
        new("context.absent", Kind.Dynamic, ["context.absent"]),
    ];

    private static readonly string[] Texts =
    [
        "acme", "ACME", "Zenith", "eur", "EUR", "usd", "red", "Red", "brown", "sale", "SALE", "new", "winter", "gift", "shoes",
        "shoes/", "Shoes/Running", "shoes/run", "sport", "books", "shoe", "Shoe", "run", "linen", "", "m", "L", "4", "40",
        "it's", "say \"hi\"", "a\\b", "de", "DE", "book-1", "SHOE-1", "2026-01-05", "Gift Card", "light", "nova", "green",
    ];

    private static readonly double[] Numbers = [0, 35, 89.5, 150, 42, 44, 7, -3, 100, 1, 20, 30, 60, 0.5, 41];

    private static readonly string[] Dates =
    [
        "2026-01-31", "2026-01-10", "2025-11-30", "2026-01-05", "2025-12-01", "2026-01-31T00:00:00Z", "2026-01-31T12:00:00+02:00",
        "2026-01-10T08:00:00Z", "2026-01-31T23:59:59.999Z", "2026-02-01", "2026-01-30", "2025-11-30T23:59:59Z",
    ];

    // ---- The fixture: items and contexts ----

    private static readonly Dictionary<string, object?> ContextValues = new()
    {
        ["budget"] = 100.0,
        ["geo.country"] = "DE",
        ["brands"] = new[] { "ACME", "Nova" },
        ["flag"] = true,
        ["since"] = "2026-01-31",
    };

    private static readonly (FilterContext Context, Dictionary<string, object?> Values, DateTimeOffset Now)[] Contexts =
    [
        (new FilterContext(ContextValues, FilterTestData.Now), ContextValues, FilterTestData.Now),
        (new FilterContext(new Dictionary<string, object?>(), FilterTestData.Now.AddDays(25)), [], FilterTestData.Now.AddDays(25)),
    ];

    private static readonly Item[] Items =
    [
        .. FilterTestData.Items,
        new Item
        {
            Id = "misc-1",
            Title = "say \"hi\" it's a\\b",
            Brand = "Nova",
            Price = -3,
            Currency = "USD",
            Tags = ["new", "green", "SALE"],
            Categories = ["Shoes", "sport/outdoor"],
            PublishedAt = new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero),
            Properties = new Dictionary<string, object>
            {
                ["color"] = "DE", ["size"] = "44", ["sizes"] = Array.Empty<string>(), ["organic"] = "true", ["release"] = 20.0,
            },
        },
    ];

    // ---- The reference evaluator (independent of the production code) ----

    private readonly record struct Range(DateTimeOffset Start, DateTimeOffset End);

    private static object? Get(Field field, Item item, Dictionary<string, object?> context, DateTimeOffset now)
    {
        switch (field.Name)
        {
            case "id": return item.Id;
            case "title": return item.Title;
            case "description": return item.Description;
            case "brand": return item.Brand;
            case "currency": return item.Currency;
            case "price": return item.Price;
            case "ageDays": return item.PublishedAt is { } p ? (now - p).TotalDays : null;
            case "inStock": return item.InStock;
            case "tags": return item.Tags.ToArray();
            case "categories": return item.Categories.ToArray();
            case "publishedAt": return item.PublishedAt is { } t ? new Range(t, t.AddTicks(1)) : null;
        }
        if (field.Name.StartsWith("properties.", StringComparison.Ordinal))
            return item.Properties.TryGetValue(field.Name["properties.".Length..], out var v) ? v : null;
        return context.TryGetValue(field.Name["context.".Length..], out var c) ? c : null;
    }

    private static object? Value(Operand o, Item item, Dictionary<string, object?> context, DateTimeOffset now) =>
        o.Field is { } f ? Get(f, item, context, now) : o.Literal;

    private static object[] Elements(object value) => value is string[] list ? [.. list] : [value];

    private static bool IsText(object v) => v is string or string[];

    private static Range? AsDate(object v)
    {
        if (v is Range r) return r;
        if (v is not string s || !IsoDate().IsMatch(s)) return null;
        if (s.Length == 10)
        {
            var day = DateTimeOffset.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            return new Range(day, day.AddDays(1));
        }
        var t = DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return new Range(t, t.AddTicks(1));
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex IsoDate();

    /// <summary>One element against one element: true, false, or null when the two cannot be compared.</summary>
    private static bool? Test(string op, object a, object b, bool leftIsList, bool categories)
    {
        if (op is "<" or "<=" or ">" or ">=" or "=" && (a is Range || b is Range || (op is not "=" && a is string && b is string)))
        {
            if (AsDate(a) is not { } x || AsDate(b) is not { } y) return null;
            return op switch
            {
                "=" => x.Start < y.End && y.Start < x.End,          // overlapping days / instants
                "<" => x.End <= y.Start,
                "<=" => x.Start < y.End,
                ">" => x.Start >= y.End,
                _ => x.End > y.Start,
            };
        }
        if (a is string s && b is string t)
        {
            return op switch
            {
                "=" => string.Equals(s, t, StringComparison.OrdinalIgnoreCase),
                "contains" => leftIsList ? string.Equals(s, t, StringComparison.OrdinalIgnoreCase) : s.Contains(t, StringComparison.OrdinalIgnoreCase),
                "startsWith" when categories => SegmentPrefix(s, t),
                "startsWith" => s.StartsWith(t, StringComparison.OrdinalIgnoreCase),
                _ => null,
            };
        }
        if (a is double m && b is double n)
        {
            return op switch
            {
                "=" => m == n,
                "<" => m < n,
                "<=" => m <= n,
                ">" => m > n,
                ">=" => m >= n,
                _ => null,
            };
        }
        if (a is bool p && b is bool q && op == "=") return p == q;
        return null;
    }

    private static bool SegmentPrefix(string path, string prefix)
    {
        string p = prefix.TrimEnd('/');
        if (p.Length == 0) return true;
        var segments = path.Split('/');
        var wanted = p.Split('/');
        return wanted.Length <= segments.Length
            && wanted.Select((w, i) => string.Equals(w, segments[i], StringComparison.OrdinalIgnoreCase)).All(x => x);
    }

    private static bool SameFamily(object a, object b) => (IsText(a) && IsText(b)) || (a.GetType() == b.GetType() && !IsText(a));

    private static bool Positive(string op, object l, object r, bool categories) =>
        Elements(l).Any(a => Elements(r).Any(b => Test(op, a, b, l is string[], categories) == true));

    private static bool Comparable(object l, object r) =>
        SameFamily(l, r) || Elements(l).Any(a => Elements(r).Any(b => Test("=", a, b, l is string[], false) is not null));

    private static bool Eval(Expr e, Item item, Dictionary<string, object?> ctx, DateTimeOffset now)
    {
        switch (e)
        {
            case AndExpr and: return and.Children.All(c => Eval(c, item, ctx, now));
            case OrExpr or: return or.Children.Any(c => Eval(c, item, ctx, now));
            case NotExpr not: return !Eval(not.Child, item, ctx, now);
            case ConstExpr constant: return constant.Value;
            case TruthExpr truth: return Get(truth.Field, item, ctx, now) is true;
            case CompareExpr cmp:
            {
                var l = Get(cmp.Left, item, ctx, now);
                var r = Value(cmp.Right, item, ctx, now);
                if (l is null || r is null) return false;
                if (cmp.Op == "!=") return Comparable(l, r) && !Positive("=", l, r, false);
                return Positive(cmp.Op, l, r, cmp.Left.Name == "categories");
            }
            case InExpr inExpr:
            {
                var l = Get(inExpr.Left, item, ctx, now);
                if (l is null) return false;
                object[] candidates;
                if (inExpr.Target is { } target)
                {
                    var r = Get(target, item, ctx, now);
                    if (r is null) return false;
                    candidates = [r];
                }
                else
                {
                    candidates = inExpr.List!;
                }
                bool any = candidates.Any(r => Positive("=", l, r, false));
                return inExpr.Negated ? !any && candidates.Any(r => Comparable(l, r)) : any;
            }
            case BetweenExpr between:
            {
                var l = Get(between.Left, item, ctx, now);
                var low = Value(between.Low, item, ctx, now);
                var high = Value(between.High, item, ctx, now);
                if (l is null || low is null || high is null) return false;
                return Elements(l).Any(a =>
                    Elements(low).Any(b => Test(">=", a, b, false, false) == true)
                    && Elements(high).Any(c => Test("<=", a, c, false, false) == true));
            }
            default: throw new InvalidOperationException(e.ToString());
        }
    }

    // ---- The generator ----

    private sealed class Generator(int seed)
    {
        private readonly Random _r = new(seed);

        private T Pick<T>(IReadOnlyList<T> xs) => xs[_r.Next(xs.Count)];
        private bool Chance(double p) => _r.NextDouble() < p;

        public Expr Tree(int depth)
        {
            if (depth <= 0 || Chance(0.35)) return Leaf();
            return _r.Next(5) switch
            {
                0 or 1 => new AndExpr([.. Enumerable.Range(0, _r.Next(2, 5)).Select(_ => Tree(depth - 1))]),
                2 or 3 => new OrExpr([.. Enumerable.Range(0, _r.Next(2, 5)).Select(_ => Tree(depth - 1))]),
                _ => new NotExpr(Tree(depth - 1)),
            };
        }

        private Field FieldOf(params Kind[] kinds) => Pick(Fields.Where(f => kinds.Contains(f.Kind)).ToArray());

        private Expr Leaf()
        {
            if (Chance(0.03)) return new ConstExpr(Chance(0.5));
            var left = Pick(Fields);
            if (left.Kind is Kind.Bool or Kind.Dynamic && Chance(0.15)) return new TruthExpr(left);
            return left.Kind switch
            {
                Kind.Text or Kind.List => TextCondition(left),
                Kind.Number => OrderedCondition(left, () => Numbers[_r.Next(Numbers.Length)], Kind.Number),
                Kind.Date => OrderedCondition(left, () => Pick(Dates), Kind.Date),
                Kind.Bool => _r.Next(3) switch
                {
                    0 => new CompareExpr(left, Pick(new[] { "=", "!=" }), new Operand(Chance(0.5), null)),
                    1 => new InExpr(left, Chance(0.5), [Chance(0.5)], null),
                    _ => new CompareExpr(left, "=", new Operand(null, FieldOf(Kind.Bool, Kind.Dynamic))),
                },
                _ => DynamicCondition(left),
            };
        }

        private Expr TextCondition(Field left)
        {
            string op = left.Name == "categories" && Chance(0.4)
                ? "startsWith"
                : Pick(new[] { "=", "!=", "in", "not in", "contains", "startsWith" });
            if (op is "in" or "not in")
            {
                return Chance(0.2)
                    ? new InExpr(left, op == "not in", null, FieldOf(Kind.Text, Kind.List, Kind.Dynamic))
                    : new InExpr(left, op == "not in", [.. Enumerable.Range(0, _r.Next(1, 4)).Select(_ => (object)Pick(Texts))], null);
            }
            var right = Chance(0.15) ? new Operand(null, FieldOf(Kind.Text, Kind.List, Kind.Dynamic)) : new Operand(Pick(Texts), null);
            return new CompareExpr(left, op, right);
        }

        private Expr OrderedCondition(Field left, Func<object> literal, Kind kind)
        {
            Operand Bound() => Chance(0.15) ? new Operand(null, FieldOf(kind, Kind.Dynamic)) : new Operand(literal(), null);
            string op = Pick(new[] { "=", "!=", "<", "<=", ">", ">=", "between", "in", "not in" });
            return op switch
            {
                "between" => new BetweenExpr(left, Bound(), Bound()),
                "in" or "not in" => new InExpr(left, op == "not in", [.. Enumerable.Range(0, _r.Next(1, 4)).Select(_ => literal())], null),
                _ => new CompareExpr(left, op, Bound()),
            };
        }

        private object AnyLiteral() => _r.Next(4) switch
        {
            0 => Numbers[_r.Next(Numbers.Length)],
            1 => Chance(0.5),
            2 => Pick(Dates),
            _ => Pick(Texts),
        };

        private Expr DynamicCondition(Field left)
        {
            string op = Pick(new[] { "=", "!=", "<", "<=", ">", ">=", "between", "in", "not in", "contains", "startsWith" });
            Operand Ordered() => _r.Next(6) switch
            {
                0 => new Operand(null, FieldOf(Kind.Number, Kind.Date, Kind.Dynamic)),
                1 or 2 => new Operand(Pick(Dates), null),
                _ => new Operand(Numbers[_r.Next(Numbers.Length)], null),
            };
            return op switch
            {
                "<" or "<=" or ">" or ">=" => new CompareExpr(left, op, Ordered()),
                "between" => new BetweenExpr(left, Ordered(), Ordered()),
                "contains" or "startsWith" => new CompareExpr(left, op,
                    Chance(0.2) ? new Operand(null, FieldOf(Kind.Text, Kind.List, Kind.Dynamic)) : new Operand(Pick(Texts), null)),
                "in" or "not in" => Chance(0.2)
                    ? new InExpr(left, op == "not in", null, Pick(Fields))
                    : new InExpr(left, op == "not in", [.. Enumerable.Range(0, _r.Next(1, 4)).Select(_ => AnyLiteral())], null),
                _ => new CompareExpr(left, op, Chance(0.2) ? new Operand(null, Pick(Fields)) : new Operand(AnyLiteral(), null)),
            };
        }
    }

    // ---- Rendering with random spacing, case, quotes, aliases and redundant parentheses ----

    private sealed class Renderer(int seed)
    {
        private readonly Random _r = new(seed);
        private readonly List<string> _tokens = [];

        public string Render(Expr e)
        {
            _tokens.Clear();
            Emit(e, 0);
            var sb = new StringBuilder();
            if (_r.Next(4) == 0) sb.Append(' ');
            for (int i = 0; i < _tokens.Count; i++)
            {
                if (i > 0)
                {
                    bool needed = IsWordChar(_tokens[i - 1][^1]) && IsWordChar(_tokens[i][0]);
                    sb.Append(_r.Next(5) switch
                    {
                        0 when !needed => "",
                        1 => "  ",
                        2 => _r.Next(2) == 0 ? "\t" : "\n ",
                        _ => " ",
                    });
                }
                sb.Append(_tokens[i]);
            }
            if (_r.Next(4) == 0) sb.Append(" \n");
            return sb.ToString();
        }

        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '+';

        private string Keyword(string k) => _r.Next(4) switch
        {
            0 => k.ToUpperInvariant(),
            1 => char.ToUpperInvariant(k[0]) + k[1..],
            _ => k,
        };

        private void Add(string token) => _tokens.Add(token);

        // precedence: 1 or, 2 and, 3 not / atom
        private static int Precedence(Expr e) => e switch { OrExpr => 1, AndExpr => 2, _ => 3 };

        private void Emit(Expr e, int parent)
        {
            bool parens = Precedence(e) < parent || _r.Next(12) == 0;
            if (parens) Add("(");
            switch (e)
            {
                case OrExpr or:
                    for (int i = 0; i < or.Children.Length; i++)
                    {
                        if (i > 0) Add(Keyword("or"));
                        Emit(or.Children[i], 1);
                    }
                    break;
                case AndExpr and:
                    for (int i = 0; i < and.Children.Length; i++)
                    {
                        if (i > 0) Add(Keyword("and"));
                        Emit(and.Children[i], 2);
                    }
                    break;
                case NotExpr not:
                    Add(Keyword("not"));
                    Emit(not.Child, 3);
                    break;
                case ConstExpr constant:
                    Add(Keyword(constant.Value ? "true" : "false"));
                    break;
                case TruthExpr truth:
                    AddField(truth.Field);
                    break;
                case CompareExpr cmp:
                    AddField(cmp.Left);
                    Add(cmp.Op switch
                    {
                        "=" => _r.Next(2) == 0 ? "=" : "==",
                        "contains" or "startsWith" => Keyword(cmp.Op),
                        _ => cmp.Op,
                    });
                    AddOperand(cmp.Right);
                    break;
                case InExpr inExpr:
                    AddField(inExpr.Left);
                    if (inExpr.Negated) Add(Keyword("not"));
                    Add(Keyword("in"));
                    if (inExpr.Target is { } target)
                    {
                        AddField(target);
                    }
                    else
                    {
                        Add("[");
                        for (int i = 0; i < inExpr.List!.Length; i++)
                        {
                            if (i > 0) Add(",");
                            AddLiteral(inExpr.List[i]);
                        }
                        Add("]");
                    }
                    break;
                case BetweenExpr between:
                    AddField(between.Left);
                    Add(Keyword("between"));
                    AddOperand(between.Low);
                    Add(Keyword("and"));
                    AddOperand(between.High);
                    break;
            }
            if (parens) Add(")");
        }

        private void AddField(Field f) => Add(f.Spellings[_r.Next(f.Spellings.Length)]);

        private void AddOperand(Operand o)
        {
            if (o.Field is { } f) AddField(f);
            else AddLiteral(o.Literal!);
        }

        private void AddLiteral(object value)
        {
            switch (value)
            {
                case bool b:
                    Add(Keyword(b ? "true" : "false"));
                    break;
                case double d:
                    Add(_r.Next(4) switch
                    {
                        0 when d == Math.Floor(d) && d > 0 => (d / 10).ToString("R", CultureInfo.InvariantCulture) + "e1",
                        1 => d.ToString("0.0##", CultureInfo.InvariantCulture),
                        _ => d.ToString("R", CultureInfo.InvariantCulture),
                    });
                    break;
                case string s:
                    char quote = _r.Next(2) == 0 ? '"' : '\'';
                    var sb = new StringBuilder().Append(quote);
                    foreach (char c in s)
                    {
                        if (c == quote || c == '\\' || (c is '"' or '\'' && _r.Next(3) == 0)) sb.Append('\\');
                        sb.Append(c);
                    }
                    Add(sb.Append(quote).ToString());
                    break;
            }
        }
    }

    // ---- The tests ----

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomExpressionsMatchAStraightforwardEvaluator(int seed)
    {
        var generator = new Generator(seed);
        var renderer = new Renderer(seed * 7919);
        int matched = 0, total = 0;
        for (int n = 0; n < 1_200; n++)
        {
            var tree = generator.Tree(4);
            string text = renderer.Render(tree);
            ItemFilter filter;
            try { filter = ItemFilter.Parse(text); }
            catch (FilterSyntaxException e) { throw new Xunit.Sdk.XunitException($"{e.Message}\n{text}"); }
            foreach (var (context, values, now) in Contexts)
            {
                foreach (var item in Items)
                {
                    bool expected = Eval(tree, item, values, now);
                    bool actual = filter.Matches(item, context);
                    if (expected != actual)
                        throw new Xunit.Sdk.XunitException($"item {item.Id}, now {now:O}: expected {expected}, got {actual}\n{text}\n{filter.Canonical}");
                    total++;
                    if (actual) matched++;
                }
            }
        }
        // The generator must exercise both outcomes, not only trivially false filters.
        Assert.InRange(matched, total / 10, total - total / 10);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void SpacingCaseQuotesAndAliasesDoNotChangeTheParse(int seed)
    {
        var generator = new Generator(seed);
        var first = new Renderer(seed * 31);
        var second = new Renderer(seed * 31 + 1);
        for (int n = 0; n < 1_000; n++)
        {
            var tree = generator.Tree(4);
            string a = first.Render(tree), b = second.Render(tree);
            var fa = ItemFilter.Parse(a);
            var fb = ItemFilter.Parse(b);
            Assert.Equal(fa.Canonical, fb.Canonical);
            Assert.Equal(fa.UsesContext, fb.UsesContext);
            var canonical = ItemFilter.Parse(fa.Canonical);
            Assert.Equal(fa.Canonical, canonical.Canonical);
            foreach (var (context, _, _) in Contexts)
                foreach (var item in Items)
                {
                    bool expected = fa.Matches(item, context);
                    Assert.Equal(expected, fb.Matches(item, context));
                    Assert.Equal(expected, canonical.Matches(item, context));
                }
        }
    }

    [Fact]
    public void UsesContextIsTrueExactlyWhenAContextFieldOrAgeDaysIsGenerated()
    {
        var generator = new Generator(99);
        var renderer = new Renderer(98);
        int withContext = 0;
        for (int n = 0; n < 1_000; n++)
        {
            var tree = generator.Tree(3);
            bool expected = Mentions(tree);
            Assert.Equal(expected, ItemFilter.Parse(renderer.Render(tree)).UsesContext);
            if (expected) withContext++;
        }
        Assert.InRange(withContext, 100, 900);
    }

    private static bool Mentions(Expr e)
    {
        static bool IsContext(Field? f) => f is not null && (f.Name.StartsWith("context.", StringComparison.Ordinal) || f.Name == "ageDays");
        return e switch
        {
            AndExpr and => and.Children.Any(Mentions),
            OrExpr or => or.Children.Any(Mentions),
            NotExpr not => Mentions(not.Child),
            TruthExpr truth => IsContext(truth.Field),
            CompareExpr cmp => IsContext(cmp.Left) || IsContext(cmp.Right.Field),
            InExpr inExpr => IsContext(inExpr.Left) || IsContext(inExpr.Target),
            BetweenExpr between => IsContext(between.Left) || IsContext(between.Low.Field) || IsContext(between.High.Field),
            _ => false,
        };
    }
}
