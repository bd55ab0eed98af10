namespace Attune.Experiments.Assignment;

/// <summary>
/// A feature (flag) as the GrowthBook SDK payload defines it: a default value and rules tried in order. The first rule that
/// applies decides the value: a force rule (optionally a percentage rollout) or an experiment rule (a variation).
/// </summary>
public sealed record FeatureDefinition
{
    /// <summary>The value when no rule applies. The default value is null.</summary>
    public AttributeValue DefaultValue { get; init; }
    public IReadOnlyList<FeatureRule> Rules { get; init; } = [];
}

/// <summary>One rule of a feature. With <see cref="Force"/> it is a force or rollout rule, with <see cref="Variations"/> an experiment rule.</summary>
public sealed record FeatureRule
{
    /// <summary>Reported as <c>ruleId</c> when this rule decides.</summary>
    public string? Id { get; init; }
    public Condition? Condition { get; init; }
    public IReadOnlyList<ParentCondition>? ParentConditions { get; init; }
    public IReadOnlyList<HashFilter>? Filters { get; init; }
    /// <summary>The value a force rule gives (null = not a force rule; <c>AttributeValue.Null</c> forces null).</summary>
    public AttributeValue? Force { get; init; }
    /// <summary>Force rules: the share of people included (hashed on <see cref="HashAttribute"/>), a rollout. Experiment rules: coverage.</summary>
    public double? Coverage { get; init; }
    /// <summary>Force rules: the hash range included (overrides <see cref="Coverage"/>).</summary>
    public BucketRange? Range { get; init; }
    public IReadOnlyList<AttributeValue>? Variations { get; init; }
    /// <summary>The variations came as <c>contextualVariations</c> (a contextual-bandit rule).</summary>
    public bool ContextualVariations { get; init; }
    public IReadOnlyList<double>? Weights { get; init; }
    /// <summary>The experiment key. The default value is the feature key.</summary>
    public string? Key { get; init; }
    public string? HashAttribute { get; init; }
    public string? FallbackAttribute { get; init; }
    public bool DisableStickyBucketing { get; init; }
    public int? BucketVersion { get; init; }
    public int? MinBucketVersion { get; init; }
    public IReadOnlyList<BucketRange>? Ranges { get; init; }
    public IReadOnlyList<VariationMeta>? Meta { get; init; }
    public Namespace? Namespace { get; init; }
    /// <summary>The hash seed. The default value is the feature key (force rules) or the experiment key.</summary>
    public string? Seed { get; init; }
    public string? Name { get; init; }
    public string? Phase { get; init; }
    /// <summary>The default value is 1.</summary>
    public int? HashVersion { get; init; }
    /// <summary>A contextual bandit (in <see cref="FeatureSet.ContextualBandits"/>) that routes people to per-leaf weights.</summary>
    public string? ContextualBanditRef { get; init; }
}

/// <summary>A contextual bandit: leaves tried in order; the first whose condition passes gives the weights.</summary>
public sealed record ContextualBanditDefinition(IReadOnlyList<ContextualBanditLeaf> Contexts, AttributeValue? BanditVersion = null);

public sealed record ContextualBanditLeaf(int LeafId, Condition? Condition, IReadOnlyList<double> Weights);

/// <summary>Why a feature has its value (the SDKs' <c>source</c>; see <see cref="FeatureSources"/> for the wire names).</summary>
public enum FeatureSource
{
    UnknownFeature,
    DefaultValue,
    Force,
    Experiment,
    Override,
    Prerequisite,
    CyclicPrerequisite,
}

public static class FeatureSources
{
    /// <summary>unknownFeature, defaultValue, force, experiment, override, prerequisite, cyclicPrerequisite.</summary>
    public static string WireName(this FeatureSource source) => source switch
    {
        FeatureSource.UnknownFeature => "unknownFeature",
        FeatureSource.DefaultValue => "defaultValue",
        FeatureSource.Force => "force",
        FeatureSource.Experiment => "experiment",
        FeatureSource.Override => "override",
        FeatureSource.Prerequisite => "prerequisite",
        _ => "cyclicPrerequisite",
    };
}

/// <summary>A feature's value for one person and why.</summary>
public sealed class FeatureResult
{
    public required AttributeValue Value { get; init; }
    public required FeatureSource Source { get; init; }
    /// <summary>The deciding rule's id ("" when none or when it has none).</summary>
    public string RuleId { get; init; } = "";
    /// <summary>The experiment run by the deciding experiment rule.</summary>
    public Experiment? Experiment { get; init; }
    public ExperimentResult? ExperimentResult { get; init; }
    /// <summary>Whether the value is truthy (JavaScript rules: false, 0, "", null are off).</summary>
    public bool On => Value.IsTruthy;
    public bool Off => !Value.IsTruthy;
}

/// <summary>Who is being evaluated, and the per-request switches of the SDK context.</summary>
public sealed class EvaluationContext
{
    /// <summary>The person's attributes (<c>id</c>, <c>anonymousId</c>, country…). Not changed by evaluation.</summary>
    public Attributes Attributes { get; init; } = Attributes.Empty;
    /// <summary>Experiment key → variation index, bypassing the hash (QA).</summary>
    public IReadOnlyDictionary<string, int>? ForcedVariations { get; init; }
    /// <summary>Feature key → value, bypassing the rules (source "override").</summary>
    public IReadOnlyDictionary<string, AttributeValue>? ForcedFeatureValues { get; init; }
    /// <summary>QA mode: nobody is hashed into experiments (forced variations still apply).</summary>
    public bool QaMode { get; init; }
    /// <summary>false: every experiment gives its first variation, not in the experiment. The default value is true.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>The page URL, for <c>?experiment-key=1</c> query-string overrides (null on the server usually).</summary>
    public string? Url { get; init; }
    /// <summary>Sticky bucketing (also what makes <see cref="Experiment.FallbackAttribute"/> count); null = off.</summary>
    public IStickyBucketService? StickyBucketService { get; init; }
}
