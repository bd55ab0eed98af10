namespace Attune.Evaluation.Tuning;

/// <summary>How long and what <see cref="Tuner"/> searches.</summary>
public sealed class TuneOptions
{
    /// <summary>Wall-clock budget. No new trial starts after it; a running one is cancelled (the first trial always completes).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The whole run, the final fit of the chosen model included (<c>--model best</c>): a final blend is not tried when it and
    /// the final fit with it would likely end later (<see cref="ModelSearch.BlendRunFactor"/>). Null: 2 × <see cref="Budget"/>
    /// (10 minutes for the default 300 s).
    /// </summary>
    public TimeSpan? RunLimit { get; init; }

    /// <summary>Metric to maximise; null: the protocol's default.</summary>
    public string? Metric { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>Stop after this many trials even with budget left.</summary>
    public int MaxTrials { get; init; } = int.MaxValue;

    /// <summary>Threads for training and scoring; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Told of each finished trial.</summary>
    public IProgress<TrialResult>? Progress { get; init; }
}
