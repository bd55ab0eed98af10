using System.Globalization;
using Attune.Model;
using Attune.Validation;

namespace Attune.Import;

/// <summary>
/// Turns id text into strings, reusing the string of an id seen before so that a repeated id allocates nothing.
/// Each new id is checked with <see cref="RecordReader.CheckId"/>; invalid ids are not kept.
/// </summary>
/// <remarks>
/// Ids of up to 16 ASCII characters (nearly all ids in data files) live in an open-addressing table whose slots hold the
/// characters packed into two integers: a lookup compares integers in one slot and never touches the string, so a table
/// of a few hundred thousand ids costs about one cache miss per lookup instead of three or four. Other ids go to a
/// <see cref="Dictionary{TKey, TValue}"/> looked up by span.
/// </remarks>
internal sealed class IdInterner
{
    /// <summary>Above this many distinct ids a table starts over, so a file of unique ids cannot hold them all in memory.</summary>
    private const int MaxEntries = 1 << 20;

    private struct Slot
    {
        public ulong K0, K1;
        public string? Value;
        public int Length;
    }

    private Slot[] _slots = new Slot[1 << 12];
    private int _count;

    private readonly Dictionary<string, string> _others = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public IdInterner() => _lookup = _others.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The id as a string, or null with the reason when it is not a valid id.</summary>
    public string? Get(ReadOnlySpan<char> text, out string? problem)
    {
        if (TryPack(text, out ulong k0, out ulong k1))
        {
            var slots = _slots;
            int mask = slots.Length - 1;
            int i = Index(k0, k1, text.Length, mask);
            while (true)
            {
                ref Slot slot = ref slots[i];
                if (slot.Value is null) break;
                if (slot.K0 == k0 && slot.K1 == k1 && slot.Length == text.Length)
                {
                    problem = null;
                    return slot.Value;
                }
                i = (i + 1) & mask;
            }
            string id = text.ToString();
            problem = RecordReader.CheckId(id);
            if (problem is not null) return null;
            Insert(k0, k1, id);
            return id;
        }
        if (_lookup.TryGetValue(text, out var other))
        {
            problem = null;
            return other;
        }
        other = text.ToString();
        problem = RecordReader.CheckId(other);
        if (problem is not null) return null;
        if (_others.Count >= MaxEntries) _others.Clear();
        _others.Add(other, other);
        return other;
    }

    private static bool TryPack(ReadOnlySpan<char> text, out ulong k0, out ulong k1)
    {
        k0 = k1 = 0;
        if (text.Length > 16) return false;
        int n = Math.Min(text.Length, 8);
        for (int i = 0; i < n; i++)
        {
            char c = text[i];
            if (c > 127) return false;
            k0 |= (ulong)c << (i * 8);
        }
        for (int i = 8; i < text.Length; i++)
        {
            char c = text[i];
            if (c > 127) return false;
            k1 |= (ulong)c << ((i - 8) * 8);
        }
        return true;
    }

    private static int Index(ulong k0, ulong k1, int length, int mask)
    {
        ulong h = (k0 * 0x9E3779B97F4A7C15UL) ^ ((k1 + (ulong)length) * 0xC2B2AE3D27D4EB4FUL);
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 32;
        return (int)h & mask;
    }

    private void Insert(ulong k0, ulong k1, string id)
    {
        if (_count >= MaxEntries)
        {
            Array.Clear(_slots);
            _count = 0;
        }
        else if ((_count + 1) * 4 > _slots.Length * 3)
        {
            var old = _slots;
            _slots = new Slot[old.Length * 2];
            foreach (ref readonly var s in old.AsSpan())
            {
                if (s.Value is not null) Place(s.K0, s.K1, s.Value);
            }
        }
        Place(k0, k1, id);
        _count++;
    }

    private void Place(ulong k0, ulong k1, string id)
    {
        int mask = _slots.Length - 1;
        int i = Index(k0, k1, id.Length, mask);
        while (_slots[i].Value is not null) i = (i + 1) & mask;
        _slots[i] = new Slot { K0 = k0, K1 = k1, Value = id, Length = id.Length };
    }
}

/// <summary>Parsing and checking shared by the event file formats.</summary>
internal static class ImportValues
{
    internal const long MinUnixMs = -62135596800000;   // 0001-01-01
    internal const long MaxUnixMs = 253402300799999;   // 9999-12-31

    /// <summary>Event type names accepted in files: the built-in names, plus common spellings of other shops' exports.</summary>
    private static readonly Dictionary<string, EventType> s_fileTypes = BuildFileTypes();
    private static readonly Dictionary<string, EventType>.AlternateLookup<ReadOnlySpan<char>> s_fileTypeLookup =
        s_fileTypes.GetAlternateLookup<ReadOnlySpan<char>>();

    public const string CustomTypesUnsupported = "custom event types are not supported in file imports; use the HTTP API";

    private static Dictionary<string, EventType> BuildFileTypes()
    {
        var d = new Dictionary<string, EventType>(StringComparer.Ordinal);
        foreach (var name in EventTypes.BuiltInNames)
        {
            EventTypes.TryGetBuiltIn(name, out var t);
            d[name] = t;
        }
        d["cart"] = EventType.AddToCart;          // REES46
        d["addtocart"] = EventType.AddToCart;     // RetailRocket
        d["transaction"] = EventType.Purchase;    // RetailRocket
        return d;
    }

    /// <summary>Resolves an event type name of a file: a built-in name or an alias (<c>cart</c>, <c>addtocart</c>, <c>transaction</c>).</summary>
    public static bool TryResolveType(ReadOnlySpan<char> name, out EventType type, out string? problem)
    {
        if (s_fileTypeLookup.TryGetValue(name, out type))
        {
            problem = null;
            return true;
        }
        string s = name.ToString();
        problem = EventTypes.IsValidCustomName(s)
            ? CustomTypesUnsupported
            : $"unknown event type '{Shorten(s)}'; known: {string.Join(", ", EventTypes.BuiltInNames)} (and cart, addtocart, transaction)";
        return false;
    }

    /// <summary>Resolves <see cref="ImportOptions.EventType"/>; throws for an unknown or custom type.</summary>
    public static EventType? OptionType(ImportOptions options)
    {
        if (options.EventType is null) return null;
        if (TryResolveType(options.EventType, out var t, out var problem)) return t;
        throw new ArgumentException($"EventType: {problem}", nameof(options));
    }

    /// <summary>
    /// A problem that the event type itself causes for a row (same rules as the HTTP API): item event types need an item,
    /// ratings need a value, searches need a query (which only jsonl files can carry).
    /// </summary>
    public static (string Field, string Message)? TypeProblem(EventType type, bool hasItem, bool hasValue, double? value = null)
    {
        if (!hasItem && EventTypes.RequiresItem(type)) return ("itemId", $"is required for '{EventTypes.NameOf(type)}' events");
        if (!hasValue && type == EventType.Rating) return ("value", "is required for 'rating' events (the rating)");
        if (value < 0 && !EventTypes.AllowsNegativeValue(type))
            return ("value", $"must not be negative for '{EventTypes.NameOf(type)}' events (only refund takes negative values)");
        if (type == EventType.Search) return ("query", "is required for 'search' events; only jsonl files can carry a query");
        return null;
    }

    /// <summary>Unix time to milliseconds: below 10^11 the number is seconds (up to year 5138), above it milliseconds.</summary>
    public static bool TryUnixToMs(double n, out long ms)
    {
        double m = Math.Abs(n) < 1e11 ? n * 1000 : n;
        if (!(m >= MinUnixMs && m <= MaxUnixMs)) { ms = 0; return false; }
        ms = (long)Math.Round(m);
        return true;
    }

    /// <summary>
    /// A time: Unix seconds or milliseconds (integer or with a fraction), or an ISO 8601 date-time. A time without an offset,
    /// and one ending in <c>UTC</c> (<c>2019-10-01 00:00:00 UTC</c>, REES46), is UTC.
    /// </summary>
    public static bool TryParseTime(ReadOnlySpan<char> s, out long ms)
    {
        if (TryParseDigits(s, out long digits))
        {
            // Fast path: plain non-negative Unix seconds or milliseconds.
            ms = digits < 100_000_000_000 ? digits * 1000 : digits;
            return ms <= MaxUnixMs;
        }
        s = s.Trim();
        if (s.IsEmpty) { ms = 0; return false; }
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
        {
            if (Math.Abs(n) < 100_000_000_000) n *= 1000;
            ms = n;
            return n is >= MinUnixMs and <= MaxUnixMs;
        }
        if (s[0] is >= '0' and <= '9' or '-' or '+' && s.IndexOfAny('-', ':') <= 0
            && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
            return TryUnixToMs(d, out ms);
        if (s.EndsWith("UTC", StringComparison.OrdinalIgnoreCase)) s = s[..^3].TrimEnd();
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var ts))
        {
            ms = ts.ToUnixTimeMilliseconds();
            return true;
        }
        ms = 0;
        return false;
    }

    public const string TimeFormatMessage =
        "must be an ISO 8601 date-time such as 2026-11-25T14:07:00Z, 'YYYY-MM-DD HH:MM:SS UTC', or Unix seconds/milliseconds";

    public static bool TryParseValue(ReadOnlySpan<char> s, out double value)
    {
        if (s.Length <= 15 && TryParseDigits(s, out long digits))
        {
            value = digits; // exact: below 2^53
            return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>Parses 1–18 ASCII digits and nothing else (no sign, no spaces): the common case, without the general parser.</summary>
    private static bool TryParseDigits(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 18) return false;
        foreach (char c in s)
        {
            uint d = (uint)(c - '0');
            if (d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }

    public static bool TryParseBool(ReadOnlySpan<char> s, out bool value)
    {
        s = s.Trim();
        if (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s.Equals("yes", StringComparison.OrdinalIgnoreCase) || s is "1")
        {
            value = true;
            return true;
        }
        if (s.Equals("false", StringComparison.OrdinalIgnoreCase) || s.Equals("no", StringComparison.OrdinalIgnoreCase) || s is "0")
        {
            value = false;
            return true;
        }
        value = false;
        return false;
    }

    public static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public static string Shorten(ReadOnlySpan<char> s) => s.Length <= 64 ? s.ToString() : string.Concat(s[..64], "…");
}

/// <summary>
/// The event time window of the HTTP API (<see cref="RecordReader.CheckEventTime"/>) as a fast check on Unix milliseconds:
/// the upper bound is cached and re-read from the clock only when a time lies beyond it.
/// </summary>
internal sealed class EventTimeWindow
{
    private static readonly long s_minMs = Limits.MinTimestamp.ToUnixTimeMilliseconds();
    private readonly TimeProvider _time;
    private readonly RecordReader _reader;
    private long _maxMs;

    public EventTimeWindow(TimeProvider time)
    {
        _time = time;
        _reader = new RecordReader(time);
        _maxMs = (time.GetUtcNow() + Limits.MaxFutureSkew).ToUnixTimeMilliseconds();
    }

    /// <summary>Why the time is not accepted, or null when it is.</summary>
    public string? Check(long ms)
    {
        if (ms >= s_minMs && ms <= _maxMs) return null;
        if (ms >= s_minMs) _maxMs = (_time.GetUtcNow() + Limits.MaxFutureSkew).ToUnixTimeMilliseconds();
        if (ms is < ImportValues.MinUnixMs or > ImportValues.MaxUnixMs) return "is out of range";
        string? problem = _reader.CheckEventTime(DateTimeOffset.FromUnixTimeMilliseconds(ms));
        return problem is not null && ms < s_minMs ? problem + "; shift old data into the window with a time offset" : problem;
    }
}
