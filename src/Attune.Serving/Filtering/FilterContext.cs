using System.Text.Json;

namespace Attune.Serving.Filtering;

/// <summary>
/// The request-side values a filter can refer to as <c>context.NAME</c>, and the clock used by <c>ageDays</c>.
/// Built once per request and shared by every <see cref="ItemFilter.Matches"/> call of that request.
/// Names are matched exactly (case-sensitive, like JSON keys); nested objects are flattened with dots (<c>geo.country</c>).
/// </summary>
public sealed class FilterContext
{
    /// <summary>No values; <see cref="Now"/> reads the current UTC time.</summary>
    public static readonly FilterContext Empty = new();

    private readonly Dictionary<string, Entry> _values;
    private readonly DateTimeOffset _now;
    private readonly bool _liveClock;

    private readonly struct Entry(object? raw, FilterValue value)
    {
        public readonly object? Raw = raw;
        public readonly FilterValue Value = value;
    }

    private FilterContext()
    {
        _values = new Dictionary<string, Entry>(StringComparer.Ordinal);
        _liveClock = true;
    }

    /// <param name="values">string, double, bool or string[] values (other numbers become double; null means absent).</param>
    /// <param name="now">The instant <c>ageDays</c> counts from.</param>
    public FilterContext(IReadOnlyDictionary<string, object?> values, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(values);
        _now = now;
        _values = new Dictionary<string, Entry>(values.Count, StringComparer.Ordinal);
        foreach (var (name, raw) in values)
        {
            object? normal = Normalize(name, raw);
            var value = normal is string s ? FilterValue.FromTextWithDate(s) : FilterValue.FromObject(normal);
            _values[name] = new Entry(normal, value);
        }
    }

    /// <summary>
    /// Reads a request's <c>context</c> JSON object: nested objects are flattened with '.' (<c>{"geo":{"country":"DE"}}</c>
    /// gives <c>geo.country</c>), numbers become double, arrays of strings become string[]; nulls and arrays holding anything
    /// but strings are left out. A null or absent element gives an empty context.
    /// </summary>
    public static FilterContext FromJson(JsonElement contextObject, DateTimeOffset now)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        switch (contextObject.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                break;
            case JsonValueKind.Object:
                Flatten(contextObject, prefix: null, values);
                break;
            default:
                throw new ArgumentException($"the context must be a JSON object, not {contextObject.ValueKind}", nameof(contextObject));
        }
        return new FilterContext(values, now);
    }

    /// <summary>The instant <c>ageDays</c> is measured from.</summary>
    public DateTimeOffset Now => _liveClock ? TimeProvider.System.GetUtcNow() : _now;

    /// <summary>The value stored under <paramref name="name"/> (exact, case-sensitive), as given (numbers as double).</summary>
    public bool TryGet(string name, out object? value)
    {
        if (_values.TryGetValue(name, out var entry))
        {
            value = entry.Raw;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Every value by its (flattened) name, as given (numbers as double).</summary>
    public IEnumerable<KeyValuePair<string, object?>> Values
    {
        get
        {
            foreach (var (name, entry) in _values) yield return new(name, entry.Raw);
        }
    }

    /// <summary>Whether there are no values.</summary>
    public bool IsEmpty => _values.Count == 0;

    internal FilterValue Lookup(string name) => _values.TryGetValue(name, out var entry) ? entry.Value : FilterValue.Missing;

    private static object? Normalize(string name, object? raw) => raw switch
    {
        null or string or double or bool or string[] or DateTimeOffset => raw,
        int i => (double)i,
        long l => (double)l,
        float f => (double)f,
        decimal m => (double)m,
        DateTime t => t.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(t, TimeSpan.Zero) : new DateTimeOffset(t),
        IEnumerable<string> strings => strings.ToArray(),
        _ => throw new ArgumentException(
            $"context value '{name}' is a {raw.GetType().Name}; use a string, number, boolean or list of strings", "values"),
    };

    private static void Flatten(JsonElement obj, string? prefix, Dictionary<string, object?> values)
    {
        foreach (var p in obj.EnumerateObject())
        {
            string name = prefix is null ? p.Name : prefix + "." + p.Name;
            var v = p.Value;
            switch (v.ValueKind)
            {
                case JsonValueKind.Object:
                    Flatten(v, name, values);
                    break;
                case JsonValueKind.String:
                    values[name] = v.GetString();
                    break;
                case JsonValueKind.Number:
                    if (v.TryGetDouble(out double d) && double.IsFinite(d)) values[name] = d;
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    values[name] = v.GetBoolean();
                    break;
                case JsonValueKind.Array:
                    var list = new string[v.GetArrayLength()];
                    int i = 0;
                    foreach (var x in v.EnumerateArray())
                    {
                        if (x.ValueKind != JsonValueKind.String) { list = null; break; }
                        list[i++] = x.GetString()!;
                    }
                    if (list is not null) values[name] = list;
                    break;
            }
        }
    }
}
