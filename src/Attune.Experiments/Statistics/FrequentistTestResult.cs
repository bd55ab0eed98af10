namespace Attune.Experiments.Statistics;

/// <summary>A t-test's result (gbstats <c>FrequentistTestResult</c>).</summary>
/// <param name="PValue">JSON <c>pValue</c>; null when the sequential one-sided search fails (see <paramref name="PValueErrorMessage"/>).</param>
/// <param name="PValueErrorMessage">JSON <c>pValueErrorMessage</c>: <see cref="Messages.NumericalPValueNotConverged"/>,
/// <see cref="Messages.SequentialOneSidedAlphaTooBig"/> or null.</param>
public sealed record FrequentistTestResult(double Expected, Interval Ci, Uplift Uplift, string? ErrorMessage, double? PValue,
    string? PValueErrorMessage) : TestResult(Expected, Ci, Uplift, ErrorMessage);
