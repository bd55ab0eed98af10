using Attune.Serving.Scenarios;
using Attune.Serving.Sources;

namespace Attune.Serving.Recipes;

/// <summary>
/// One scenario of a recipe, checked and ready for the pipeline: its sources as registry indexes with weights, guardrail
/// switches, diversity, pool sizes and rule sets. Immutable; built once when a recipe changes, never per request.
/// </summary>
public sealed class CompiledScenario
{
    internal CompiledScenario(string name, ScenarioOptions options, (int Source, float Weight)[] sources, bool[]? restrictTo,
        IReadOnlyDictionary<string, float> weights)
    {
        Name = name;
        Options = options;
        Sources = sources;
        RestrictTo = restrictTo;
        Weights = weights;
    }

    public string Name { get; }

    /// <summary>The weights are the shipped or configured ones: a model version's tuned blend replaces them (<see cref="TunedBlend"/>).</summary>
    internal bool FollowsTuning => Options.ShippedSources;

    /// <summary>The resolved settings this was compiled from (what <c>GET /v1/recipes/{name}</c> shows).</summary>
    public ScenarioOptions Options { get; }

    /// <summary>Source name → weight, the sources with a weight above 0.</summary>
    public IReadOnlyDictionary<string, float> Weights { get; }

    internal (int Source, float Weight)[] Sources { get; }

    /// <summary>When set, only items the flagged sources scored are candidates (indexed by source).</summary>
    internal bool[]? RestrictTo { get; }

    public string Description => Options.Description;
    public AnchorKind Anchor => Options.Anchor;
    public bool RequireItem => Options.RequireItem;
    public bool ExcludeAnchors => Options.ExcludeAnchors;
    public bool ExcludeAnchorCategories => Options.ExcludeAnchorCategories;
    public bool ExcludePurchased => Options.ExcludePurchased;
    public double Diversity => Options.Diversity;
    public double MaxCategoryShare => Options.MaxCategoryShare;
    public double MaxBrandShare => Options.MaxBrandShare;
    public int DefaultCount => Options.DefaultCount;
    public PoolSizes Pool => Options.Pool;
    /// <summary>The learned ranker that re-orders the best candidates, or null.</summary>
    public string? Ranker => Options.Ranker;
    /// <summary>How many of the blend's best the ranker re-orders (null: as many as the answer holds).</summary>
    public int? Rerank => Options.Rerank;
    /// <summary>The chance per slot of showing one of the blend's next best instead.</summary>
    public double Exploration => Options.Exploration;

    /// <summary>Whether a rule of <paramref name="ruleSet"/> (null = the default set) applies here.</summary>
    public bool UsesRuleSet(string? ruleSet)
    {
        var sets = Options.RuleSets;
        if (sets is null) return true;
        string set = ruleSet ?? Rules.BusinessRule.DefaultSet;
        foreach (string s in sets) if (string.Equals(s, set, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private CompiledScenario? _ranking;

    /// <summary>The same blend as <c>/v1/rank</c> uses it: no diversity, no caps, no personal exclusions.</summary>
    internal CompiledScenario Ranking => _ranking ??= new CompiledScenario(Name, Options.Clone(o =>
    {
        o.ExcludeAnchors = false;
        o.ExcludeAnchorCategories = false;
        o.ExcludePurchased = false;
        o.MaxCategoryShare = 1;
        o.MaxBrandShare = 1;
        o.Diversity = 0;
        o.Ranker = null;
        o.Exploration = 0;
    }), Sources, restrictTo: null, Weights);
}
