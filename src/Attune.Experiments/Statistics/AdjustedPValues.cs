namespace Attune.Experiments.Statistics;

/// <summary>Corrected p-values, in the order given, with the correction that made them.</summary>
/// <param name="Method">The correction.</param>
/// <param name="Values">One per input p-value; null where the input was null (a test without a p-value is not in the family).</param>
public sealed record AdjustedPValues(PValueCorrection Method, IReadOnlyList<double?> Values)
{
    /// <summary>GrowthBook's name of <see cref="Method"/>: <c>holm-bonferroni</c> or <c>benjamini-hochberg</c>.</summary>
    public string MethodName => MultipleTestingCorrection.Name(Method);
}
