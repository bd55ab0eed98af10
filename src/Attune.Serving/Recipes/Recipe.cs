using Attune.Serving.Scenarios;

namespace Attune.Serving.Recipes;

/// <summary>
/// A serving configuration as a named, versioned value: per scenario, which sources with which weights, diversity, candidate
/// pool sizes and rule sets, and which model version serves it (null = the active one). A recipe holds only what it
/// changes: scenarios and settings it does not name are taken from the default recipe (the shipped scenarios with the
/// configuration laid over them, and a stored <c>default</c> recipe over those). Stored as a document of kind
/// <see cref="RecipeBook.Kind"/>; every version is kept (<see cref="RecipeBook.VersionKind"/>).
/// </summary>
public sealed record Recipe
{
    /// <summary>The recipe every request uses unless it names another.</summary>
    public const string DefaultName = "default";

    /// <summary>The shipped control of the global holdout and of "is personalization worth it?" experiments.</summary>
    public const string NonPersonalName = "non-personal";

    /// <summary>
    /// The shipped non-personal recipe: every scenario without the person's history or taste (no factor model, no session
    /// model, no "because you viewed"): popularity in the request's context and trending for the home page, item-to-item
    /// lists for item pages and carts (the same for everyone looking at that item). A stored recipe of the same name replaces it.
    /// </summary>
    public static Recipe NonPersonal { get; } = new()
    {
        Name = NonPersonalName,
        Description = "Shipped: the same answer for everyone in the same context (popularity, trending, item-to-item); the holdout's control",
        Scenarios = new(StringComparer.OrdinalIgnoreCase)
        {
            ["for-you"] = new() { Sources = new() { ["popularity"] = 1f, ["trending"] = 0.05f } },
            ["similar"] = new() { Sources = new() { ["viewed"] = 1f, ["content"] = 0.5f, ["popularity"] = 0.02f } },
            ["complementary"] = new() { Sources = new() { ["bought"] = 1f, ["viewed"] = 0.15f, ["popularity"] = 0.03f } },
            ["because-you-viewed"] = new() { Sources = new() { ["popularity"] = 1f } },
            ["trending"] = new() { Sources = new() { ["trending"] = 1f } },
            ["new-arrivals"] = new() { Sources = new() { ["new"] = 1f } },
        },
    };

    public required string Name { get; init; }
    /// <summary>1 for the first <c>PUT</c>, then one more per change (a deletion too).</summary>
    public int Version { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? Description { get; init; }
    /// <summary>The model version this recipe serves with; null = the active one.</summary>
    public string? ModelVersion { get; init; }
    public Dictionary<string, RecipeScenario> Scenarios { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Set on the history entry a <c>DELETE</c> leaves.</summary>
    public bool? Deleted { get; init; }
}

/// <summary>What a recipe changes in one scenario; null = as in the default recipe.</summary>
public sealed record RecipeScenario
{
    /// <summary>Source name → weight; replaces the default's sources whole (a source left out is not used).</summary>
    public Dictionary<string, float>? Sources { get; init; }
    public double? Diversity { get; init; }
    public double? MaxCategoryShare { get; init; }
    public double? MaxBrandShare { get; init; }
    public int? DefaultCount { get; init; }
    public bool? ExcludePurchased { get; init; }
    /// <summary>Pool size name → size; names left out keep the default's.</summary>
    public Dictionary<string, int>? Pool { get; init; }
    public List<string>? RuleSets { get; init; }
    /// <summary>A learned ranker's name (<c>POST /v1/rankers/{name}/train</c>); <c>""</c> turns an inherited one off.</summary>
    public string? Ranker { get; init; }
    public int? Rerank { get; init; }
    public double? Exploration { get; init; }

    /// <summary>This scenario's changes laid over <paramref name="under"/>'s (what this one leaves null keeps the other's; pool
    /// sizes merge): a rollout's recipe promoted into the default recipe.</summary>
    public RecipeScenario Over(RecipeScenario? under) => under is null ? this : new RecipeScenario
    {
        Sources = Sources ?? under.Sources,
        Diversity = Diversity ?? under.Diversity,
        MaxCategoryShare = MaxCategoryShare ?? under.MaxCategoryShare,
        MaxBrandShare = MaxBrandShare ?? under.MaxBrandShare,
        DefaultCount = DefaultCount ?? under.DefaultCount,
        ExcludePurchased = ExcludePurchased ?? under.ExcludePurchased,
        Pool = Pool is null ? under.Pool : under.Pool is null ? Pool
            : new Dictionary<string, int>(under.Pool.Concat(Pool).GroupBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(g => g.Last()).ToDictionary(), StringComparer.OrdinalIgnoreCase),
        RuleSets = RuleSets ?? under.RuleSets,
        Ranker = Ranker ?? under.Ranker,
        Rerank = Rerank ?? under.Rerank,
        Exploration = Exploration ?? under.Exploration,
    };

    /// <summary>The default scenario with this recipe's changes laid over it.</summary>
    public ScenarioOptions ApplyTo(ScenarioOptions baseline) => baseline.Clone(o =>
    {
        if (Sources is not null)
        {
            o.Sources = new Dictionary<string, float>(Sources, StringComparer.OrdinalIgnoreCase);
            o.ShippedSources = false;
        }
        if (Diversity is { } d) o.Diversity = d;
        if (MaxCategoryShare is { } c) o.MaxCategoryShare = c;
        if (MaxBrandShare is { } b) o.MaxBrandShare = b;
        if (DefaultCount is { } n) o.DefaultCount = n;
        if (ExcludePurchased is { } e) o.ExcludePurchased = e;
        if (RuleSets is not null) o.RuleSets = [.. RuleSets];
        if (Ranker is not null) o.Ranker = Ranker.Length == 0 ? null : Ranker;
        if (Rerank is { } rerank) o.Rerank = rerank;
        if (Exploration is { } exploration) o.Exploration = exploration;
        if (Pool is not null)
        {
            foreach (var (name, size) in Pool)
            {
                foreach (var (field, _, set) in PoolSizes.Fields)
                    if (string.Equals(field, name, StringComparison.OrdinalIgnoreCase)) set(o.Pool, size);
            }
        }
    });
}

/// <summary>A recipe that cannot be stored or compiled as given: the HTTP layer answers 400 naming <see cref="Field"/>.</summary>
public sealed class RecipeException(string field, string message) : ArgumentException($"{field}: {message}")
{
    public string Field { get; } = field;
    public string Reason { get; } = message;
}
