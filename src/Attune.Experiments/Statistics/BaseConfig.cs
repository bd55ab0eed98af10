namespace Attune.Experiments.Statistics;

/// <summary>Settings every test shares (gbstats <c>models/tests.py</c> <c>BaseConfig</c>); defaults are gbstats'.</summary>
public record BaseConfig
{
    /// <summary>JSON <c>difference_type</c>. <value>The default value is <see cref="DifferenceType.Relative"/>.</value></summary>
    public DifferenceType DifferenceType { get; init; } = DifferenceType.Relative;

    /// <summary>JSON <c>traffic_percentage</c>: the share of traffic in the experiment, for scaled impact. <value>The default value is 1.</value></summary>
    public double TrafficPercentage { get; init; } = 1;

    /// <summary>JSON <c>phase_length_days</c>, for scaled impact. <value>The default value is 1.</value></summary>
    public double PhaseLengthDays { get; init; } = 1;

    /// <summary>JSON <c>total_users</c>: users across all variations, for scaled impact. <value>The default value is null.</value></summary>
    public long? TotalUsers { get; init; }

    /// <summary>JSON <c>alpha</c>: 1 − confidence (frequentist) or 1 − credible-interval mass (Bayesian). <value>The default value is 0.05.</value></summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>
    /// JSON <c>post_stratify</c>. With one control/treatment pair (the only input this engine takes) gbstats' post-stratification
    /// reduces to its single-stratum path (<see cref="PostStratification"/>). <value>The default value is false.</value>
    /// </summary>
    public bool PostStratify { get; init; }
}
