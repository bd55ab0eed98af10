using Attune.Evaluation.Protocols;

namespace Attune.Evaluation.Metrics;

/// <summary>SR-GNN's <c>p@k</c> (share of cases whose target is in the top k) and <c>mrr@k</c>, reported ×100.</summary>
public sealed class SessionMetrics(int k) : CaseMetrics
{
    public override IReadOnlyList<string> Names { get; } = [$"p@{k}", $"mrr@{k}"];

    public override int Depth => k;

    public override double Scale => 100;

    public override void Add(int c, EvaluationCases cases, ReadOnlySpan<int> top, Span<double> sums)
    {
        int rank = RankingMetrics.RankOf(top, cases.Targets.Row(c)[0]);
        sums[0] += RankingMetrics.HitAt(rank, k);
        sums[1] += RankingMetrics.ReciprocalRankAt(rank, k);
    }
}
