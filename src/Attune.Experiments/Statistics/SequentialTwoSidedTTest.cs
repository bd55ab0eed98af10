namespace Attune.Experiments.Statistics;

/// <summary>
/// The two-sided always-valid test (gbstats <c>SequentialTwoSidedTTest</c>): CI = estimate ± eq. 9 halfwidth; p = min(1, 1/E)
/// with the e-value E = exp(ρ²·S²/(2(nρ² + 1)))/√(nρ² + 1), S² = (estimate − test value)²·n/se² (eq. 155).
/// </summary>
public sealed class SequentialTwoSidedTTest(Statistic control, Statistic treatment, SequentialConfig? config = null)
    : SequentialTTest(control, treatment, config ?? new SequentialConfig())
{
    /// <summary>The eq. 9 halfwidth at this test's n and alpha.</summary>
    public double Halfwidth => ConfidenceSequence.TwoSidedHalfwidth(UnitVariance(MomentsResult, N), N, Alpha, Rho);

    /// <inheritdoc/>
    public override Interval ConfidenceInterval => TwoSided(MomentsResult.PointEstimate, Halfwidth);

    /// <inheritdoc/>
    public override double? PValue
    {
        get
        {
            double rho2 = Math.Pow(Rho, 2);
            double st2 = Math.Pow(MomentsResult.PointEstimate - TestValue, 2) * N / Math.Pow(MomentsResult.StandardError, 2);
            double tr2p1 = N * rho2 + 1;
            double evalue = Math.Exp(rho2 * st2 / (2 * tr2p1)) / Math.Sqrt(tr2p1);
            return Math.Min(1 / evalue, 1);
        }
    }
}
