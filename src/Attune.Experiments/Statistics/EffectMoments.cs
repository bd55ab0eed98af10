namespace Attune.Experiments.Statistics;

/// <summary>
/// Point estimate and standard error of the effect of treatment over control, with gbstats' checks that make a test impossible
/// (gbstats <c>models/tests.py</c> <c>EffectMoments</c>).
/// </summary>
/// <remarks>
/// Checks, in gbstats' order: a zero or negative variance in either arm or of the effect → ZERO_NEGATIVE_VARIANCE; a control
/// mean (adjusted or not) of 0 → ZERO_NEGATIVE_BASELINE_VARIATION, for absolute differences too; CUPED in one arm only.
/// </remarks>
public sealed class EffectMoments(Statistic control, Statistic treatment, DifferenceType differenceType)
{
    private readonly bool _relative = differenceType == DifferenceType.Relative;

    /// <summary>The effect: <see cref="EffectVariance.Difference"/> on the (adjusted) means, relative to the unadjusted baseline.</summary>
    public double PointEstimate => EffectVariance.Difference(control.Mean, treatment.Mean, _relative, control.UnadjustedMean);

    /// <summary>The effect's variance (<see cref="EffectVariance.AllCases"/>).</summary>
    public double Variance => EffectVariance.AllCases(control, treatment, _relative);

    /// <summary>The moments, or gbstats' default output naming why there are none.</summary>
    public EffectMomentsResult ComputeResult()
    {
        if (control.HasZeroVariance || treatment.HasZeroVariance || Variance <= 0) return Default(Messages.ZeroNegativeVariance);
        if (control.Mean == 0) return Default(Messages.BaselineVariationZero);
        if (control.UnadjustedMean == 0) return Default(Messages.BaselineVariationZero);
        if (control is RegressionAdjustedStatistic && treatment is not RegressionAdjustedStatistic)
            return Default(Messages.ControlRegressionAdjustedOnly);
        if (treatment is RegressionAdjustedStatistic && control is not RegressionAdjustedStatistic)
            return Default(Messages.TreatmentRegressionAdjustedOnly);
        return new EffectMomentsResult(PointEstimate, Math.Sqrt(Variance), control.N + treatment.N, null, false);
    }

    internal static EffectMomentsResult Default(string message, bool postStratificationApplied = false) =>
        new(0, 0, 0, message, postStratificationApplied);
}
