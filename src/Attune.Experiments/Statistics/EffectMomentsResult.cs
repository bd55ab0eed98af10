namespace Attune.Experiments.Statistics;

/// <summary>
/// The effect's estimate and standard error, before any test turns them into intervals (gbstats <c>EffectMomentsResult</c>).
/// When <see cref="ErrorMessage"/> is set, the numbers are 0 and no test runs.
/// </summary>
public sealed record EffectMomentsResult(double PointEstimate, double StandardError, long PairwiseSampleSize, string? ErrorMessage,
    bool PostStratificationApplied);
