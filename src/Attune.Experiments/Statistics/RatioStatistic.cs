namespace Attune.Experiments.Statistics;

/// <summary>
/// A ratio metric, numerator over denominator summed per unit (revenue per order, clicks per session): gbstats
/// <c>RatioStatistic</c>.
/// </summary>
/// <remarks>
/// Mean = Σm / Σd. Variance by the delta method (gbstats <c>utils.variance_of_ratios</c>):
/// var_m/μ_d² + var_d·μ_m²/μ_d⁴ − 2·cov(m, d)·μ_m/μ_d³, and 0 when μ_d = 0 or n ≤ 1.
/// </remarks>
public sealed class RatioStatistic(long n, SumStatistic mStatistic, SumStatistic dStatistic, double mDSumOfProducts) : Statistic(n)
{
    /// <summary>The numerator's statistic.</summary>
    public SumStatistic MStatistic { get; } = mStatistic;

    /// <summary>The denominator's statistic.</summary>
    public SumStatistic DStatistic { get; } = dStatistic;

    /// <summary>Σ m·d over units.</summary>
    public double MDSumOfProducts { get; } = mDSumOfProducts;

    /// <inheritdoc/>
    public override double Mean => DStatistic.Sum == 0 ? 0 : MStatistic.Sum / DStatistic.Sum;

    /// <inheritdoc/>
    public override double Variance => DStatistic.Mean == 0 || N <= 1
        ? 0
        : EffectVariance.VarianceOfRatios(MStatistic.Mean, MStatistic.Variance, DStatistic.Mean, DStatistic.Variance, Covariance);

    /// <summary>cov(m, d) per unit (gbstats <c>compute_covariance</c>).</summary>
    public double Covariance => Cuped.ComputeCovariance(N, MStatistic, DStatistic, MDSumOfProducts);
}
