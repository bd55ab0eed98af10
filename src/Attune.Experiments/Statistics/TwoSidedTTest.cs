namespace Attune.Experiments.Statistics;

/// <summary>
/// Welch's two-sided t-test (gbstats <c>TwoSidedTTest</c>): p = 2·(1 − F_t(|t|; ν)), CI = estimate ± t_{1−α/2, ν}·se.
/// </summary>
public sealed class TwoSidedTTest(Statistic control, Statistic treatment, FrequentistConfig? config = null)
    : TTest(control, treatment, config ?? new FrequentistConfig())
{
    /// <inheritdoc/>
    public override double? PValue => 2 * (1 - StudentTDistribution.Cdf(Math.Abs(CriticalValue), Dof));

    /// <inheritdoc/>
    public override Interval ConfidenceInterval =>
        TwoSided(MomentsResult.PointEstimate, StudentTDistribution.Quantile(1 - Alpha / 2, Dof) * MomentsResult.StandardError);
}
