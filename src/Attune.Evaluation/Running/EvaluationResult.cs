namespace Attune.Evaluation.Running;

/// <summary>What one evaluation run measured.</summary>
public sealed class EvaluationResult
{
    public required string Protocol { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }
    public required string Dataset { get; init; }

    /// <summary><c>test</c> or <c>validation</c>.</summary>
    public required string Split { get; init; }

    /// <summary>Accuracy metrics, then <c>coverage@10</c>, <c>diversity@10</c>, <c>novelty@10</c>, in report order.</summary>
    public required OrderedDictionary<string, double> Metrics { get; init; }

    public required int Cases { get; init; }
    public required double TrainSeconds { get; init; }

    /// <summary>Wall-clock time to score and rank every case (all threads).</summary>
    public required double ScoreSeconds { get; init; }

    /// <summary><see cref="ScoreSeconds"/> per case in milliseconds: wall clock over case count, so it includes the parallel speed-up.</summary>
    public double ScoreMsPerCase => Cases == 0 ? 0 : ScoreSeconds * 1000 / Cases;

    /// <summary>The process's peak working set so far (Linux VmHWM), so it includes loading the dataset.</summary>
    public required double PeakMemoryMB { get; init; }

    public required int Threads { get; init; }

    /// <summary>How the split was made and what the beyond-accuracy metrics measure.</summary>
    public required IReadOnlyList<string> Notes { get; init; }
}
