namespace Attune.Experiments.Statistics;

/// <summary>
/// Bayesian risk: <see cref="Control"/> = E[max(0, δ)], what is lost on average by keeping control; <see cref="Treatment"/> =
/// E[max(0, −δ)], by shipping treatment (swapped for inverse metrics).
/// </summary>
public readonly record struct Risk(double Control, double Treatment);
