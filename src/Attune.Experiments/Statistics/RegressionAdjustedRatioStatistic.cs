namespace Attune.Experiments.Statistics;

/// <summary>
/// CUPED for ratio metrics: numerator m and denominator d, each before (pre) and during (post) the experiment, with all six
/// cross sums of products: gbstats <c>RegressionAdjustedRatioStatistic</c>.
/// </summary>
/// <remarks>
/// Mean = m_post/d_post − θ·m_pre/d_pre (0 if either denominator sums to 0). Variance = ∇ᵀ Λ ∇ by the delta method, where Λ is
/// the 4×4 covariance of (m_post, d_post, m_pre, d_pre) per unit and ∇ = (1/d̄_post, −m̄_post/d̄_post², −θ/d̄_pre,
/// θ·m̄_pre/d̄_pre²) (0 if a denominator mean is 0). θ null means "estimate it from both arms pooled"
/// (<see cref="Cuped.ComputeThetaRegressionAdjustedRatio"/>).
/// </remarks>
public sealed class RegressionAdjustedRatioStatistic : Statistic
{
    public RegressionAdjustedRatioStatistic(long n, SumStatistic mStatisticPost, SumStatistic dStatisticPost,
        SumStatistic mStatisticPre, SumStatistic dStatisticPre,
        double mPostMPreSumOfProducts, double dPostDPreSumOfProducts, double mPreDPreSumOfProducts,
        double mPostDPostSumOfProducts, double mPostDPreSumOfProducts, double mPreDPostSumOfProducts, double? theta) : base(n)
    {
        if (mStatisticPost.GetType() != mStatisticPre.GetType())
            throw new ArgumentException("m_statistic_post and m_statistic_pre must be of the same type");
        if (dStatisticPost.GetType() != dStatisticPre.GetType())
            throw new ArgumentException("d_statistic_post and d_statistic_pre must be of the same type");
        MStatisticPost = mStatisticPost;
        DStatisticPost = dStatisticPost;
        MStatisticPre = mStatisticPre;
        DStatisticPre = dStatisticPre;
        MPostMPreSumOfProducts = mPostMPreSumOfProducts;
        DPostDPreSumOfProducts = dPostDPreSumOfProducts;
        MPreDPreSumOfProducts = mPreDPreSumOfProducts;
        MPostDPostSumOfProducts = mPostDPostSumOfProducts;
        MPostDPreSumOfProducts = mPostDPreSumOfProducts;
        MPreDPostSumOfProducts = mPreDPostSumOfProducts;
        Theta = theta;
    }

    public SumStatistic MStatisticPost { get; }
    public SumStatistic DStatisticPost { get; }
    public SumStatistic MStatisticPre { get; }
    public SumStatistic DStatisticPre { get; }
    public double MPostMPreSumOfProducts { get; }
    public double DPostDPreSumOfProducts { get; }
    public double MPreDPreSumOfProducts { get; }
    public double MPostDPostSumOfProducts { get; }
    public double MPostDPreSumOfProducts { get; }
    public double MPreDPostSumOfProducts { get; }

    /// <summary>The regression coefficient; null until estimated.</summary>
    public double? Theta { get; }

    /// <summary>A copy with θ set (gbstats <c>dataclasses.replace(stat, theta=…)</c>).</summary>
    public RegressionAdjustedRatioStatistic WithTheta(double? theta) => new(N, MStatisticPost, DStatisticPost, MStatisticPre,
        DStatisticPre, MPostMPreSumOfProducts, DPostDPreSumOfProducts, MPreDPreSumOfProducts, MPostDPostSumOfProducts,
        MPostDPreSumOfProducts, MPreDPostSumOfProducts, theta);

    /// <summary>The unadjusted ratio as gbstats falls back to it when θ is (nearly) 0.</summary>
    public RatioStatistic PostRatio => new(N, MStatisticPost, DStatisticPost, MPostDPostSumOfProducts);

    /// <inheritdoc/>
    public override double Mean => DStatisticPost.Sum == 0 || DStatisticPre.Sum == 0 ? 0 : MeanPost - (Theta ?? 0) * MeanPre;

    /// <summary>Σm_post / Σd_post.</summary>
    public double MeanPost => DStatisticPost.Sum == 0 ? 0 : MStatisticPost.Sum / DStatisticPost.Sum;

    /// <summary>Σm_pre / Σd_pre.</summary>
    public double MeanPre => DStatisticPre.Sum == 0 ? 0 : MStatisticPre.Sum / DStatisticPre.Sum;

    /// <inheritdoc/>
    public override double UnadjustedMean => MeanPost;

    /// <inheritdoc/>
    public override double Variance
    {
        get
        {
            Span<double> nabla = stackalloc double[4];
            Span<double> lambda = stackalloc double[16];
            FillNabla(nabla);
            FillLambda(lambda);
            return QuadraticForm(nabla, lambda, 0, 4, nabla, 0, 4);
        }
    }

    /// <summary>The variance of the pre-period ratio part: ∇[2:4]ᵀ Λ[2:4, 2:4] ∇[2:4].</summary>
    public double VarPre
    {
        get
        {
            Span<double> nabla = stackalloc double[4];
            Span<double> lambda = stackalloc double[16];
            FillNabla(nabla);
            FillLambda(lambda);
            return QuadraticForm(nabla, lambda, 2, 2, nabla, 2, 2);
        }
    }

    /// <summary>The covariance of the pre and post ratio parts: ∇[2:4]ᵀ Λ[2:4, 0:2] ∇[0:2].</summary>
    public double Covariance
    {
        get
        {
            Span<double> nabla = stackalloc double[4];
            Span<double> lambda = stackalloc double[16];
            FillNabla(nabla);
            FillLambda(lambda);
            return QuadraticForm(nabla, lambda, 2, 2, nabla, 0, 2);
        }
    }

    /// <summary>
    /// The gradient of the adjusted ratio in (m̄_post, d̄_post, m̄_pre, d̄_pre): gbstats <c>nabla</c> (the absolute-difference one).
    /// </summary>
    internal void FillNabla(Span<double> nabla)
    {
        double theta = Theta ?? 0;
        double mPost = MStatisticPost.Mean, dPost = DStatisticPost.Mean, mPre = MStatisticPre.Mean, dPre = DStatisticPre.Mean;
        if (dPost == 0 || dPre == 0)
        {
            nabla.Clear();
            return;
        }
        nabla[0] = 1 / dPost;
        nabla[1] = -mPost / Math.Pow(dPost, 2);
        nabla[2] = -theta / dPre;
        nabla[3] = theta * mPre / Math.Pow(dPre, 2);
    }

    /// <summary>Λ, row-major 4×4: the per-unit covariance of (m_post, d_post, m_pre, d_pre) (gbstats <c>lambda_matrix</c>).</summary>
    internal void FillLambda(Span<double> lambda)
    {
        double covMPostDPost = Cuped.ComputeCovariance(N, MStatisticPost, DStatisticPost, MPostDPostSumOfProducts);
        double covMPostMPre = Cuped.ComputeCovariance(N, MStatisticPost, MStatisticPre, MPostMPreSumOfProducts);
        double covMPostDPre = Cuped.ComputeCovariance(N, MStatisticPost, DStatisticPre, MPostDPreSumOfProducts);
        double covDPostMPre = Cuped.ComputeCovariance(N, DStatisticPost, MStatisticPre, MPreDPostSumOfProducts);
        double covDPostDPre = Cuped.ComputeCovariance(N, DStatisticPost, DStatisticPre, DPostDPreSumOfProducts);
        double covMPreDPre = Cuped.ComputeCovariance(N, MStatisticPre, DStatisticPre, MPreDPreSumOfProducts);
        ReadOnlySpan<double> values =
        [
            MStatisticPost.Variance, covMPostDPost, covMPostMPre, covMPostDPre,
            covMPostDPost, DStatisticPost.Variance, covDPostMPre, covDPostDPre,
            covMPostMPre, covDPostMPre, MStatisticPre.Variance, covMPreDPre,
            covMPostDPre, covDPostDPre, covMPreDPre, DStatisticPre.Variance,
        ];
        values.CopyTo(lambda);
    }

    /// <summary>
    /// uᵀ Λ[rows, cols] v for u = left[rowStart..], v = right[colStart..], in numpy's order: first the row vector uᵀΛ, then its dot with v.
    /// </summary>
    internal static double QuadraticForm(ReadOnlySpan<double> left, ReadOnlySpan<double> lambda, int rowStart, int rowCount,
        ReadOnlySpan<double> right, int colStart, int colCount)
    {
        double total = 0;
        for (int j = 0; j < colCount; j++)
        {
            double column = 0;
            for (int i = 0; i < rowCount; i++) column += left[rowStart + i] * lambda[(rowStart + i) * 4 + colStart + j];
            total += column * right[colStart + j];
        }
        return total;
    }
}
