using System.Globalization;

namespace Attune.Serving.Filtering;

/// <summary>What a filter operand evaluates to. <see cref="TextList"/> is the only multi-valued kind.</summary>
internal enum ValueKind : byte { Missing, Text, TextList, Number, Bool, Date }

/// <summary>
/// A value produced while evaluating a filter: a small struct so evaluation never boxes or allocates.
/// Dates are half-open intervals of UTC ticks: an instant is one tick wide, a date-only value ("2026-01-31") is the whole UTC day.
/// </summary>
internal readonly struct FilterValue
{
    public readonly ValueKind Kind;
    public readonly bool Flag;
    /// <summary>For <see cref="ValueKind.Text"/>: whether <see cref="Start"/>/<see cref="End"/> hold the text read as a date
    /// (<see cref="DateKnown"/> false means "not looked at yet": parse on demand).</summary>
    public readonly bool DateKnown;
    public readonly bool IsDate;
    public readonly double Number;
    public readonly long Start;
    public readonly long End;
    public readonly string? Text;
    public readonly IReadOnlyList<string>? List;

    private FilterValue(ValueKind kind, bool flag = false, double number = 0, long start = 0, long end = 0, string? text = null,
        IReadOnlyList<string>? list = null, bool dateKnown = false, bool isDate = false)
    {
        Kind = kind;
        Flag = flag;
        Number = number;
        Start = start;
        End = end;
        Text = text;
        List = list;
        DateKnown = dateKnown;
        IsDate = isDate;
    }

    public static readonly FilterValue Missing = default;

    public bool IsMissing => Kind == ValueKind.Missing;
    public bool IsTextual => Kind is ValueKind.Text or ValueKind.TextList;

    /// <summary>Number of elements: the list's length for a list, 1 for anything else present.</summary>
    public int Count => Kind == ValueKind.TextList ? List!.Count : Kind == ValueKind.Missing ? 0 : 1;

    public string TextAt(int i) => Kind == ValueKind.TextList ? List![i] : Text!;

    public static FilterValue FromText(string text) => new(ValueKind.Text, text: text);

    /// <summary>A text whose date reading is decided now (literals, context values), so evaluation never parses it again.</summary>
    public static FilterValue FromTextWithDate(string text)
    {
        bool isDate = FilterDates.TryParse(text, out long start, out long end);
        return new(ValueKind.Text, text: text, start: start, end: end, dateKnown: true, isDate: isDate);
    }

    public static FilterValue FromList(IReadOnlyList<string> list) => new(ValueKind.TextList, list: list);
    public static FilterValue FromNumber(double number) => new(ValueKind.Number, number: number);
    public static FilterValue FromBool(bool value) => new(ValueKind.Bool, flag: value);
    public static FilterValue FromInterval(long start, long end) => new(ValueKind.Date, start: start, end: end);
    public static FilterValue FromInstant(DateTimeOffset instant) => new(ValueKind.Date, start: instant.UtcTicks, end: instant.UtcTicks + 1);

    /// <summary>Reads a property or context value (string, double, bool, string list; other numbers and dates tolerated).</summary>
    public static FilterValue FromObject(object? value) => value switch
    {
        null => Missing,
        string s => FromText(s),
        double d => double.IsNaN(d) ? Missing : FromNumber(d),
        bool b => FromBool(b),
        string[] a => FromList(a),
        IReadOnlyList<string> l => FromList(l),
        int i => FromNumber(i),
        long l => FromNumber(l),
        float f => float.IsNaN(f) ? Missing : FromNumber(f),
        decimal m => FromNumber((double)m),
        DateTimeOffset t => FromInstant(t),
        DateTime t => FromInstant(t.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(t, TimeSpan.Zero) : new DateTimeOffset(t)),
        _ => Missing,
    };
}

/// <summary>The date forms filters accept: <c>2026-01-31</c> (the whole UTC day) or an ISO 8601 date-time
/// (<c>2026-01-31T12:00:00Z</c>, <c>2026-01-31T12:00+02:00</c>; without an offset it is UTC).</summary>
internal static class FilterDates
{
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK",
    ];

    public static bool TryParse(ReadOnlySpan<char> text, out long start, out long end)
    {
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces;
        text = text.Trim();
        if (text.Length == 10 && DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, styles, out var day))
        {
            start = day.UtcTicks;
            end = day.UtcTicks + TimeSpan.TicksPerDay;
            return true;
        }
        if (text.Length > 10 && text[4] == '-'
            && DateTimeOffset.TryParseExact(text, DateTimeFormats, CultureInfo.InvariantCulture, styles, out var instant))
        {
            start = instant.UtcTicks;
            end = instant.UtcTicks + 1;
            return true;
        }
        start = end = 0;
        return false;
    }
}
