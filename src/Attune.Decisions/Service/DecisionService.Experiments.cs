using System.Text.Json;
using Attune.Experiments.Statistics;

namespace Attune.Decisions.Service;

/// <summary>What an experiment on decision points did to their rewards, read from the decision log.</summary>
public sealed partial class DecisionService
{
    /// <summary>
    /// Per point and variant, the rewards of the decisions made under <paramref name="experimentId"/> between
    /// <paramref name="fromMs"/> and <paramref name="toMs"/> (each decision's mean over its slots; decisions still awaiting their
    /// reward are counted apart), and each variant's difference from <paramref name="control"/> with a Welch 95 % interval.
    /// Points with no decision under the experiment are left out.
    /// </summary>
    public async Task<IReadOnlyList<PointRewards>> ExperimentRewardsAsync(string experimentId, IReadOnlyList<string> points, string control,
        long fromMs, long toMs, CancellationToken ct = default)
    {
        var results = new List<PointRewards>();
        foreach (string point in points)
        {
            var byVariant = new Dictionary<string, (long N, double Sum, double SumSq, long Awaiting)>(StringComparer.Ordinal);
            await foreach (var logged in store.ReadDecisionsAsync(point, fromMs, toMs, ct).ConfigureAwait(false))
            {
                string? variant = VariantOf(logged.Decision.Context, experimentId);
                if (variant is null) continue;
                var s = byVariant.GetValueOrDefault(variant);
                if (logged.Rewards.Count == 0) s.Awaiting++;
                else
                {
                    double r = 0;
                    foreach (var (_, reward) in logged.Rewards) r += reward.Value;
                    r /= logged.Rewards.Count;
                    s.N++;
                    s.Sum += r;
                    s.SumSq += r * r;
                }
                byVariant[variant] = s;
            }
            var baseline = byVariant.GetValueOrDefault(control);
            var variants = new List<VariantRewards>();
            foreach (var (key, s) in byVariant.OrderBy(v => v.Key == control ? 0 : 1).ThenBy(v => v.Key, StringComparer.Ordinal))
            {
                double mean = s.N == 0 ? 0 : s.Sum / s.N;
                double variance = s.N < 2 ? 0 : (s.SumSq - s.N * mean * mean) / (s.N - 1);
                RewardDifference? difference = null;
                if (key != control && s.N >= 2 && baseline.N >= 2)
                {
                    double m0 = baseline.Sum / baseline.N;
                    double v0 = (baseline.SumSq - baseline.N * m0 * m0) / (baseline.N - 1);
                    double diff = mean - m0, se = Math.Sqrt(Math.Max(0, variance) / s.N + Math.Max(0, v0) / baseline.N);
                    double z = se > 0 ? diff / se : 0;
                    difference = new RewardDifference(diff, m0 == 0 ? null : diff / m0, diff - 1.959963984540054 * se, diff + 1.959963984540054 * se,
                        se > 0 ? 2 * (1 - NormalDistribution.Cdf(Math.Abs(z))) : 1);
                }
                variants.Add(new VariantRewards(key, s.N, s.Awaiting, mean, Math.Sqrt(Math.Max(0, variance)), difference));
            }
            if (variants.Count > 0) results.Add(new PointRewards(point, variants));
        }
        return results;
    }

    /// <summary>The variant a logged decision was made under in that experiment (its context's <c>experiment</c>), or null.</summary>
    private static string? VariantOf(string loggedContext, string experimentId)
    {
        if (!loggedContext.Contains("\"experiment\"", StringComparison.Ordinal)) return null;
        using var doc = JsonDocument.Parse(loggedContext);
        return doc.RootElement.TryGetProperty("experiment", out var e) && e.TryGetProperty("id", out var id) && id.GetString() == experimentId
            && e.TryGetProperty("variant", out var v) ? v.GetString() : null;
    }
}

/// <summary>One decision point's rewards per variant of an experiment.</summary>
public sealed record PointRewards(string Point, IReadOnlyList<VariantRewards> Variants);

/// <param name="Decisions">Decisions with their reward (given or the default after the wait).</param>
/// <param name="Awaiting">Decisions whose reward has not come yet.</param>
/// <param name="MeanReward">The mean reward per decision.</param>
/// <param name="Difference">Against the control variant (null for the control itself, or with fewer than two decisions on a side).</param>
public sealed record VariantRewards(string Variant, long Decisions, long Awaiting, double MeanReward, double StandardDeviation, RewardDifference? Difference);

/// <summary>A variant's mean reward minus the control's: absolute, relative, Welch's 95 % interval and two-sided p-value.</summary>
public sealed record RewardDifference(double Absolute, double? Relative, double Low, double High, double PValue);
