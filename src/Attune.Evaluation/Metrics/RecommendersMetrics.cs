using Attune.Evaluation.Protocols;

namespace Attune.Evaluation.Metrics;

/// <summary>microsoft/recommenders ranking metrics with binary relevance: <c>map</c>, <c>ndcg@k</c>, <c>precision@k</c>, <c>recall@k</c>.</summary>
public sealed class RecommendersMetrics(int k) : CaseMetrics
{
    public override IReadOnlyList<string> Names { get; } = ["map", $"ndcg@{k}", $"precision@{k}", $"recall@{k}"];

    public override int Depth => k;

    public override void Add(int c, EvaluationCases cases, ReadOnlySpan<int> top, Span<double> sums)
    {
        var relevant = cases.Targets.Row(c);
        sums[0] += RankingMetrics.AveragePrecisionAt(top, relevant, k);
        sums[1] += RankingMetrics.NdcgBinaryAt(top, relevant, k);
        sums[2] += RankingMetrics.PrecisionAt(top, relevant, k);
        sums[3] += RankingMetrics.RecallAt(top, relevant, k);
    }
}
