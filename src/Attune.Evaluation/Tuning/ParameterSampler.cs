using System.Globalization;
using Attune.Algorithms;

namespace Attune.Evaluation.Tuning;

/// <summary>
/// Draws parameter sets from a model's search space. Each range is mapped to [0, 1] (through the logarithm when
/// <see cref="ParameterRange.LogScale"/>); <see cref="Random"/> draws uniformly there, <see cref="Around"/> moves a best set by a
/// Gaussian step of the given width (reflected at the ends). Integers are rounded.
/// </summary>
public sealed class ParameterSampler(IReadOnlyList<ParameterRange> space, int seed)
{
    private readonly Random _rng = new(seed);

    public IReadOnlyList<ParameterRange> Space => space;

    /// <summary>A uniform draw from the sampler's own generator, for choices the tuner makes (same seed, same choices).</summary>
    public double NextUnit() => _rng.NextDouble();

    public Dictionary<string, string> Random()
    {
        var p = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in space) p[r.Name] = Format(r, FromUnit(r, _rng.NextDouble()));
        return p;
    }

    /// <summary>A step from <paramref name="best"/> with standard deviation <paramref name="width"/> in unit space per parameter.</summary>
    public Dictionary<string, string> Around(IReadOnlyDictionary<string, string> best, double width)
    {
        var p = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in space)
        {
            double u = best.TryGetValue(r.Name, out string? text)
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                ? ToUnit(r, v)
                : _rng.NextDouble();
            u = Reflect(u + width * Gaussian());
            p[r.Name] = Format(r, FromUnit(r, u));
        }
        return p;
    }

    /// <summary>
    /// One step of a search around <paramref name="best"/>: one in five a random draw from the space, otherwise a step whose
    /// width narrows with the step number; parameters outside the space stay as the best had them.
    /// </summary>
    public (Dictionary<string, string> Parameters, bool Random) Step(IReadOnlyDictionary<string, string> best, int step)
    {
        bool random = NextUnit() < 0.2;
        var p = random ? Random() : Around(best, 0.25 / Math.Sqrt(1 + step / 4.0));
        foreach (var (k, v) in best) p.TryAdd(k, v);
        return (p, random);
    }

    /// <summary>A parameter set as one text, sorted by name: <c>name=value name=value</c> (as <c>--params</c> takes them).</summary>
    public static string Canonical(IReadOnlyDictionary<string, string> parameters) =>
        string.Join(' ', parameters.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(kv => $"{kv.Key}={kv.Value}"));

    public static double FromUnit(ParameterRange r, double u)
    {
        u = Math.Clamp(u, 0, 1);
        double v = r.LogScale && r.Min > 0
            ? Math.Exp(Math.Log(r.Min) + u * (Math.Log(r.Max) - Math.Log(r.Min)))
            : r.Min + u * (r.Max - r.Min);
        return r.Integer ? Math.Round(v) : v;
    }

    public static double ToUnit(ParameterRange r, double v)
    {
        if (r.Max <= r.Min) return 0;
        double u = r.LogScale && r.Min > 0 && v > 0
            ? (Math.Log(v) - Math.Log(r.Min)) / (Math.Log(r.Max) - Math.Log(r.Min))
            : (v - r.Min) / (r.Max - r.Min);
        return Math.Clamp(u, 0, 1);
    }

    /// <summary>Integers as integers; other values with six significant digits, invariant culture.</summary>
    public static string Format(ParameterRange r, double v) => r.Integer
        ? ((long)Math.Round(v)).ToString(CultureInfo.InvariantCulture)
        : v.ToString("G6", CultureInfo.InvariantCulture);

    private double Gaussian()
    {
        double u1 = 1 - _rng.NextDouble(), u2 = _rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static double Reflect(double u)
    {
        u = Math.Abs(u) % 2;
        return u > 1 ? 2 - u : u;
    }
}
