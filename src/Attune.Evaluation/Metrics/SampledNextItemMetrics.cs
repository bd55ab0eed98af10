using Attune.Evaluation.Protocols;

namespace Attune.Evaluation.Metrics;

/// <summary>
/// One target per case ranked among the case's sampled negatives (<c>hr@k</c>, <c>ndcg@k</c>, plus S3-Rec's <c>hr@1</c>,
/// <c>hr@5</c>, <c>ndcg@5</c>, <c>mrr</c>), and the same case ranked against every item (<c>full-hr@k</c>, <c>full-ndcg@k</c>).
/// </summary>
public sealed class SampledNextItemMetrics(int k) : CaseMetrics
{
    public override IReadOnlyList<string> Names { get; } =
        [$"hr@{k}", $"ndcg@{k}", $"full-hr@{k}", $"full-ndcg@{k}", "hr@1", "hr@5", "ndcg@5", "mrr"];

    public override int Depth => k;

    public override bool NeedsRawScores => true;

    public override void AddRaw(int c, EvaluationCases cases, ReadOnlySpan<float> scores, Span<double> sums)
    {
        int rank = RankingMetrics.SampledRank(scores, cases.Targets.Row(c)[0], cases.Negatives!.Row(c));
        sums[0] += RankingMetrics.HitAt(rank, k);
        sums[1] += RankingMetrics.NdcgAt(rank, k);
        sums[4] += RankingMetrics.HitAt(rank, 1);
        sums[5] += RankingMetrics.HitAt(rank, 5);
        sums[6] += RankingMetrics.NdcgAt(rank, 5);
        sums[7] += 1.0 / (rank + 1);
    }

    public override void Add(int c, EvaluationCases cases, ReadOnlySpan<int> top, Span<double> sums)
    {
        int rank = RankingMetrics.RankOf(top, cases.Targets.Row(c)[0]);
        sums[2] += RankingMetrics.HitAt(rank, k);
        sums[3] += RankingMetrics.NdcgAt(rank, k);
    }
}
