using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// A ranking learned from the recommendation log (Attune.Predictions' <c>LearnedRanker</c> behind it): it scores one
/// candidate from its features, each a source of the scenario's blend by name (the source's score of the item divided by the
/// source's largest score in the answer, 0 when the source did not score it).
/// </summary>
public interface IItemRanker
{
    IReadOnlyList<string> Features { get; }

    double Score(ReadOnlySpan<float> features);
}

/// <summary>
/// When the recipe's scenario names a learned ranker (<c>"ranker"</c>), the blend's best (<c>rerank</c>; by default ten per
/// item the answer holds) are ordered by the ranker's score and kept above the rest (which keep the blend's order); rules,
/// filters, diversity and pins then apply as usual. A log with exploration shows the ranker some of the items the blend
/// ranks lower; its features (the sources' scores, the person's shares and price gap) carry over to the others. A ranker that
/// is not loaded leaves the blend's order.
/// </summary>
public sealed class LearnedRankingStage : IRankingStage
{

    [ThreadStatic] private static List<(float Blend, int Item)>? t_best;
    [ThreadStatic] private static float[]? t_features;
    [ThreadStatic] private static RankingFeatures? t_person;
    [ThreadStatic] private static (double Score, int Item)[]? t_scored;

    /// <summary>
    /// How many of the blend's best the ranker chooses from when the recipe does not say (<c>rerank</c>), per item the answer
    /// holds: 10 (the best 100 for ten shown). On the demo shop's simulation that gained +9.6 % true conversion where
    /// re-ordering only the shown gained +2.6 % and the best 30 +4.5 % (docs/benchmarks.md, "Learned ranking").
    /// </summary>
    public const int CandidatesPerItem = 10;

    public string Name => "learned-ranking";

    public void Apply(RankingContext c)
    {
        if (c.Scenario.Ranker is not { } name || c.Serving.Rankers?.Invoke(name) is not { } ranker) return;
        var blend = c.Blend;
        int candidates = Math.Max(1, c.Scenario.Rerank ?? c.Count * CandidatesPerItem);
        var best = t_best ??= new List<(float, int)>(64);
        best.Clear();
        float top = 0;
        foreach (int j in c.Scope)
        {
            float b = blend[j];
            if (!(b > 0) || float.IsInfinity(b)) continue;
            if (b > top) top = b;
            if (best.Count < candidates) { best.Add((b, j)); if (best.Count == candidates) best.Sort(); continue; }
            if (b <= best[0].Blend) continue;
            // Keep the best, smallest first: replace the smallest and restore the order.
            best[0] = (b, j);
            for (int k = 1; k < best.Count && best[k - 1].Blend > best[k].Blend; k++) (best[k - 1], best[k]) = (best[k], best[k - 1]);
        }
        if (best.Count == 0) return;
        var names = ranker.Features;
        Span<int> sources = names.Count <= 64 ? stackalloc int[names.Count] : new int[names.Count];
        for (int f = 0; f < names.Count; f++) sources[f] = RankingFeatures.Resolve(names[f], c.Registry);
        var person = t_person ??= new RankingFeatures();
        person.Load(c);
        var features = t_features is { } buffer && buffer.Length >= names.Count ? buffer : t_features = new float[Math.Max(16, names.Count)];
        // Everything outside the best keeps its order below them (0…0.5); the best are ranked by the ranker (2 down to just above 1, by rank).
        foreach (int j in c.Scope)
        {
            float b = blend[j];
            if (b > 0 && !float.IsInfinity(b)) blend[j] = 0.5f * b / top;
        }
        // By rank, not by a squashed score: a float near 2 cannot tell apart scores that a sigmoid saturates.
        var scored = t_scored is { } held && held.Length >= best.Count ? held : t_scored = new (double, int)[Math.Max(64, best.Count)];
        for (int b = 0; b < best.Count; b++)
        {
            int j = best[b].Item;
            for (int f = 0; f < names.Count; f++) features[f] = person.Value(c, sources[f], j);
            scored[b] = (ranker.Score(features.AsSpan(0, names.Count)), j);
        }
        var ranked = scored.AsSpan(0, best.Count);
        ranked.Sort(static (x, y) => y.Score.CompareTo(x.Score) is var d && d != 0 ? d : x.Item.CompareTo(y.Item));
        for (int r = 0; r < ranked.Length; r++) blend[ranked[r].Item] = 2f - r / (float)ranked.Length;
    }
}
