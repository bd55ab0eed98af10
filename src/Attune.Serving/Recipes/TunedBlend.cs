using System.Globalization;
using System.Runtime.CompilerServices;
using Attune.Serving.Sources;

namespace Attune.Serving.Recipes;

/// <summary>
/// A model version's tuned source weights for a scenario: the <see cref="Models.TuningInfo"/> of its info whose component is
/// the scenario's name (<c>for-you</c>), written as <c>als=1 sequence=0.6 viewed=0.3</c>. Where that version serves, they
/// replace the scenario's shipped or configured weights; a stored recipe that sets the scenario's sources keeps its own, and
/// a tuning made from other weights than the scenario's now (the configuration changed) is not used.
/// </summary>
public static class TunedBlend
{
    /// <summary>Weights as text: the sources above 0 by name, each <c>name=weight</c>, separated by spaces.</summary>
    public static string Format(IEnumerable<KeyValuePair<string, float>> weights) => string.Join(' ', weights
        .Where(w => w.Value > 0)
        .OrderBy(w => w.Key, StringComparer.Ordinal)
        .Select(w => w.Key.ToLowerInvariant() + "=" + w.Value.ToString("0.####", CultureInfo.InvariantCulture)));

    /// <summary>Weights from <see cref="Format"/>'s text; null when it is not that shape.</summary>
    public static Dictionary<string, float>? Parse(string text)
    {
        var weights = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || !float.TryParse(part.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out float w)
                || !float.IsFinite(w) || w < 0 || w > RecipeCompiler.MaxWeight)
                return null;
            weights[part[..eq]] = w;
        }
        return weights;
    }

    // Per state, per compiled scenario: the tuned sources (null: serve the scenario's own). Weak keys, so a recipe changed
    // while a version serves leaves nothing behind.
    private static readonly ConditionalWeakTable<ServingState, ConditionalWeakTable<CompiledScenario, StrongBox<(int, float)[]?>>> s_cache = new();

    /// <summary>The sources and weights the pipeline blends for <paramref name="scenario"/> when serving from <paramref name="state"/>.</summary>
    internal static (int Source, float Weight)[] SourcesOf(ServingState state, CompiledScenario scenario, SourceRegistry registry)
    {
        if (!scenario.FollowsTuning || state.Bundle.Info.Tunings is null) return scenario.Sources;
        var perScenario = s_cache.GetValue(state, _ => new());
        return perScenario.GetValue(scenario, s => new StrongBox<(int, float)[]?>(Resolve(state, s, registry))).Value ?? scenario.Sources;
    }

    /// <summary>The weights <see cref="SourcesOf"/> blends, by source name, and the version whose tuning set them (null: the scenario's own).</summary>
    internal static (IReadOnlyDictionary<string, float> Sources, string? TunedBy) Served(ServingState? state, CompiledScenario scenario, SourceRegistry registry)
    {
        if (state is null) return (scenario.Weights, null);
        var sources = SourcesOf(state, scenario, registry);
        if (ReferenceEquals(sources, scenario.Sources)) return (scenario.Weights, null);
        var weights = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var (index, weight) in sources) weights[registry[index].Name] = weight;
        return (weights, state.Bundle.Info.Version);
    }

    private static (int, float)[]? Resolve(ServingState state, CompiledScenario scenario, SourceRegistry registry)
    {
        var tuning = state.Bundle.Info.Tunings!.Find(t => string.Equals(t.Component, scenario.Name, StringComparison.OrdinalIgnoreCase));
        if (tuning is null || tuning.Defaults != Format(scenario.Weights) || Parse(tuning.Parameters) is not { Count: > 0 } weights) return null;
        var list = new List<(int, float)>(weights.Count);
        foreach (var (name, weight) in weights)
        {
            int index = registry.IndexOf(name);
            if (index < 0) return null; // a source this engine no longer registers: the scenario's own weights
            if (weight > 0) list.Add((index, weight));
        }
        return list.Count > 0 ? [.. list] : null;
    }
}
