using System.Text.Json;

namespace Attune.Experiments.Statistics;

/// <summary>
/// Strict reading of one JSON object of the contract: it must be an object, hold only the listed fields (each once), and each
/// read names its path in the <see cref="StatisticsInputException"/> it throws.
/// </summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _object;
    private readonly string _path;

    public JsonFields(JsonElement element, string path, string what, params ReadOnlySpan<string> allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new StatisticsInputException(path.Length == 0 ? "body" : path, $"must be a JSON object ({what}), not {Describe(element)}");
        _object = element;
        _path = path;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name)) throw new StatisticsInputException(Child(property.Name), "appears twice");
            if (!allowed.Contains(property.Name))
                throw new StatisticsInputException(Child(property.Name), $"unknown field of {what}; known fields: {string.Join(", ", allowed.ToArray())}");
        }
    }

    public string Child(string name) => _path.Length == 0 ? name : _path + "." + name;

    public JsonElement Required(string name) =>
        _object.TryGetProperty(name, out var v) ? v : throw new StatisticsInputException(Child(name), "is required");

    public JsonElement? Optional(string name) => _object.TryGetProperty(name, out var v) ? v : null;

    public double Number(string name) => ToNumber(Required(name), Child(name));

    public double Number(string name, double fallback) => Optional(name) is { } v ? ToNumber(v, Child(name)) : fallback;

    /// <summary>A number or null; absent is null too.</summary>
    public double? NullableNumber(string name) =>
        Optional(name) is { } v && v.ValueKind != JsonValueKind.Null ? ToNumber(v, Child(name)) : null;

    public long Integer(string name) => ToInteger(Required(name), Child(name));

    public long? NullableInteger(string name) =>
        Optional(name) is { } v && v.ValueKind != JsonValueKind.Null ? ToInteger(v, Child(name)) : null;

    public long Count(string name)
    {
        long n = Integer(name);
        return n >= 0 ? n : throw new StatisticsInputException(Child(name), $"must not be negative (got {n})");
    }

    public bool Boolean(string name, bool fallback) => Optional(name) switch
    {
        null => fallback,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        var v => throw new StatisticsInputException(Child(name), $"must be true or false, not {Describe(v.Value)}"),
    };

    public string String(string name) => ToString(Required(name), Child(name));

    public string? OptionalString(string name) => Optional(name) is { } v ? ToString(v, Child(name)) : null;

    /// <summary>One of <paramref name="values"/>, spelled exactly.</summary>
    public string? OneOf(string name, params ReadOnlySpan<string> values)
    {
        string? s = OptionalString(name);
        if (s is null || values.Contains(s)) return s;
        throw new StatisticsInputException(Child(name), $"must be one of {string.Join(", ", values.ToArray())}, not '{s}'");
    }

    private static double ToNumber(JsonElement v, string path)
    {
        if (v.ValueKind != JsonValueKind.Number) throw new StatisticsInputException(path, $"must be a number, not {Describe(v)}");
        if (!v.TryGetDouble(out double d) || !double.IsFinite(d)) throw new StatisticsInputException(path, "is out of range for a double");
        return d;
    }

    private static long ToInteger(JsonElement v, string path)
    {
        if (v.ValueKind != JsonValueKind.Number) throw new StatisticsInputException(path, $"must be an integer, not {Describe(v)}");
        if (v.TryGetInt64(out long n)) return n;
        // Python would take 3407.0 for 3407; so do we, but nothing with a fraction.
        if (v.TryGetDouble(out double d) && double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9e15) return (long)d;
        throw new StatisticsInputException(path, "must be an integer");
    }

    private static string ToString(JsonElement v, string path) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new StatisticsInputException(path, $"must be a string, not {Describe(v)}");

    internal static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
