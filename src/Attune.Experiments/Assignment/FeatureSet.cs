namespace Attune.Experiments.Assignment;

/// <summary>
/// A compiled set of features (the SDK payload: features, saved groups, contextual bandits), immutable and safe to share
/// across threads: swap a new one in when definitions change. Experiment rules are turned into <see cref="Experiment"/>s
/// once here, not per evaluation.
/// </summary>
public sealed class FeatureSet
{
    private readonly Dictionary<string, CompiledFeature> _features;

    public FeatureSet(IReadOnlyDictionary<string, FeatureDefinition> features, SavedGroups? savedGroups = null,
        IReadOnlyDictionary<string, ContextualBanditDefinition>? contextualBandits = null)
    {
        Definitions = features;
        SavedGroups = savedGroups ?? SavedGroups.Empty;
        ContextualBandits = contextualBandits ?? new Dictionary<string, ContextualBanditDefinition>();
        _features = new Dictionary<string, CompiledFeature>(features.Count, StringComparer.Ordinal);
        foreach (var (key, def) in features) _features[key] = new CompiledFeature(key, def, ContextualBandits);
    }

    public static FeatureSet Empty { get; } = new(new Dictionary<string, FeatureDefinition>());

    public IReadOnlyDictionary<string, FeatureDefinition> Definitions { get; }
    public SavedGroups SavedGroups { get; }
    public IReadOnlyDictionary<string, ContextualBanditDefinition> ContextualBandits { get; }

    public IEnumerable<string> Keys => _features.Keys;

    /// <summary>The feature's value for the person in <paramref name="context"/>.</summary>
    public FeatureResult Evaluate(string key, EvaluationContext context) => Assigner.EvalFeature(this, key, context);

    /// <summary>Runs an experiment with this set's saved groups and features (for prerequisites).</summary>
    public ExperimentResult Run(Experiment experiment, EvaluationContext context) => Assigner.Run(experiment, context, this);

    internal CompiledFeature? Get(string key) => _features.GetValueOrDefault(key);
}

internal sealed class CompiledFeature
{
    public CompiledFeature(string key, FeatureDefinition def, IReadOnlyDictionary<string, ContextualBanditDefinition> bandits)
    {
        Key = key;
        DefaultValue = def.DefaultValue;
        Rules = [.. def.Rules.Select(r => new CompiledRule(key, r, bandits))];
    }

    public string Key { get; }
    public AttributeValue DefaultValue { get; }
    public CompiledRule[] Rules { get; }
}

/// <summary>A rule with its experiment built (and, for a contextual bandit, one experiment per leaf).</summary>
internal sealed class CompiledRule
{
    public CompiledRule(string featureKey, FeatureRule rule, IReadOnlyDictionary<string, ContextualBanditDefinition> bandits)
    {
        Rule = rule;
        ForceSeed = string.IsNullOrEmpty(rule.Seed) ? featureKey : rule.Seed;
        if (rule.Force is not null || rule.Variations is null) return;
        Experiment = new Experiment
        {
            Key = string.IsNullOrEmpty(rule.Key) ? featureKey : rule.Key,
            Variations = rule.Variations,
            Coverage = rule.Coverage,
            Weights = rule.Weights,
            HashAttribute = NonEmpty(rule.HashAttribute),
            FallbackAttribute = NonEmpty(rule.FallbackAttribute),
            DisableStickyBucketing = rule.DisableStickyBucketing,
            BucketVersion = rule.BucketVersion,
            MinBucketVersion = rule.MinBucketVersion,
            Namespace = rule.Namespace,
            Meta = rule.Meta,
            Ranges = rule.Ranges,
            Name = NonEmpty(rule.Name),
            Phase = NonEmpty(rule.Phase),
            Seed = NonEmpty(rule.Seed),
            HashVersion = rule.HashVersion is 0 ? null : rule.HashVersion,
            Filters = rule.Filters,
            Condition = rule.Condition,
        };
        if (rule.ContextualBanditRef is not { } banditRef || !bandits.TryGetValue(banditRef, out var bandit)) return;
        // A contextual bandit: the first leaf whose condition passes gives the weights; none → the rule's own (leaf -1).
        Leaves = [.. bandit.Contexts.Select(leaf => new BanditLeaf(leaf.Condition,
            Experiment with { Weights = leaf.Weights, ContextualBandit = new(leaf.LeafId, leaf.Weights, bandit.BanditVersion) },
            Experiment with { Weights = leaf.Weights }))];
        FallbackLeaf = new BanditLeaf(null,
            Experiment with { ContextualBandit = new(-1, Experiment.Weights ?? Bucketing.GetEqualWeights(Experiment.Variations.Count), bandit.BanditVersion) },
            Experiment);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public FeatureRule Rule { get; }
    /// <summary>Force rules hash on the rule's seed or the feature key.</summary>
    public string ForceSeed { get; }
    /// <summary>Experiment rules: the experiment (without contextual-bandit routing).</summary>
    public Experiment? Experiment { get; }
    public BanditLeaf[]? Leaves { get; }
    public BanditLeaf? FallbackLeaf { get; }
}

/// <param name="Routed">The experiment with the leaf's weights and bandit metadata (reported when the person is hashed in).</param>
/// <param name="Plain">The same without bandit metadata (reported otherwise).</param>
internal sealed record BanditLeaf(Condition? Condition, Experiment Routed, Experiment Plain);
