namespace Attune.Experiments.Statistics;

/// <summary>
/// A normal prior on the effect (gbstats <c>GaussianPrior</c>; JSON <c>prior_effect</c> with <c>mean</c>, <c>variance</c>,
/// <c>proper</c>). Improper (the default) means flat: the posterior is the data alone.
/// </summary>
public sealed record GaussianPrior(double Mean = 0, double Variance = 1, bool Proper = false);
