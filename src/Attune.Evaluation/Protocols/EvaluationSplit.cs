using Attune.Algorithms.Data;
using Attune.Evaluation.Metrics;

namespace Attune.Evaluation.Protocols;

/// <summary>What a model trains on and the cases it is then scored on, with the metrics of the protocol.</summary>
public sealed record EvaluationSplit
{
    public required string Protocol { get; init; }

    /// <summary>True when carved from the training data (tuning); false for the test split.</summary>
    public bool IsValidation { get; init; }

    public required TrainingData Training { get; init; }
    public required EvaluationCases Cases { get; init; }
    public required CaseMetrics Metrics { get; init; }

    /// <summary>Item categories for <c>diversity@10</c>; null: diversity is measured over popularity deciles.</summary>
    public int[][]? ItemCategories { get; init; }

    /// <summary>One line saying what was split how, for reports.</summary>
    public required string Description { get; init; }
}
