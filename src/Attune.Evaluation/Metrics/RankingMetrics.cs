namespace Attune.Evaluation.Metrics;

/// <summary>
/// The metric formulas, one ranked list at a time. <c>top</c> is the recommended list best first; ranks are 0-based positions in
/// it (-1: not in the list); <c>relevant</c> is sorted ascending.
/// </summary>
public static class RankingMetrics
{
    public static int RankOf(ReadOnlySpan<int> top, int item) => top.IndexOf(item);

    public static double HitAt(int rank, int k) => rank >= 0 && rank < k ? 1 : 0;

    /// <summary>One relevant item: 1 / log2(rank + 2) when in the top <paramref name="k"/> (ICLRec, S3-Rec, SASRec).</summary>
    public static double NdcgAt(int rank, int k) => rank >= 0 && rank < k ? 1 / Math.Log2(rank + 2) : 0;

    /// <summary>1 / (rank + 1) when in the top <paramref name="k"/>, else 0 (SR-GNN's MRR@20).</summary>
    public static double ReciprocalRankAt(int rank, int k) => rank >= 0 && rank < k ? 1.0 / (rank + 1) : 0;

    public static int HitsAt(ReadOnlySpan<int> top, ReadOnlySpan<int> relevant, int k)
    {
        int hits = 0;
        for (int r = 0; r < Math.Min(k, top.Length); r++)
            if (relevant.BinarySearch(top[r]) >= 0) hits++;
        return hits;
    }

    /// <summary>Hits in the top <paramref name="k"/> divided by <paramref name="k"/> (even when the list is shorter).</summary>
    public static double PrecisionAt(ReadOnlySpan<int> top, ReadOnlySpan<int> relevant, int k) => (double)HitsAt(top, relevant, k) / k;

    public static double RecallAt(ReadOnlySpan<int> top, ReadOnlySpan<int> relevant, int k) =>
        relevant.IsEmpty ? 0 : (double)HitsAt(top, relevant, k) / relevant.Length;

    /// <summary>
    /// microsoft/recommenders <c>map()</c> for one user: the precision at each hit's rank (hits so far / 1-based rank), summed
    /// over the hits in the top <paramref name="k"/>, divided by the number of relevant items (all of them, not min(k, n)).
    /// </summary>
    public static double AveragePrecisionAt(ReadOnlySpan<int> top, ReadOnlySpan<int> relevant, int k)
    {
        if (relevant.IsEmpty) return 0;
        double sum = 0;
        int hits = 0;
        for (int r = 0; r < Math.Min(k, top.Length); r++)
        {
            if (relevant.BinarySearch(top[r]) < 0) continue;
            hits++;
            sum += (double)hits / (r + 1);
        }
        return sum / relevant.Length;
    }

    /// <summary>
    /// microsoft/recommenders <c>ndcg_at_k(score_type="binary", discfun_type="loge")</c> for one user: DCG = Σ over hits of
    /// 1 / ln(1 + rank) with 1-based rank; ideal DCG = Σ_{i=1..min(k, n)} 1 / ln(1 + i) for n relevant items. (The log base cancels
    /// in the ratio.)
    /// </summary>
    public static double NdcgBinaryAt(ReadOnlySpan<int> top, ReadOnlySpan<int> relevant, int k)
    {
        if (relevant.IsEmpty) return 0;
        double dcg = 0, ideal = 0;
        for (int r = 0; r < Math.Min(k, top.Length); r++)
            if (relevant.BinarySearch(top[r]) >= 0) dcg += 1 / Math.Log(2 + r);
        for (int r = 0; r < Math.Min(k, relevant.Length); r++) ideal += 1 / Math.Log(2 + r);
        return dcg / ideal;
    }

    /// <summary>
    /// The target's 0-based rank among itself and <paramref name="negatives"/>: how many negatives score higher, or the same with
    /// a lower index (the tie rule of the full ranking's <c>TopK.Select</c>). A target scored NaN or −∞ ranks last.
    /// </summary>
    public static int SampledRank(ReadOnlySpan<float> scores, int target, ReadOnlySpan<int> negatives)
    {
        float t = scores[target];
        if (!(t > float.NegativeInfinity)) return negatives.Length;
        int rank = 0;
        foreach (int n in negatives)
        {
            float s = scores[n];
            if (s > t || (s == t && n < target)) rank++;
        }
        return rank;
    }
}
