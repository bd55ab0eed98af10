using System.Globalization;
using System.Text;
using Attune.Model;

namespace Attune.Serving.Filtering;

/// <summary>The type of an operand as known when parsing; <see cref="Dynamic"/> (properties, context) is only known per call.</summary>
internal enum FieldType : byte { Text, TextList, Number, Bool, Date, Dynamic }

internal enum ItemField : byte { Id, Title, Description, Brand, Currency, Price, InStock, Tags, Categories, PublishedAt, AgeDays }

internal enum CompareOp : byte { Eq, Ne, Lt, Le, Gt, Ge, Contains, StartsWith }

/// <summary>One side of a comparison: an item field, a property, a context value or a literal.</summary>
internal abstract class Operand
{
    public abstract FieldType Type { get; }
    public virtual bool UsesContext => false;
    public virtual bool IsCategories => false;
    public abstract FilterValue Get(Item item, FilterContext context);
    public abstract void Render(StringBuilder sb);
}

internal sealed class FieldOperand(ItemField field) : Operand
{
    public ItemField Field { get; } = field;

    public override FieldType Type => Field switch
    {
        ItemField.Price or ItemField.AgeDays => FieldType.Number,
        ItemField.InStock => FieldType.Bool,
        ItemField.Tags or ItemField.Categories => FieldType.TextList,
        ItemField.PublishedAt => FieldType.Date,
        _ => FieldType.Text,
    };

    public override bool UsesContext => Field == ItemField.AgeDays;
    public override bool IsCategories => Field == ItemField.Categories;

    public override FilterValue Get(Item item, FilterContext context)
    {
        switch (Field)
        {
            case ItemField.Id: return FilterValue.FromText(item.Id);
            case ItemField.Title: return Text(item.Title);
            case ItemField.Description: return Text(item.Description);
            case ItemField.Brand: return Text(item.Brand);
            case ItemField.Currency: return Text(item.Currency);
            case ItemField.Price:
                return item.Price is double p && !double.IsNaN(p) ? FilterValue.FromNumber(p) : FilterValue.Missing;
            case ItemField.InStock: return FilterValue.FromBool(item.InStock);
            case ItemField.Tags: return FilterValue.FromList(item.Tags);
            case ItemField.Categories: return FilterValue.FromList(item.Categories);
            case ItemField.PublishedAt:
                return item.PublishedAt is DateTimeOffset published ? FilterValue.FromInstant(published) : FilterValue.Missing;
            case ItemField.AgeDays:
                return item.PublishedAt is DateTimeOffset at
                    ? FilterValue.FromNumber((context.Now - at).TotalDays)
                    : FilterValue.Missing;
            default: return FilterValue.Missing;
        }
    }

    private static FilterValue Text(string? text) => text is null ? FilterValue.Missing : FilterValue.FromText(text);

    public override void Render(StringBuilder sb) => sb.Append(Name(Field));

    public static string Name(ItemField field) => field switch
    {
        ItemField.Id => "id",
        ItemField.Title => "title",
        ItemField.Description => "description",
        ItemField.Brand => "brand",
        ItemField.Currency => "currency",
        ItemField.Price => "price",
        ItemField.InStock => "inStock",
        ItemField.Tags => "tags",
        ItemField.Categories => "categories",
        ItemField.PublishedAt => "publishedAt",
        ItemField.AgeDays => "ageDays",
        _ => field.ToString(),
    };
}

internal sealed class PropertyOperand(string name) : Operand
{
    public string Name { get; } = name;
    public override FieldType Type => FieldType.Dynamic;

    public override FilterValue Get(Item item, FilterContext context) =>
        item.Properties.TryGetValue(Name, out object? value) ? FilterValue.FromObject(value) : FilterValue.Missing;

    public override void Render(StringBuilder sb) => sb.Append("properties.").Append(Name);
}

internal sealed class ContextOperand(string name) : Operand
{
    public string Name { get; } = name;
    public override FieldType Type => FieldType.Dynamic;
    public override bool UsesContext => true;
    public override FilterValue Get(Item item, FilterContext context) => context.Lookup(Name);
    public override void Render(StringBuilder sb) => sb.Append("context.").Append(Name);
}

internal sealed class LiteralOperand(FilterValue value, FieldType type, string rendered) : Operand
{
    public FilterValue Value { get; } = value;
    public override FieldType Type { get; } = type;
    public string Rendered { get; } = rendered;
    public override FilterValue Get(Item item, FilterContext context) => Value;
    public override void Render(StringBuilder sb) => sb.Append(Rendered);

    public static LiteralOperand Number(double number) =>
        new(FilterValue.FromNumber(number), FieldType.Number, number.ToString("R", CultureInfo.InvariantCulture));

    public static LiteralOperand Bool(bool value) => new(FilterValue.FromBool(value), FieldType.Bool, value ? "true" : "false");

    public static LiteralOperand Text(string text) => new(FilterValue.FromTextWithDate(text), FieldType.Text, Quote(text));

    /// <summary>A string literal compared with a date: read as a date once, here.</summary>
    public static LiteralOperand Date(string text, long start, long end) =>
        new(FilterValue.FromInterval(start, end), FieldType.Date, Quote(text));

    public static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text)
        {
            if (c is '"' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}

/// <summary>A compiled filter expression. Evaluation allocates nothing.</summary>
internal abstract class FilterNode
{
    /// <summary>1 for or, 2 for and, 3 for everything that needs no parentheses.</summary>
    public virtual int Precedence => 3;
    public abstract bool UsesContext { get; }
    public abstract bool Eval(Item item, FilterContext context);
    public abstract void Render(StringBuilder sb);

    protected static void RenderChild(StringBuilder sb, FilterNode child, int precedence)
    {
        if (child.Precedence < precedence)
        {
            sb.Append('(');
            child.Render(sb);
            sb.Append(')');
        }
        else
        {
            child.Render(sb);
        }
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        Render(sb);
        return sb.ToString();
    }
}

internal sealed class AndNode(FilterNode[] children) : FilterNode
{
    private readonly FilterNode[] _children = children;
    public IReadOnlyList<FilterNode> Children => _children;
    public override int Precedence => 2;
    public override bool UsesContext => Array.Exists(_children, c => c.UsesContext);

    public override bool Eval(Item item, FilterContext context)
    {
        foreach (var child in _children)
            if (!child.Eval(item, context)) return false;
        return true;
    }

    public override void Render(StringBuilder sb)
    {
        for (int i = 0; i < _children.Length; i++)
        {
            if (i > 0) sb.Append(" and ");
            RenderChild(sb, _children[i], 3);
        }
    }
}

internal sealed class OrNode(FilterNode[] children) : FilterNode
{
    private readonly FilterNode[] _children = children;
    public IReadOnlyList<FilterNode> Children => _children;
    public override int Precedence => 1;
    public override bool UsesContext => Array.Exists(_children, c => c.UsesContext);

    public override bool Eval(Item item, FilterContext context)
    {
        foreach (var child in _children)
            if (child.Eval(item, context)) return true;
        return false;
    }

    public override void Render(StringBuilder sb)
    {
        for (int i = 0; i < _children.Length; i++)
        {
            if (i > 0) sb.Append(" or ");
            RenderChild(sb, _children[i], 2);
        }
    }
}

internal sealed class NotNode(FilterNode child) : FilterNode
{
    private readonly FilterNode _child = child;
    public override bool UsesContext => _child.UsesContext;
    public override bool Eval(Item item, FilterContext context) => !_child.Eval(item, context);

    public override void Render(StringBuilder sb)
    {
        sb.Append("not ");
        RenderChild(sb, _child, 3);
    }
}

internal sealed class ConstantNode(bool value) : FilterNode
{
    private readonly bool _value = value;
    public override bool UsesContext => false;
    public override bool Eval(Item item, FilterContext context) => _value;
    public override void Render(StringBuilder sb) => sb.Append(_value ? "true" : "false");
}

/// <summary>A bare boolean field or value used as a condition: true only when the value is the boolean true.</summary>
internal sealed class TruthNode(Operand operand) : FilterNode
{
    private readonly Operand _operand = operand;
    public override bool UsesContext => _operand.UsesContext;

    public override bool Eval(Item item, FilterContext context)
    {
        var value = _operand.Get(item, context);
        return value.Kind == ValueKind.Bool && value.Flag;
    }

    public override void Render(StringBuilder sb) => _operand.Render(sb);
}

/// <summary><c>left OP right</c>, also <c>left in field</c> (as =) and <c>left not in field</c> (as !=).</summary>
internal sealed class CompareNode(Operand left, CompareOp op, Operand right, string opText) : FilterNode
{
    private readonly Operand _left = left;
    private readonly CompareOp _op = op;
    private readonly Operand _right = right;
    private readonly bool _segments = op == CompareOp.StartsWith && left.IsCategories;
    private readonly string _opText = opText;

    public override bool UsesContext => _left.UsesContext || _right.UsesContext;

    public override bool Eval(Item item, FilterContext context)
    {
        var l = _left.Get(item, context);
        if (l.IsMissing) return false;
        var r = _right.Get(item, context);
        return FilterCompare.Compare(_op, in l, in r, _segments);
    }

    public override void Render(StringBuilder sb)
    {
        _left.Render(sb);
        sb.Append(' ').Append(_opText).Append(' ');
        _right.Render(sb);
    }
}

/// <summary><c>left in [a, b]</c> and <c>left not in [a, b]</c>.</summary>
internal sealed class InListNode(Operand left, LiteralOperand[] list, bool negated) : FilterNode
{
    private readonly Operand _left = left;
    private readonly FilterValue[] _values = Array.ConvertAll(list, x => x.Value);
    private readonly LiteralOperand[] _list = list;
    private readonly bool _negated = negated;

    public override bool UsesContext => _left.UsesContext;

    public override bool Eval(Item item, FilterContext context)
    {
        var l = _left.Get(item, context);
        return !l.IsMissing && FilterCompare.InList(in l, _values, _negated);
    }

    public override void Render(StringBuilder sb)
    {
        _left.Render(sb);
        sb.Append(_negated ? " not in [" : " in [");
        for (int i = 0; i < _list.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            _list[i].Render(sb);
        }
        sb.Append(']');
    }
}

/// <summary><c>left between low and high</c>, inclusive at both ends.</summary>
internal sealed class BetweenNode(Operand left, Operand low, Operand high) : FilterNode
{
    private readonly Operand _left = left;
    private readonly Operand _low = low;
    private readonly Operand _high = high;

    public override bool UsesContext => _left.UsesContext || _low.UsesContext || _high.UsesContext;

    public override bool Eval(Item item, FilterContext context)
    {
        var l = _left.Get(item, context);
        if (l.IsMissing) return false;
        var low = _low.Get(item, context);
        if (low.IsMissing) return false;
        var high = _high.Get(item, context);
        return !high.IsMissing && FilterCompare.Between(in l, in low, in high);
    }

    public override void Render(StringBuilder sb)
    {
        _left.Render(sb);
        sb.Append(" between ");
        _low.Render(sb);
        sb.Append(" and ");
        _high.Render(sb);
    }
}

/// <summary>The comparison rules, element by element (a list matches when any element does).</summary>
internal static class FilterCompare
{
    private const int Incomparable = 0, No = 1, Yes = 2;

    public static bool Compare(CompareOp op, in FilterValue l, in FilterValue r, bool segments)
    {
        if (l.IsMissing || r.IsMissing) return false;
        bool negated = op == CompareOp.Ne;
        bool comparable = negated && KindsCompatible(l.Kind, r.Kind);
        int ln = l.Count, rn = r.Count;
        for (int i = 0; i < ln; i++)
        {
            for (int j = 0; j < rn; j++)
            {
                int result = Pair(op, in l, i, in r, j, segments);
                if (result == Yes) return !negated;
                if (result == No) comparable = true;
            }
        }
        return negated && comparable;
    }

    public static bool InList(in FilterValue l, FilterValue[] list, bool negated)
    {
        bool comparable = false;
        int ln = l.Count;
        foreach (var r in list)
        {
            if (negated && !comparable && KindsCompatible(l.Kind, r.Kind)) comparable = true;
            for (int i = 0; i < ln; i++)
            {
                int result = Pair(CompareOp.Eq, in l, i, in r, 0, segments: false);
                if (result == Yes) return !negated;
                if (result == No) comparable = true;
            }
        }
        return negated && comparable;
    }

    public static bool Between(in FilterValue l, in FilterValue low, in FilterValue high)
    {
        int ln = l.Count;
        for (int i = 0; i < ln; i++)
            if (AnyRight(CompareOp.Ge, in l, i, in low) && AnyRight(CompareOp.Le, in l, i, in high)) return true;
        return false;
    }

    private static bool AnyRight(CompareOp op, in FilterValue l, int i, in FilterValue r)
    {
        int rn = r.Count;
        for (int j = 0; j < rn; j++)
            if (Pair(op, in l, i, in r, j, segments: false) == Yes) return true;
        return false;
    }

    /// <summary>Whether != / not in can speak about the two values at all, before looking at elements
    /// (so an empty tag list is "not equal" to any text).</summary>
    private static bool KindsCompatible(ValueKind a, ValueKind b) =>
        a is ValueKind.Text or ValueKind.TextList
            ? b is ValueKind.Text or ValueKind.TextList
            : a == b && a != ValueKind.Missing;

    private static int Pair(CompareOp op, in FilterValue l, int i, in FilterValue r, int j, bool segments)
    {
        switch (l.Kind)
        {
            case ValueKind.Text or ValueKind.TextList:
                if (r.IsTextual) return TextPair(op, in l, i, in r, j, segments);
                if (r.Kind == ValueKind.Date && op is not (CompareOp.Contains or CompareOp.StartsWith))
                    return TryDate(in l, i, out long ls, out long le) ? DatePair(op, ls, le, r.Start, r.End) : Incomparable;
                return Incomparable;
            case ValueKind.Number:
                return r.Kind == ValueKind.Number ? NumberPair(op, l.Number, r.Number) : Incomparable;
            case ValueKind.Bool:
                return r.Kind == ValueKind.Bool && op is CompareOp.Eq or CompareOp.Ne
                    ? l.Flag == r.Flag ? Yes : No
                    : Incomparable;
            case ValueKind.Date:
                if (op is CompareOp.Contains or CompareOp.StartsWith) return Incomparable;
                if (r.Kind == ValueKind.Date) return DatePair(op, l.Start, l.End, r.Start, r.End);
                if (r.IsTextual)
                    return TryDate(in r, j, out long rs, out long re) ? DatePair(op, l.Start, l.End, rs, re) : Incomparable;
                return Incomparable;
            default:
                return Incomparable;
        }
    }

    private static int TextPair(CompareOp op, in FilterValue l, int i, in FilterValue r, int j, bool segments)
    {
        string a = l.TextAt(i), b = r.TextAt(j);
        switch (op)
        {
            case CompareOp.Eq or CompareOp.Ne:
                return string.Equals(a, b, StringComparison.OrdinalIgnoreCase) ? Yes : No;
            case CompareOp.Contains:
                bool contains = l.Kind == ValueKind.TextList
                    ? string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
                    : a.AsSpan().Contains(b.AsSpan(), StringComparison.OrdinalIgnoreCase);
                return contains ? Yes : No;
            case CompareOp.StartsWith:
                bool starts = segments
                    ? StartsWithSegments(a, b)
                    : a.AsSpan().StartsWith(b.AsSpan(), StringComparison.OrdinalIgnoreCase);
                return starts ? Yes : No;
            default:
                // Ordering on text is only defined when both read as dates.
                return TryDate(in l, i, out long ls, out long le) && TryDate(in r, j, out long rs, out long re)
                    ? DatePair(op, ls, le, rs, re)
                    : Incomparable;
        }
    }

    /// <summary><c>shoes</c> is a prefix of <c>shoes</c> and <c>shoes/running</c>, not of <c>shoestring</c>.</summary>
    internal static bool StartsWithSegments(string path, string prefix)
    {
        var p = prefix.AsSpan().TrimEnd('/');
        if (p.Length == 0) return true;
        if (path.Length < p.Length || !path.AsSpan(0, p.Length).Equals(p, StringComparison.OrdinalIgnoreCase)) return false;
        return path.Length == p.Length || path[p.Length] == '/';
    }

    private static int NumberPair(CompareOp op, double a, double b) => op switch
    {
        CompareOp.Eq or CompareOp.Ne => a == b ? Yes : No,
        CompareOp.Lt => a < b ? Yes : No,
        CompareOp.Le => a <= b ? Yes : No,
        CompareOp.Gt => a > b ? Yes : No,
        CompareOp.Ge => a >= b ? Yes : No,
        _ => Incomparable,
    };

    /// <summary>Dates are half-open tick intervals: an instant is one tick, a date-only value the whole day.
    /// "=" means the intervals overlap; "&lt;=" means l starts before r ends, so <c>publishedAt &lt;= "2026-01-31"</c>
    /// includes all of 31 January.</summary>
    private static int DatePair(CompareOp op, long ls, long le, long rs, long re) => op switch
    {
        CompareOp.Eq or CompareOp.Ne => ls < re && rs < le ? Yes : No,
        CompareOp.Lt => le <= rs ? Yes : No,
        CompareOp.Le => ls < re ? Yes : No,
        CompareOp.Gt => ls >= re ? Yes : No,
        CompareOp.Ge => le > rs ? Yes : No,
        _ => Incomparable,
    };

    private static bool TryDate(in FilterValue v, int i, out long start, out long end)
    {
        if (v.Kind == ValueKind.Text && v.DateKnown)
        {
            start = v.Start;
            end = v.End;
            return v.IsDate;
        }
        return FilterDates.TryParse(v.TextAt(i), out start, out end);
    }
}
