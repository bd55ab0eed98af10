namespace Attune.Experiments.Statistics;

/// <summary>
/// gbstats' <c>EffectMomentsPostStratification</c> for the one stratum this engine receives, so that <c>post_stratify: true</c>
/// gives what gbstats gives for a single (control, treatment) pair.
/// </summary>
/// <remarks>
/// With one stratum gbstats' estimator reduces to: drop CUPED when either arm's pre-period variance is not positive
/// (<c>simplify_stats_if_baseline_variance_zero</c>), check variances and baseline, set θ, and compute ordinary moments; if
/// that reports an error, fall back to the moments of the unstratified, θ-adjusted pair.
/// </remarks>
// REVIEW: strata (several pairs summed, the regression estimator over cells) are not implemented: the JSON contract has one pair.
internal static class PostStratification
{
    public static EffectMomentsResult ComputeMoments(Statistic control, Statistic treatment, Statistic adjustedControl,
        Statistic adjustedTreatment, DifferenceType differenceType)
    {
        if (control is QuantileStatistic || treatment is QuantileStatistic)
            throw new ArgumentException("Post-stratification requires summable statistics.");
        var result = SingleStratum(control, treatment, differenceType);
        return result.ErrorMessage is null ? result : new EffectMoments(adjustedControl, adjustedTreatment, differenceType).ComputeResult();
    }

    private static EffectMomentsResult SingleStratum(Statistic control, Statistic treatment, DifferenceType differenceType)
    {
        (control, treatment) = SimplifyIfBaselineVarianceZero(control, treatment);
        if (control.HasZeroVariance || treatment.HasZeroVariance) return EffectMoments.Default(Messages.ZeroNegativeVariance, true);
        if (control.Mean == 0 || control.UnadjustedMean == 0) return EffectMoments.Default(Messages.BaselineVariationZero, true);
        var (a, b) = Cuped.CreateThetaAdjustedStatistics(control, treatment);
        return new EffectMoments(a, b, differenceType).ComputeResult();
    }

    /// <summary>gbstats <c>simplify_stats_if_baseline_variance_zero</c>: CUPED without pre-period variance is the plain metric.</summary>
    private static (Statistic, Statistic) SimplifyIfBaselineVarianceZero(Statistic control, Statistic treatment)
    {
        if (control is RegressionAdjustedStatistic a && treatment is RegressionAdjustedStatistic b
            && (a.PreStatistic.Variance <= 0 || b.PreStatistic.Variance <= 0))
            return (a.PostStatistic, b.PostStatistic);
        if (control is RegressionAdjustedRatioStatistic ra && treatment is RegressionAdjustedRatioStatistic rb
            && (ra.MStatisticPre.Variance <= 0 || rb.MStatisticPre.Variance <= 0 || ra.DStatisticPre.Variance <= 0 || rb.DStatisticPre.Variance <= 0))
            return (ra.PostRatio, rb.PostRatio);
        return (control, treatment);
    }
}
