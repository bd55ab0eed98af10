using Attune.Evaluation.Metrics;

namespace Attune.Tests.Evaluation;

public class RankingMetricsTests
{
    // One list used by the multi-relevant metrics: recommended 5, 3, 9, 1, 7 (best first); relevant {1, 3, 8}.
    // Hits: item 3 at 1-based rank 2, item 1 at rank 4.
    private static readonly int[] s_top = [5, 3, 9, 1, 7];
    private static readonly int[] s_relevant = [1, 3, 8];

    [Fact]
    public void Average_precision_is_recommenders_map_per_user()
    {
        // Precision at each hit: 1/2 (first hit at rank 2), 2/4 (second hit at rank 4); sum 1.0; divided by all 3 relevant items.
        Assert.Equal(1.0 / 3, RankingMetrics.AveragePrecisionAt(s_top, s_relevant, 5), 12);
        // Only the first 3 positions count at k = 3: one hit, 1/2, divided by 3.
        Assert.Equal(0.5 / 3, RankingMetrics.AveragePrecisionAt(s_top, s_relevant, 3), 12);
    }

    [Fact]
    public void Binary_ndcg_uses_natural_log_and_the_ideal_over_min_k_and_relevant()
    {
        // DCG = 1/ln(1+2) + 1/ln(1+4) = 0.910239 + 0.621335 = 1.531574
        // IDCG over min(5, 3) = 3 items = 1/ln 2 + 1/ln 3 + 1/ln 4 = 1.442695 + 0.910239 + 0.721348 = 3.074282
        // nDCG = 1.531574 / 3.074282 = 0.498189
        Assert.Equal(0.49818925747, RankingMetrics.NdcgBinaryAt(s_top, s_relevant, 5), 9);
        // Everything relevant at the top gives 1.
        Assert.Equal(1.0, RankingMetrics.NdcgBinaryAt([1, 3, 8, 4], s_relevant, 10), 12);
        // k = 2 and 3 relevant: IDCG over 2 items = 1/ln 2 + 1/ln 3 = 2.352934; DCG = 1/ln 3 = 0.910239 → 0.386855
        Assert.Equal(0.9102392266 / (1.4426950409 + 0.9102392266), RankingMetrics.NdcgBinaryAt(s_top, s_relevant, 2), 9);
    }

    [Fact]
    public void Precision_divides_by_k_and_recall_by_relevant_count()
    {
        Assert.Equal(2, RankingMetrics.HitsAt(s_top, s_relevant, 5));
        Assert.Equal(2.0 / 5, RankingMetrics.PrecisionAt(s_top, s_relevant, 5), 12);
        // A list shorter than k still divides by k: 2 hits / 10.
        Assert.Equal(0.2, RankingMetrics.PrecisionAt(s_top, s_relevant, 10), 12);
        Assert.Equal(2.0 / 3, RankingMetrics.RecallAt(s_top, s_relevant, 5), 12);
        Assert.Equal(1.0 / 3, RankingMetrics.RecallAt(s_top, s_relevant, 2), 12);
        Assert.Equal(0, RankingMetrics.RecallAt(s_top, [], 5));
    }

    [Fact]
    public void Single_target_metrics_follow_the_zero_based_rank()
    {
        Assert.Equal(1.0, RankingMetrics.NdcgAt(0, 10), 12);                 // 1 / log2(2)
        Assert.Equal(0.6309297536, RankingMetrics.NdcgAt(1, 10), 9);         // 1 / log2(3)
        Assert.Equal(0.5, RankingMetrics.NdcgAt(2, 5), 12);                  // 1 / log2(4)
        Assert.Equal(0.2890648263, RankingMetrics.NdcgAt(9, 10), 9);         // 1 / log2(11)
        Assert.Equal(0, RankingMetrics.NdcgAt(10, 10));                      // outside the top 10
        Assert.Equal(0, RankingMetrics.NdcgAt(-1, 10));                      // not ranked
        Assert.Equal(1, RankingMetrics.HitAt(4, 5));
        Assert.Equal(0, RankingMetrics.HitAt(5, 5));
        Assert.Equal(0.25, RankingMetrics.ReciprocalRankAt(3, 20), 12);      // 1 / (3 + 1)
        Assert.Equal(0, RankingMetrics.ReciprocalRankAt(20, 20));
        Assert.Equal(3, RankingMetrics.RankOf(s_top, 1));
        Assert.Equal(-1, RankingMetrics.RankOf(s_top, 8));
    }

    [Fact]
    public void Sampled_rank_counts_better_negatives_and_ties_at_lower_indexes()
    {
        float[] scores = [0.5f, 0.9f, 0.5f, 0.1f, 0.7f];
        // Target 2 (0.5) against 0, 1, 3, 4: item 1 (0.9) and 4 (0.7) score higher, item 0 ties with a lower index → rank 3.
        Assert.Equal(3, RankingMetrics.SampledRank(scores, 2, [0, 1, 3, 4]));
        // Target 0 (0.5) against 2 (0.5, higher index) and 3 (0.1): it wins the tie → rank 0.
        Assert.Equal(0, RankingMetrics.SampledRank(scores, 0, [2, 3]));
        // A target scored −∞ ranks after every negative.
        scores[3] = float.NegativeInfinity;
        Assert.Equal(2, RankingMetrics.SampledRank(scores, 3, [0, 1]));
    }

    [Fact]
    public void Beyond_accuracy_novelty_and_category_diversity()
    {
        // 4 users; item 0 held by all 4, item 1 by 2, item 2 by 1.
        // Self-information: −log2(4/4) = 0, −log2(2/4) = 1, −log2(1/4) = 2 → mean over the list [0, 1, 2] = 1.
        var m = Attune.Algorithms.Data.InteractionMatrix.FromTriples(4, 3,
            [0, 1, 2, 3, 0, 1, 0], [0, 0, 0, 0, 1, 1, 2], [1, 1, 1, 1, 1, 1, 1]);
        // Categories {1}, {1, 2}, {3}: distances 1 − 1/2 = 0.5, 1 − 0 = 1, 1 − 0 = 1 → mean 2.5 / 3.
        var beyond = new BeyondAccuracy(m, [[1], [1, 2], [3]]);
        var sums = new double[BeyondAccuracy.Slots];
        beyond.Add([0, 1, 2], sums);
        Assert.Equal(2.5 / 3, sums[0] / sums[1], 12);
        Assert.Equal(1.0, sums[2] / sums[3], 12);
        Assert.Equal(0.5, BeyondAccuracy.Jaccard([1, 2, 3], [2, 3, 4]), 12);  // {2, 3} / {1, 2, 3, 4}
    }

    [Fact]
    public void Without_categories_diversity_counts_pairs_from_different_popularity_deciles()
    {
        // 10 items with popularity 10, 9, …, 1: item i is alone in decile i.
        var users = new List<int>();
        var items = new List<int>();
        for (int i = 0; i < 10; i++)
            for (int u = 0; u < 10 - i; u++) { users.Add(u); items.Add(i); }
        var m = Attune.Algorithms.Data.InteractionMatrix.FromTriples(10, 10, [.. users], [.. items], [.. users.Select(_ => 1f)]);
        var beyond = new BeyondAccuracy(m, null);
        var sums = new double[BeyondAccuracy.Slots];
        beyond.Add([0, 1, 2], sums);  // three deciles: all 3 pairs differ
        Assert.Equal(1.0, sums[0] / sums[1], 12);
    }
}
