namespace Attune.Experiments.Statistics;

/// <summary>
/// Welch's one-sided t-test of "treatment is lesser" (gbstats <c>OneSidedTreatmentLesserTTest</c>): p = F_t(t; ν),
/// CI = (−∞, estimate + t_{1−α, ν}·se).
/// </summary>
public sealed class OneSidedTreatmentLesserTTest(Statistic control, Statistic treatment, FrequentistConfig? config = null)
    : TTest(control, treatment, config ?? new FrequentistConfig())
{
    /// <inheritdoc/>
    public override double? PValue => StudentTDistribution.Cdf(CriticalValue, Dof);

    /// <inheritdoc/>
    public override Interval ConfidenceInterval =>
        OneSided(MomentsResult.PointEstimate, StudentTDistribution.Quantile(1 - Alpha, Dof) * MomentsResult.StandardError, lesser: true);
}
