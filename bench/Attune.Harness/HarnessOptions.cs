using System.Globalization;

namespace Attune.Harness;

internal sealed class HarnessOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public static HarnessOptions Parse(string[] args)
    {
        var o = new HarnessOptions();
        for (int i = 0; i + 1 < args.Length; i += 2) o._values[args[i].TrimStart('-')] = args[i + 1];
        return o;
    }

    public string? Get(string key) => _values.GetValueOrDefault(key);

    public int Int(string key, int fallback) => _values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
