namespace Attune.Experiments.Statistics;

/// <summary>Whether a Bayesian prior is on the relative or the absolute effect (gbstats <c>prior_type</c>; JSON <c>"relative"</c>, <c>"absolute"</c>).</summary>
public enum PriorType
{
    Relative,
    Absolute,
}
