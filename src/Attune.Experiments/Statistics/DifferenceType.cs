namespace Attune.Experiments.Statistics;

/// <summary>What "effect" means (gbstats <c>DifferenceType</c>; JSON <c>"relative"</c>, <c>"absolute"</c>, <c>"scaled"</c>).</summary>
public enum DifferenceType
{
    /// <summary>(treatment − control)/|control|: a lift, "+3.2%".</summary>
    Relative,

    /// <summary>treatment − control, in the metric's unit.</summary>
    Absolute,

    /// <summary>The absolute effect times daily users (total users / (traffic share × phase days)): the impact per day.</summary>
    Scaled,
}
