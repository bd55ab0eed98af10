namespace Attune.Experiments.Statistics;

/// <summary>
/// Welch's one-sided t-test of "treatment is greater" (gbstats <c>OneSidedTreatmentGreaterTTest</c>): p = 1 − F_t(t; ν),
/// CI = (estimate − t_{1−α, ν}·se, ∞). GrowthBook runs it for inverse metrics, where lower is better.
/// </summary>
public sealed class OneSidedTreatmentGreaterTTest(Statistic control, Statistic treatment, FrequentistConfig? config = null)
    : TTest(control, treatment, config ?? new FrequentistConfig())
{
    /// <inheritdoc/>
    public override double? PValue => 1 - StudentTDistribution.Cdf(CriticalValue, Dof);

    /// <inheritdoc/>
    public override Interval ConfidenceInterval =>
        OneSided(MomentsResult.PointEstimate, StudentTDistribution.Quantile(1 - Alpha, Dof) * MomentsResult.StandardError, lesser: false);
}
