namespace Attune.Experiments.Statistics;

/// <summary>Settings of the sequential (always-valid) t-tests (gbstats <c>SequentialConfig</c>).</summary>
public record SequentialConfig : FrequentistConfig
{
    /// <summary>
    /// JSON <c>sequential_tuning_parameter</c>, N*: the total sample size at which the confidence sequence is tightest
    /// (it sets ρ, <see cref="ConfidenceSequence.Rho"/>). <value>The default value is 5000.</value>
    /// </summary>
    public double SequentialTuningParameter { get; init; } = 5000;

    /// <summary>JSON <c>rho</c>: ρ given directly instead of from N*. <value>The default value is null (from N*).</value></summary>
    public double? Rho { get; init; }
}
