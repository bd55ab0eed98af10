namespace Attune.Experiments.Statistics;

/// <summary>Settings of <see cref="EffectBayesianABTest"/> (gbstats <c>EffectBayesianConfig</c>).</summary>
public record EffectBayesianConfig : BayesianConfig
{
    /// <summary>JSON <c>prior_effect</c>. <value>The default value is an improper flat prior (mean 0, variance 1).</value></summary>
    public GaussianPrior PriorEffect { get; init; } = new();
}
