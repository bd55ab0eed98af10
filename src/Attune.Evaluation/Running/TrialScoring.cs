namespace Attune.Evaluation.Running;

/// <summary>
/// What a model search needs from scoring one trial, beyond the means. Early stopping: <see cref="RankingRunner"/> scores a
/// quarter of the cases first (every <see cref="RankingRunner.CheckpointStride"/>-th), then asks <see cref="Continue"/> with
/// <see cref="Metric"/>'s mean over them; false stops the run with <see cref="TrialStoppedException"/>. Splits with fewer
/// than <see cref="MinCases"/> cases in that quarter are scored whole (too few to judge by). A run that ends keeps the
/// metric's value for every case (<see cref="PerCase"/>), so two trials can be compared case by case.
/// </summary>
public sealed class TrialScoring(string metric, Func<double, bool>? @continue = null, int minCases = 500)
{
    public string Metric { get; } = metric;
    public Func<double, bool> Continue { get; } = @continue ?? (_ => true);
    public int MinCases { get; } = minCases;

    /// <summary>The metric over the first quarter, once measured (NaN before, or when the split was too small to check).</summary>
    public double Partial { get; internal set; } = double.NaN;

    /// <summary>The metric of every case, in case order, on the metric's scale (null until the run ends).</summary>
    public float[]? PerCase { get; internal set; }
}

/// <summary>A run stopped at its <see cref="TrialScoring"/> checkpoint: the trial was clearly worse than the best so far.</summary>
public sealed class TrialStoppedException(string metric, double partial, int cases)
    : Exception($"stopped after {cases:N0} cases: {metric} {partial:0.####}")
{
    public double Partial { get; } = partial;
}
