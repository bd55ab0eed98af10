namespace Attune.Experiments.Statistics;

/// <summary>
/// CUPED: a mean or proportion metric adjusted by the same units' pre-exposure value: gbstats
/// <c>RegressionAdjustedStatistic</c>.
/// </summary>
/// <remarks>
/// Mean = post mean − θ·pre mean; variance = var_post + θ²·var_pre − 2θ·cov(post, pre). θ null means "estimate it from both
/// arms pooled" (<see cref="Cuped.ComputeTheta"/>, done when a test starts); null and 0 both mean no adjustment here.
/// </remarks>
public sealed class RegressionAdjustedStatistic : Statistic
{
    public RegressionAdjustedStatistic(long n, SumStatistic postStatistic, SumStatistic preStatistic, double postPreSumOfProducts, double? theta)
        : base(n)
    {
        if (postStatistic.GetType() != preStatistic.GetType())
            throw new ArgumentException("post_statistic and pre_statistic must be of the same type");
        PostStatistic = postStatistic;
        PreStatistic = preStatistic;
        PostPreSumOfProducts = postPreSumOfProducts;
        Theta = theta;
    }

    /// <summary>The metric during the experiment.</summary>
    public SumStatistic PostStatistic { get; }

    /// <summary>The same metric (or a covariate) before exposure.</summary>
    public SumStatistic PreStatistic { get; }

    /// <summary>Σ post·pre over units.</summary>
    public double PostPreSumOfProducts { get; }

    /// <summary>The regression coefficient; null until estimated.</summary>
    public double? Theta { get; }

    /// <summary>A copy with θ set (gbstats <c>dataclasses.replace(stat, theta=…)</c>).</summary>
    public RegressionAdjustedStatistic WithTheta(double? theta) => new(N, PostStatistic, PreStatistic, PostPreSumOfProducts, theta);

    private double ThetaOrZero => Theta ?? 0;

    /// <inheritdoc/>
    public override double Mean => PostStatistic.Mean - ThetaOrZero * PreStatistic.Mean;

    /// <inheritdoc/>
    public override double UnadjustedMean => PostStatistic.Mean;

    /// <inheritdoc/>
    public override double Variance => N <= 1
        ? 0
        : PostStatistic.Variance + Math.Pow(ThetaOrZero, 2) * PreStatistic.Variance - 2 * ThetaOrZero * Covariance;

    /// <summary>cov(post, pre) per unit.</summary>
    public double Covariance => Cuped.ComputeCovariance(N, PostStatistic, PreStatistic, PostPreSumOfProducts);
}
