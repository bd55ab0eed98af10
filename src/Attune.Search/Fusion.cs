namespace Attune.Search;

/// <summary>How a search finds its matches.</summary>
public enum SearchMode
{
    /// <summary>Words: BM25 over the item's fields (typos, stems, prefixes).</summary>
    Lexical,
    /// <summary>Meaning: the query's sentence vector against the items'.</summary>
    Semantic,
    /// <summary>Both lists fused by reciprocal rank.</summary>
    Hybrid,
}

/// <summary>Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): an item's fused score is the sum over the lists
/// that found it of weight / (k + rank), so agreement between lists counts more than any one list's scale.</summary>
public static class Fusion
{
    /// <summary>The constant of the original paper: it damps the difference between the very first ranks.</summary>
    public const int K = 60;

    public static List<SearchHit> ReciprocalRank(IReadOnlyList<SearchHit> first, float firstWeight, IReadOnlyList<SearchHit> second,
        float secondWeight, int k = K)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var scores = new Dictionary<string, float>(first.Count + second.Count, StringComparer.Ordinal);
        for (int r = 0; r < first.Count; r++) scores[first[r].ItemId] = firstWeight / (k + r + 1);
        for (int r = 0; r < second.Count; r++)
            scores[second[r].ItemId] = scores.GetValueOrDefault(second[r].ItemId) + secondWeight / (k + r + 1);
        var hits = new List<SearchHit>(scores.Count);
        foreach (var (id, score) in scores) hits.Add(new SearchHit(id, score));
        hits.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.ItemId, b.ItemId));
        return hits;
    }
}
