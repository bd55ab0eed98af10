namespace Attune.Experiments.Statistics;

/// <summary>Settings of the Bayesian tests (gbstats <c>BayesianConfig</c>).</summary>
public record BayesianConfig : BaseConfig
{
    /// <summary>JSON <c>inverse</c>: lower is better (chance to win and risk flip). <value>The default value is false.</value></summary>
    public bool Inverse { get; init; }

    /// <summary>JSON <c>prior_type</c>: what the prior's numbers are about. <value>The default value is <see cref="PriorType.Relative"/>.</value></summary>
    public PriorType PriorType { get; init; } = PriorType.Relative;
}
