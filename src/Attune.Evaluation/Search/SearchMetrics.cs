namespace Attune.Evaluation.Search;

/// <summary>
/// The search metrics of one ranked answer against graded judgements, as trec_eval defines them: nDCG@10 with linear gains
/// (the grade) and log2 discounts, over the ideal ordering of all judged items; reciprocal rank of the first relevant item
/// within 10; recall@100 (relevant found in the first 100 over all relevant). A query without relevant items is not scored.
/// </summary>
public static class SearchMetrics
{
    public static double NdcgAt(int k, IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> grades)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(grades);
        double dcg = 0;
        for (int r = 0; r < ranked.Count && r < k; r++)
            if (grades.TryGetValue(ranked[r], out int g) && g > 0) dcg += g / Math.Log2(r + 2);
        var ideal = new List<int>(grades.Count);
        foreach (int g in grades.Values) if (g > 0) ideal.Add(g);
        ideal.Sort(static (a, b) => b.CompareTo(a));
        double idcg = 0;
        for (int r = 0; r < ideal.Count && r < k; r++) idcg += ideal[r] / Math.Log2(r + 2);
        return idcg > 0 ? dcg / idcg : 0;
    }

    public static double ReciprocalRankAt(int k, IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> grades)
    {
        for (int r = 0; r < ranked.Count && r < k; r++)
            if (grades.TryGetValue(ranked[r], out int g) && g > 0) return 1.0 / (r + 1);
        return 0;
    }

    public static double RecallAt(int k, IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> grades)
    {
        int relevant = 0;
        foreach (int g in grades.Values) if (g > 0) relevant++;
        if (relevant == 0) return 0;
        int found = 0;
        for (int r = 0; r < ranked.Count && r < k; r++)
            if (grades.TryGetValue(ranked[r], out int g) && g > 0) found++;
        return (double)found / relevant;
    }
}

/// <summary>Means over a group of queries (each query counts once).</summary>
public sealed class SearchScore
{
    private double _ndcg, _mrr, _recall;

    public int Queries { get; private set; }
    public int ZeroResults { get; private set; }
    public double Ndcg10 => Queries == 0 ? 0 : _ndcg / Queries;
    public double Mrr10 => Queries == 0 ? 0 : _mrr / Queries;
    public double Recall100 => Queries == 0 ? 0 : _recall / Queries;
    /// <summary>The share of queries with relevant items that answered nothing.</summary>
    public double ZeroResultRate => Queries == 0 ? 0 : (double)ZeroResults / Queries;

    public void Add(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> grades)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        Queries++;
        if (ranked.Count == 0) ZeroResults++;
        _ndcg += SearchMetrics.NdcgAt(10, ranked, grades);
        _mrr += SearchMetrics.ReciprocalRankAt(10, ranked, grades);
        _recall += SearchMetrics.RecallAt(100, ranked, grades);
    }
}
