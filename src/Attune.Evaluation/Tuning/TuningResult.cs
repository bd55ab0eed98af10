namespace Attune.Evaluation.Tuning;

/// <summary>The outcome of <see cref="Tuner.Run"/>: the best parameters on the validation split and every trial.</summary>
public sealed class TuningResult
{
    public required string Model { get; init; }
    public required string Protocol { get; init; }
    public required string Metric { get; init; }
    public required IReadOnlyDictionary<string, string> BestParameters { get; init; }
    public required double BestValue { get; init; }
    public required IReadOnlyList<TrialResult> Trials { get; init; }
    public required double Seconds { get; init; }

    /// <summary>How the validation split was made.</summary>
    public required string Validation { get; init; }
}
