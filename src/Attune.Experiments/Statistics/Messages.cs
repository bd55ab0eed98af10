namespace Attune.Experiments.Statistics;

/// <summary>
/// The error strings gbstats puts in a result's <c>errorMessage</c> / <c>pValueErrorMessage</c> (gbstats <c>messages.py</c> and
/// <c>models/results.py</c>): part of the JSON contract, so spelled exactly as gbstats spells them.
/// </summary>
public static class Messages
{
    /// <summary>A variation has a zero or negative variance (n &lt; 2, constant values, inconsistent sums).</summary>
    public const string ZeroNegativeVariance = "ZERO_NEGATIVE_VARIANCE";

    /// <summary>The control's mean is 0, so there is no relative lift (or an informative relative prior cannot be scaled).</summary>
    public const string BaselineVariationZero = "ZERO_NEGATIVE_BASELINE_VARIATION";

    /// <summary>A scaled-impact result without users.</summary>
    public const string NoUnitsInVariation = "NO_UNITS_IN_VARIATION";

    /// <summary>A scaled-impact result with a zero phase length or traffic share.</summary>
    public const string ZeroScaledVariation = "ZERO_SCALED_VARIATION_WEIGHT";

    /// <summary>pValueErrorMessage: a sequential one-sided test asked for alpha ≥ 0.5.</summary>
    public const string SequentialOneSidedAlphaTooBig = "ALPHA_GREATER_THAN_0.5_FOR_SEQUENTIAL_ONE_SIDED_TEST";

    /// <summary>pValueErrorMessage: the sequential one-sided p-value search did not converge.</summary>
    public const string NumericalPValueNotConverged = "NUMERICAL_PVALUE_NOT_CONVERGED";

    /// <summary>Control is CUPED and treatment is not.</summary>
    public const string ControlRegressionAdjustedOnly = "If stat_a is a RegressionAdjustedStatistic, stat_b must be as well";

    /// <summary>Treatment is CUPED and control is not.</summary>
    public const string TreatmentRegressionAdjustedOnly = "If stat_b is a RegressionAdjustedStatistic, stat_a must be as well";

    /// <summary>Frequentist scaled impact of a ratio or quantile metric (gbstats' frequentist wording, with the full stop).</summary>
    public const string FrequentistScaledImpactIneligible =
        "For scaled impact the statistic must be of type ProportionStatistic, SampleMeanStatistic, or RegressionAdjustedStatistic.";

    /// <summary>Bayesian scaled impact of a ratio or quantile metric (gbstats' Bayesian wording, without the full stop).</summary>
    public const string BayesianScaledImpactIneligible =
        "For scaled impact the statistic must be of type ProportionStatistic, SampleMeanStatistic, or RegressionAdjustedStatistic";
}
