using Attune.Evaluation.Protocols;

namespace Attune.Evaluation.Metrics;

/// <summary>One target per case, full ranking: <c>hr@k</c> (HIT@k) and <c>ndcg@k</c> for each k.</summary>
public sealed class NextItemMetrics : CaseMetrics
{
    private readonly int[] _ks;

    public NextItemMetrics(int[] ks)
    {
        _ks = ks;
        Names = [.. ks.SelectMany(k => new[] { $"hr@{k}", $"ndcg@{k}" })];
        Depth = ks.Max();
    }

    public override IReadOnlyList<string> Names { get; }
    public override int Depth { get; }

    public override void Add(int c, EvaluationCases cases, ReadOnlySpan<int> top, Span<double> sums)
    {
        int rank = RankingMetrics.RankOf(top, cases.Targets.Row(c)[0]);
        for (int j = 0; j < _ks.Length; j++)
        {
            sums[2 * j] += RankingMetrics.HitAt(rank, _ks[j]);
            sums[2 * j + 1] += RankingMetrics.NdcgAt(rank, _ks[j]);
        }
    }
}
