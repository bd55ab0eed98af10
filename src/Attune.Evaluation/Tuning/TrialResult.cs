namespace Attune.Evaluation.Tuning;

/// <summary>One tuning trial: the parameters tried, the validation metric reached, and how the parameters were chosen.</summary>
/// <param name="Phase"><c>defaults</c>, <c>random</c> or <c>refine</c>.</param>
public sealed record TrialResult(int Number, IReadOnlyDictionary<string, string> Parameters, double Value, double Seconds, string Phase);
