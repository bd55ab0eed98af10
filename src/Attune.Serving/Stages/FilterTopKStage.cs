using Attune.Algorithms.Scoring;
using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// The best candidates that pass the request's filter, best first: more than asked (2 · count + 10), so diversity has room.
/// The filter runs only for items that would enter the heap.
/// </summary>
public sealed class FilterTopKStage : IRankingStage
{
    public string Name => "filter-top-k";

    [ThreadStatic] private static float[]? t_scores;
    [ThreadStatic] private static int[]? t_items;

    public void Apply(RankingContext c)
    {
        var candidates = c.Candidates;
        candidates.Clear();
        int pool = Math.Min(c.ItemCount, c.Count * 2 + 10);
        if (pool <= 0) return;
        if (t_scores is null || t_scores.Length < pool)
        {
            t_scores = new float[Math.Max(pool, 64)];
            t_items = new int[t_scores.Length];
        }
        var heap = new TopKHeap(t_scores.AsSpan(0, pool), t_items.AsSpan(0, pool));
        var blend = c.Blend;
        var items = c.State.Catalog.Columns.Items;
        var filter = c.Request.Filter;
        var context = c.Request.Context;
        foreach (int j in c.Scope)
        {
            float s = blend[j];
            if (s == float.NegativeInfinity || !heap.Accepts(s, j)) continue;
            // The filter runs only for items that would enter the heap.
            if (filter is not null && (items[j] is not { } item || !filter.Matches(item, context))) continue;
            if (heap.IsFull) heap.ReplaceMin(s, j);
            else heap.Push(s, j);
        }
        int found = heap.SortBestFirst();
        var best = heap.Items;
        var scores = heap.Scores;
        for (int k = 0; k < found; k++) candidates.Add((best[k], scores[k]));
    }
}
