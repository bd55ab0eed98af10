namespace Attune.Experiments.Statistics;

/// <summary>
/// The effect (treatment − control, absolute or relative) and its variance: gbstats <c>utils.frequentist_diff</c>,
/// <c>utils.frequentist_variance</c>, <c>utils.variance_of_ratios</c> and, in <c>models/tests.py</c>,
/// <c>frequentist_variance_relative_cuped</c>, <c>frequentist_variance_relative_cuped_ratio</c> and
/// <c>frequentist_variance_all_cases</c>.
/// </summary>
public static class EffectVariance
{
    /// <summary>
    /// Absolute: μ_b − μ_a. Relative: (μ_b − μ_a)/|μ_a unadjusted|, so a CUPED lift is still a share of the raw baseline.
    /// </summary>
    public static double Difference(double meanA, double meanB, bool relative, double? meanAUnadjusted = null)
    {
        // gbstats: `if not mean_a_unadjusted: mean_a_unadjusted = mean_a` (None and 0 alike).
        double baseline = meanAUnadjusted is { } u && u != 0 ? u : meanA;
        return relative ? (meanB - meanA) / Math.Abs(baseline) : meanB - meanA;
    }

    /// <summary>
    /// Var of the effect from per-unit variances: var_b/n_b + var_a/n_a (absolute), or the delta method for μ_b/μ_a
    /// (relative): <see cref="VarianceOfRatios"/>(μ_b, var_b/n_b, μ_a, var_a/n_a, 0).
    /// </summary>
    public static double Frequentist(double varA, double meanA, long nA, double varB, double meanB, long nB, bool relative) =>
        relative ? VarianceOfRatios(meanB, varB / nB, meanA, varA / nA, 0) : varB / nB + varA / nA;

    /// <summary>Var(M/D) by the delta method: var_m/μ_d² + var_d·μ_m²/μ_d⁴ − 2·cov·μ_m/μ_d³; 0 when μ_d = 0.</summary>
    public static double VarianceOfRatios(double meanM, double varM, double meanD, double varD, double covMD)
    {
        if (meanD == 0) return 0;
        return varM / Math.Pow(meanD, 2) + varD * Math.Pow(meanM, 2) / Math.Pow(meanD, 4) - 2 * covMD * meanM / Math.Pow(meanD, 3);
    }

    /// <summary>The effect's variance for any pair of statistics: the CUPED relative cases have their own delta methods.</summary>
    public static double AllCases(Statistic a, Statistic b, bool relative)
    {
        if (relative && a is RegressionAdjustedStatistic ra && b is RegressionAdjustedStatistic rb) return RelativeCuped(ra, rb);
        if (relative && a is RegressionAdjustedRatioStatistic qa && b is RegressionAdjustedRatioStatistic qb) return RelativeCupedRatio(qa, qb);
        return Frequentist(a.Variance, a.UnadjustedMean, a.N, b.Variance, b.UnadjustedMean, b.N, relative);
    }

    /// <summary>
    /// Var of (μ_b,adj − μ_a,adj)/μ_a,post by the delta method, with the control's θ for both arms (gbstats
    /// <c>frequentist_variance_relative_cuped</c>); 0 when the baseline mean is 0.
    /// </summary>
    public static double RelativeCuped(RegressionAdjustedStatistic a, RegressionAdjustedStatistic b)
    {
        double denTrt = b.N * Math.Pow(a.UnadjustedMean, 2);
        double denCtrl = a.N * Math.Pow(a.UnadjustedMean, 2);
        if (denTrt == 0 || denCtrl == 0) return 0;
        double theta = a.Theta ?? 0;
        double numTrt = b.PostStatistic.Variance + Math.Pow(theta, 2) * b.PreStatistic.Variance - 2 * theta * b.Covariance;
        double vTrt = numTrt / denTrt;
        double constant = -b.PostStatistic.Mean;
        double numA = a.PostStatistic.Variance * Math.Pow(constant, 2) / Math.Pow(a.PostStatistic.Mean, 2);
        double numB = 2 * theta * a.Covariance * constant / a.PostStatistic.Mean;
        double numC = Math.Pow(theta, 2) * a.PreStatistic.Variance;
        double vCtrl = (numA + numB + numC) / denCtrl;
        return vTrt + vCtrl;
    }

    /// <summary>
    /// Var of the relative lift of two ratio-CUPED statistics: ∇ᵀΛ∇/n per arm with the relative gradient (gbstats
    /// <c>frequentist_variance_relative_cuped_ratio</c>); 0 when the baseline or its denominator mean is 0.
    /// </summary>
    public static double RelativeCupedRatio(RegressionAdjustedRatioStatistic a, RegressionAdjustedRatioStatistic b)
    {
        if (a.UnadjustedMean == 0 || a.DStatisticPost.Mean == 0) return 0;
        // The estimate divides by |baseline|, so the gradient in the control's post terms carries the baseline's sign.
        double gAbs = (b.Mean - a.Mean) * Sign(a.UnadjustedMean);
        double gRelDen = Math.Abs(a.UnadjustedMean);
        double dPost = a.DStatisticPost.Mean, mPost = a.MStatisticPost.Mean;
        double nablaCtrl0 = -(gRelDen + gAbs) / dPost / Math.Pow(gRelDen, 2);
        double nablaCtrl1 = (mPost * gRelDen / Math.Pow(dPost, 2) + mPost * gAbs / Math.Pow(dPost, 2)) / Math.Pow(gRelDen, 2);

        Span<double> nablaA = stackalloc double[4];
        Span<double> nablaB = stackalloc double[4];
        Span<double> lambda = stackalloc double[16];
        a.FillNabla(nablaA);
        b.FillNabla(nablaB);
        nablaA[2] = -nablaA[2] / gRelDen;
        nablaA[3] = -nablaA[3] / gRelDen;
        nablaA[0] = nablaCtrl0;
        nablaA[1] = nablaCtrl1;
        for (int i = 0; i < 4; i++) nablaB[i] /= gRelDen;

        a.FillLambda(lambda);
        double varA = RegressionAdjustedRatioStatistic.QuadraticForm(nablaA, lambda, 0, 4, nablaA, 0, 4) / a.N;
        b.FillLambda(lambda);
        double varB = RegressionAdjustedRatioStatistic.QuadraticForm(nablaB, lambda, 0, 4, nablaB, 0, 4) / b.N;
        return varA + varB;
    }

    /// <summary>numpy's <c>sign</c>: −1, 0 or 1, and NaN for NaN (<c>Math.Sign</c> throws there).</summary>
    private static double Sign(double x) => x > 0 ? 1 : x < 0 ? -1 : x;
}
