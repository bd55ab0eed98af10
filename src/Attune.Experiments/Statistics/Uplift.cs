namespace Attune.Experiments.Statistics;

/// <summary>The effect's distribution (gbstats <c>Uplift</c>); <see cref="Dist"/> is always <c>"normal"</c>.</summary>
public sealed record Uplift(string Dist, double Mean, double StdDev)
{
    public static Uplift Normal(double mean, double stdDev) => new("normal", mean, stdDev);
}
