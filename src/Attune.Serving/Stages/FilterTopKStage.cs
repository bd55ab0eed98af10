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
        var hs = t_scores.AsSpan(0, pool);
        var hi = t_items.AsSpan(0, pool);
        int size = 0;
        var blend = c.Blend;
        var items = c.State.Catalog.Columns.Items;
        var filter = c.Request.Filter;
        var context = c.Request.Context;
        foreach (int j in c.Scope)
        {
            float s = blend[j];
            if (s == float.NegativeInfinity) continue;
            if (size == pool && !(s > hs[0])) continue;
            if (filter is not null && (items[j] is not { } item || !filter.Matches(item, context))) continue;
            if (size < pool) Push(hs, hi, ref size, s, j);
            else SiftDown(hs, hi, size, s, j);
        }
        for (int k = 0; k < size; k++) candidates.Add((hi[k], hs[k]));
        candidates.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
    }

    private static void Push(Span<float> s, Span<int> items, ref int size, float score, int item)
    {
        int c = size++;
        while (c > 0)
        {
            int p = (c - 1) >> 1;
            if (!(score < s[p])) break;
            s[c] = s[p];
            items[c] = items[p];
            c = p;
        }
        s[c] = score;
        items[c] = item;
    }

    private static void SiftDown(Span<float> s, Span<int> items, int size, float score, int item)
    {
        int c = 0;
        while (true)
        {
            int l = 2 * c + 1;
            if (l >= size) break;
            int r = l + 1;
            int m = r < size && s[r] < s[l] ? r : l;
            if (!(s[m] < score)) break;
            s[c] = s[m];
            items[c] = items[m];
            c = m;
        }
        s[c] = score;
        items[c] = item;
    }
}
