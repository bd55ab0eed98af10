namespace Attune.Evaluation.Running;

/// <summary>One thread's buffers for <see cref="RankingRunner"/>: reused for every case that thread scores.</summary>
internal sealed class ScoringWorker(int items, int depth)
{
    public float[] Scores { get; } = new float[items];
    public int[] Top { get; } = new int[depth];
}
