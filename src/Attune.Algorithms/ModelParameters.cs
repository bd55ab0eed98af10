using System.Globalization;

namespace Attune.Algorithms;

/// <summary>
/// Hyper-parameters given as text (<c>--params factors=64 reg=0.01</c>, a tuning file). Reading a value marks it used;
/// <see cref="ThrowIfUnused"/> then rejects names no model option read, so a typo is an error, not a silent default.
/// </summary>
public sealed class ModelParameters
{
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    public ModelParameters(IReadOnlyDictionary<string, string>? values = null) =>
        _values = new Dictionary<string, string>(values ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);

    public static ModelParameters Empty => new();

    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>Parses <c>k=v</c> pairs.</summary>
    public static ModelParameters Parse(IEnumerable<string> pairs)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string p in pairs)
        {
            int eq = p.IndexOf('=');
            if (eq <= 0) throw new FormatException($"parameter '{p}' is not name=value");
            d[p[..eq].Trim()] = p[(eq + 1)..].Trim();
        }
        return new ModelParameters(d);
    }

    public ModelParameters With(string name, string value)
    {
        var d = new Dictionary<string, string>(_values, StringComparer.OrdinalIgnoreCase) { [name] = value };
        return new ModelParameters(d);
    }

    public float Float(string name, float fallback) => Read(name, fallback, s => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    public double Double(string name, double fallback) => Read(name, fallback, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    public int Int(string name, int fallback) => Read(name, fallback, s => (int)double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    public bool Bool(string name, bool fallback) => Read(name, fallback, bool.Parse);

    public string String(string name, string fallback) => Read(name, fallback, s => s);

    /// <summary>The parameters named <c>prefix.name</c>, as <c>name</c>; they count as used here.</summary>
    public ModelParameters Prefixed(string prefix)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in _values)
        {
            if (!k.StartsWith(prefix + ".", StringComparison.OrdinalIgnoreCase)) continue;
            d[k[(prefix.Length + 1)..]] = v;
            _used.Add(k);
        }
        return new ModelParameters(d);
    }

    public void ThrowIfUnused(string model)
    {
        var unused = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unused.Count > 0) throw new ArgumentException($"model '{model}' has no parameter {string.Join(", ", unused.Select(u => $"'{u}'"))}");
    }

    private T Read<T>(string name, T fallback, Func<string, T> parse)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out string? text)) return fallback;
        try { return parse(text); }
        catch (FormatException) { throw new ArgumentException($"parameter '{name}': '{text}' is not a valid {typeof(T).Name.ToLowerInvariant()}"); }
    }

    public override string ToString() => string.Join(" ", _values.Select(kv => $"{kv.Key}={kv.Value}"));
}
