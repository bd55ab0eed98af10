namespace Attune.Experiments.Statistics;

/// <summary>An interval; gbstats' <c>ResponseCI</c> tuple.</summary>
public readonly record struct Interval(double Lower, double Upper);
