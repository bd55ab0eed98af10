using Attune.Serving.Scenarios;
using Attune.Serving.Sources;

namespace Attune.Serving.Recipes;

/// <summary>
/// Checks scenario settings against the registered sources and turns them into <see cref="CompiledScenario"/>s; every
/// problem names its field the way a recipe spells it (<c>scenarios.for-you.sources.magic</c>).
/// </summary>
public static class RecipeCompiler
{
    /// <summary>Largest weight a source may have.</summary>
    public const float MaxWeight = 1000;

    public static CompiledScenario Compile(string scenario, ScenarioOptions o, SourceRegistry registry, string field)
    {
        var list = new List<(int, float)>();
        var weights = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, weight) in o.Sources)
        {
            int index = registry.IndexOf(name);
            if (index < 0) throw new RecipeException($"{field}.sources.{name}", $"unknown source '{name}'; known: {string.Join(", ", registry.Names)}");
            if (!float.IsFinite(weight) || weight < 0 || weight > MaxWeight)
                throw new RecipeException($"{field}.sources.{name}", $"weight must be a number from 0 to {MaxWeight:0}");
            if (weight > 0)
            {
                list.Add((index, weight));
                weights[registry[index].Name] = weight;
            }
        }
        if (list.Count == 0) throw new RecipeException($"{field}.sources", "needs at least one source with a weight above 0");
        bool[]? restrict = null;
        if (o.RestrictTo is { } r)
        {
            restrict = new bool[registry.Count];
            foreach (string part in r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int index = registry.IndexOf(part);
                if (index < 0) throw new RecipeException($"{field}.restrictTo", $"unknown source '{part}'");
                // The scenario shows what the restricting sources it weighs find (search weighs one or more of three).
                if (!weights.ContainsKey(part)) continue;
                restrict[index] = true;
            }
            if (Array.IndexOf(restrict, true) < 0)
                throw new RecipeException($"{field}.sources", r.Contains(',', StringComparison.Ordinal)
                    ? $"must weigh one of '{r}' above 0: this scenario shows only items that they find"
                    : $"must weigh '{r}' above 0: this scenario shows only items that {r} find");
        }
        Check(o.Diversity is >= 0 and <= 1, $"{field}.diversity", "must be from 0 to 1");
        Check(o.MaxCategoryShare is > 0 and <= 1, $"{field}.maxCategoryShare", "must be above 0 and at most 1");
        Check(o.MaxBrandShare is > 0 and <= 1, $"{field}.maxBrandShare", "must be above 0 and at most 1");
        Check(o.DefaultCount is >= 1 and <= 500, $"{field}.defaultCount", "must be from 1 to 500");
        Check(o.Rerank is null or (>= 1 and <= 500), $"{field}.rerank", "must be from 1 to 500");
        Check(o.Exploration is >= 0 and <= 0.5, $"{field}.exploration", "must be from 0 to 0.5");
        foreach (var (name, get, _) in PoolSizes.Fields)
            Check(get(o.Pool) is >= 0 and <= PoolSizes.Max, $"{field}.pool.{name}", $"must be from 0 to {PoolSizes.Max:N0}");
        if (o.RuleSets is { } sets)
        {
            for (int k = 0; k < sets.Count; k++)
                Check(sets[k] is { Length: > 0 and <= 64 }, $"{field}.ruleSets[{k}]", "must be a rule set name of 1 to 64 characters");
        }
        return new CompiledScenario(scenario, o, [.. list], restrict, weights);
    }

    /// <summary>Compiles every scenario of a resolved recipe.</summary>
    public static Dictionary<string, CompiledScenario> CompileAll(IReadOnlyDictionary<string, ScenarioOptions> scenarios, SourceRegistry registry)
    {
        var compiled = new Dictionary<string, CompiledScenario>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, options) in scenarios) compiled[name] = Compile(name, options, registry, $"scenarios.{name}");
        return compiled;
    }

    private static void Check(bool ok, string field, string message)
    {
        if (!ok) throw new RecipeException(field, message);
    }
}
