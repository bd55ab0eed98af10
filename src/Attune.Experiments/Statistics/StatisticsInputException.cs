namespace Attune.Experiments.Statistics;

/// <summary>
/// Malformed input to the JSON contract: a missing, unknown or ill-typed field, an unknown test or statistic type, or a value no
/// test is defined for. <see cref="Path"/> names the field (<c>control.sum_squares</c>, <c>config.prior_effect.variance</c>;
/// <c>body</c> for the document itself) so that the HTTP layer can answer 400 naming it and the CLI can print it.
/// </summary>
/// <remarks>Bad statistics (n &lt; 2, zero variance) are not malformed: the test runs and reports gbstats' errorMessage.</remarks>
public sealed class StatisticsInputException(string path, string problem) : Exception($"{path}: {problem}")
{
    /// <summary>The JSON path of the field, dot-separated.</summary>
    public string Path { get; } = path;

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; } = problem;
}
