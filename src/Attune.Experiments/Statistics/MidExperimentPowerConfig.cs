namespace Attune.Experiments.Statistics;

/// <summary>Settings of <see cref="MidExperimentPower"/> (gbstats <c>MidExperimentPowerConfig</c>); defaults are gbstats'.</summary>
public sealed record MidExperimentPowerConfig
{
    /// <summary>The power to reach. <value>The default value is 0.8.</value></summary>
    public double TargetPower { get; init; } = 0.8;

    /// <summary>The minimum detectable effect, on the test's scale (relative: 0.01 = 1%). <value>The default value is 0.01.</value></summary>
    public double TargetMde { get; init; } = 0.01;

    /// <summary>Goal metrics; each must be powered, so the per-metric power is target^(1/k). <value>The default value is 1.</value></summary>
    public int NumGoalMetrics { get; init; } = 1;

    /// <summary>Variations including control. <value>The default value is 2.</value></summary>
    public int NumVariations { get; init; } = 2;

    /// <summary>The Bayesian prior, or null for frequentist analyses. <value>The default value is an improper flat prior.</value></summary>
    public GaussianPrior? PriorEffect { get; init; } = new();

    /// <summary>Bonferroni-split alpha over (variations − 1) × goal metrics. <value>The default value is false.</value></summary>
    public bool PValueCorrected { get; init; }

    /// <summary>Sequential testing: power from the confidence sequence's halfwidth. <value>The default value is false.</value></summary>
    public bool Sequential { get; init; }

    /// <summary>N* of the sequential test. <value>The default value is 5000.</value></summary>
    public double SequentialTuningParameter { get; init; } = 5000;
}
