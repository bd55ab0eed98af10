namespace Attune.Experiments.Statistics;

/// <summary>
/// CUPED's shared pieces: per-unit covariances, the pooled θ for mean and ratio metrics, and the θ adjustment every test applies
/// first (gbstats <c>models/statistics.py</c>: <c>compute_covariance</c>, <c>compute_theta</c>,
/// <c>compute_theta_regression_adjusted_ratio</c>, <c>create_joint_statistic</c>, <c>create_theta_adjusted_statistics</c>).
/// </summary>
/// <remarks>θ is estimated once over both arms pooled, so control and treatment are adjusted by the same coefficient.</remarks>
public static class Cuped
{
    /// <summary>
    /// cov(a, b) per unit from sums: (Σab − Σa·Σb/n)/(n − 1), or Σab/n − Σa·Σb/n² when both are proportions; 0 for n ≤ 1.
    /// </summary>
    public static double ComputeCovariance(long n, SumStatistic a, SumStatistic b, double sumOfProducts)
    {
        if (n <= 1) return 0;
        if (a is ProportionStatistic && b is ProportionStatistic)
            return sumOfProducts / n - a.Sum * b.Sum / ((double)n * n);
        return (sumOfProducts - a.Sum * b.Sum / n) / (n - 1);
    }

    /// <summary>
    /// The pooled θ = cov(post, pre)/var(pre) over both arms, or 0 when either pooled variance is 0 (gbstats <c>compute_theta</c>).
    /// </summary>
    public static double ComputeTheta(RegressionAdjustedStatistic a, RegressionAdjustedStatistic b)
    {
        long n = a.N + b.N;
        var jointPost = CreateJointStatistic(a.PostStatistic, b.PostStatistic, n);
        var jointPre = CreateJointStatistic(a.PreStatistic, b.PreStatistic, n);
        if (jointPre.Variance == 0 || jointPost.Variance == 0) return 0;
        var joint = new RegressionAdjustedStatistic(n, jointPost, jointPre, a.PostPreSumOfProducts + b.PostPreSumOfProducts, 0);
        return joint.Covariance / joint.PreStatistic.Variance;
    }

    /// <summary>
    /// The pooled θ for ratio CUPED, −(cov_a + cov_b)/(var_pre_a + var_pre_b) evaluated at θ = 1, or 0 when the pre variances
    /// sum to 0 (gbstats <c>compute_theta_regression_adjusted_ratio</c>).
    /// </summary>
    public static double ComputeThetaRegressionAdjustedRatio(RegressionAdjustedRatioStatistic a, RegressionAdjustedRatioStatistic b)
    {
        // θ = 1 leaves the partial derivatives free of θ.
        var aOne = a.WithTheta(1);
        var bOne = b.WithTheta(1);
        if (aOne.VarPre + bOne.VarPre == 0) return 0;
        return -(aOne.Covariance + bOne.Covariance) / (aOne.VarPre + bOne.VarPre);
    }

    /// <summary>Both arms' statistics as one (sums added, n given): gbstats <c>create_joint_statistic</c>.</summary>
    /// <exception cref="ArgumentException">The arms are of different kinds (a proportion and a mean).</exception>
    public static SumStatistic CreateJointStatistic(SumStatistic a, SumStatistic b, long n) => (a, b) switch
    {
        (ProportionStatistic, ProportionStatistic) => new ProportionStatistic(n, a.Sum + b.Sum),
        (SampleMeanStatistic, SampleMeanStatistic) => new SampleMeanStatistic(n, a.Sum + b.Sum, a.SumSquares + b.SumSquares),
        _ => throw new ArgumentException("Statistic types for a metric must not be different types across variations."),
    };

    /// <summary>
    /// Sets the pooled θ on a pair of CUPED statistics whose θ is not given (gbstats <c>create_theta_adjusted_statistics</c>).
    /// When θ comes out 0 (|θ| &lt; 1e-8 for ratios) there is nothing to adjust by, and the pair falls back to the unadjusted
    /// post-period statistics. Any other pair is returned as it is.
    /// </summary>
    public static (Statistic Control, Statistic Treatment) CreateThetaAdjustedStatistics(Statistic control, Statistic treatment)
    {
        if (control is RegressionAdjustedStatistic a && treatment is RegressionAdjustedStatistic b && (a.Theta is null || b.Theta is null))
        {
            double theta = ComputeTheta(a, b);
            return theta == 0 ? (a.PostStatistic, b.PostStatistic) : (a.WithTheta(theta), b.WithTheta(theta));
        }
        if (control is RegressionAdjustedRatioStatistic ra && treatment is RegressionAdjustedRatioStatistic rb && (ra.Theta is null || rb.Theta is null))
        {
            double theta = ComputeThetaRegressionAdjustedRatio(ra, rb);
            return Math.Abs(theta) < 1e-8 ? (ra.PostRatio, rb.PostRatio) : (ra.WithTheta(theta), rb.WithTheta(theta));
        }
        return (control, treatment);
    }
}
