using MathNet.Numerics;

namespace Attune.Experiments.Statistics;

/// <summary>
/// The sample-ratio-mismatch check: did traffic split as configured? (gbstats <c>utils.check_srm</c>). A mismatch means the
/// assignment or the tracking is broken, and the experiment's results should not be trusted.
/// </summary>
/// <remarks>
/// Pearson's χ² goodness of fit, Σ (observed − expected)²/expected over variations with a positive weight, where expected =
/// weight/Σweights × Σusers, against χ² with k − 1 degrees of freedom (k counts every variation, as in gbstats).
/// </remarks>
public static class SampleRatioMismatch
{
    /// <summary>GrowthBook's default: flag a mismatch below this p-value.</summary>
    public const double DefaultThreshold = 0.001;

    /// <summary>The p-value of the observed split; 1 when there are no users.</summary>
    /// <exception cref="ArgumentException">Fewer than two variations, or users and weights of different lengths.</exception>
    public static double PValue(IReadOnlyList<long> users, IReadOnlyList<double> weights)
    {
        if (users.Count != weights.Count) throw new ArgumentException($"{users.Count} user counts but {weights.Count} weights");
        if (users.Count < 2) throw new ArgumentException("the check needs at least two variations");
        long totalObserved = 0;
        double totalWeight = 0;
        for (int i = 0; i < users.Count; i++)
        {
            totalObserved += users[i];
            totalWeight += weights[i];
        }
        if (totalObserved == 0) return 1;
        double x = 0;
        for (int i = 0; i < users.Count; i++)
        {
            if (weights[i] <= 0) continue;
            double expected = weights[i] / totalWeight * totalObserved;
            x += Math.Pow(users[i] - expected, 2) / expected;
        }
        // scipy chi2.sf(x, k) = Q(k/2, x/2), taken directly so small p-values keep their digits.
        return SpecialFunctions.GammaUpperRegularized((users.Count - 1) / 2.0, x / 2);
    }

    /// <summary>True when <paramref name="pValue"/> is below <paramref name="threshold"/>.</summary>
    public static bool IsMismatch(double pValue, double threshold = DefaultThreshold) => pValue < threshold;
}
