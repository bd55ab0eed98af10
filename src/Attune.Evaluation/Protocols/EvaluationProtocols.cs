using Attune.Evaluation.Datasets;

namespace Attune.Evaluation.Protocols;

/// <summary>The protocols by name.</summary>
public static class EvaluationProtocols
{
    public static IReadOnlyList<IEvaluationProtocol> All { get; } =
        [new RecommendersProtocol(), new SequentialFullProtocol(), new SequentialSampledProtocol(), new SessionProtocol()];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(p => p.Name)];

    public static IEvaluationProtocol Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown protocol '{name}'; known: {string.Join(", ", Names)}");

    /// <summary>The test split, or with <paramref name="validation"/> the validation split carved from the training part.</summary>
    public static EvaluationSplit CreateSplit(this IEvaluationProtocol protocol, Dataset dataset, bool validation) =>
        validation ? protocol.CreateSplit(protocol.CarveValidation(dataset)) with { IsValidation = true } : protocol.CreateSplit(dataset);
}
