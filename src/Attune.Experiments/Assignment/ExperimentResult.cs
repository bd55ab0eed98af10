namespace Attune.Experiments.Assignment;

/// <summary>
/// The outcome of running an experiment for one person: which variation, whether they are really in it (an exposure to log)
/// and what the assignment was hashed on. When <see cref="InExperiment"/> is false the person gets the first variation and
/// nothing should be logged.
/// </summary>
public sealed class ExperimentResult
{
    /// <summary>Whether the person takes part (log an exposure only then).</summary>
    public required bool InExperiment { get; init; }
    /// <summary>The variation index (0 when not in the experiment).</summary>
    public required int VariationId { get; init; }
    /// <summary>The variation's key: its meta key, or the index as text ("0", "1", …).</summary>
    public required string Key { get; init; }
    public required AttributeValue Value { get; init; }
    /// <summary>Whether the variation came from the hash (false when forced, or when not in the experiment).</summary>
    public required bool HashUsed { get; init; }
    /// <summary>The attribute hashed (the fallback attribute when that was used).</summary>
    public required string HashAttribute { get; init; }
    /// <summary>Its value ("" when the person has none).</summary>
    public required AttributeValue HashValue { get; init; }
    /// <summary>The feature whose rule ran this experiment, or null for a direct run.</summary>
    public string? FeatureId { get; init; }
    /// <summary>The hash in [0, 1) that chose the variation; null when it was not computed.</summary>
    public double? Bucket { get; init; }
    /// <summary>Whether a stored sticky assignment decided the variation.</summary>
    public bool StickyBucketUsed { get; init; }
    /// <summary>The variation's meta name.</summary>
    public string? Name { get; init; }
    /// <summary>A passthrough variation: the feature rule falls through to the next one.</summary>
    public bool Passthrough { get; init; }
    /// <summary>Contextual bandits only: the leaf and the weights it used.</summary>
    public int? LeafId { get; init; }
    public IReadOnlyList<double>? VariationWeights { get; init; }
    public AttributeValue? BanditVersion { get; init; }
}
