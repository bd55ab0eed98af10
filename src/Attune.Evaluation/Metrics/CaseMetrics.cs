using Attune.Evaluation.Protocols;

namespace Attune.Evaluation.Metrics;

/// <summary>
/// A protocol's accuracy metrics, summed case by case on many threads. Each method adds this case's value of metric
/// <c>m</c> to <c>sums[m]</c> (order of <see cref="Names"/>); the reported value is the mean over cases times <see cref="Scale"/>.
/// Implementations keep no per-case state, so one instance serves every thread.
/// </summary>
public abstract class CaseMetrics
{
    /// <summary>Lower-case metric names, e.g. <c>ndcg@10</c>.</summary>
    public abstract IReadOnlyList<string> Names { get; }

    /// <summary>How long a top list each case needs.</summary>
    public abstract int Depth { get; }

    /// <summary>Multiplier of every mean (100 for metrics published as percentages).</summary>
    public virtual double Scale => 1;

    /// <summary>Whether <see cref="AddRaw"/> wants the scores before excluded items are masked.</summary>
    public virtual bool NeedsRawScores => false;

    /// <summary>Called with every item's score before masking, when <see cref="NeedsRawScores"/>.</summary>
    public virtual void AddRaw(int c, EvaluationCases cases, ReadOnlySpan<float> scores, Span<double> sums) { }

    /// <summary>Called with the top <see cref="Depth"/> items after masking, best first.</summary>
    public abstract void Add(int c, EvaluationCases cases, ReadOnlySpan<int> top, Span<double> sums);
}
