using Attune.Evaluation.Datasets;

namespace Attune.Evaluation.Protocols;

/// <summary>A published offline evaluation protocol: how a dataset is split, what is ranked, which metrics are reported.</summary>
public interface IEvaluationProtocol
{
    /// <summary>The command-line name, e.g. <c>seq-full</c>.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>The metric tuning maximises unless told otherwise.</summary>
    string DefaultMetric { get; }

    /// <summary>The test split: train on the training part, score the test cases.</summary>
    EvaluationSplit CreateSplit(Dataset dataset);

    /// <summary>
    /// Only the training part of <paramref name="dataset"/>'s test split, laid out so that <see cref="CreateSplit"/> of the result
    /// is the validation split. Nothing of the test part survives, so tuning on it cannot see test data.
    /// </summary>
    Dataset CarveValidation(Dataset dataset);
}
