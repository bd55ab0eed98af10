namespace Attune.Experiments.Statistics;

/// <summary>A Bayesian test's result (gbstats <c>BayesianTestResult</c>).</summary>
/// <param name="ChanceToWin">P(treatment is better), JSON <c>chanceToWin</c>.</param>
/// <param name="Risk">Expected loss of choosing control and of choosing treatment, JSON <c>risk</c> (a two-element list).</param>
/// <param name="RiskType"><c>"relative"</c> or <c>"absolute"</c>, the unit of <paramref name="Risk"/>, JSON <c>riskType</c>.</param>
public sealed record BayesianTestResult(double Expected, Interval Ci, Uplift Uplift, string? ErrorMessage, double ChanceToWin,
    Risk Risk, string RiskType) : TestResult(Expected, Ci, Uplift, ErrorMessage);
