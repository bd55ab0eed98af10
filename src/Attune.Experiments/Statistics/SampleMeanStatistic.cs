namespace Attune.Experiments.Statistics;

/// <summary>A mean metric (revenue, count per user): gbstats <c>SampleMeanStatistic</c>.</summary>
/// <remarks>Variance is the unbiased sample variance, (Σx² − (Σx)²/n)/(n − 1), and 0 for n ≤ 1.</remarks>
public sealed class SampleMeanStatistic(long n, double sum, double sumSquares) : SumStatistic(n, sum)
{
    /// <inheritdoc/>
    public override double SumSquares { get; } = sumSquares;

    /// <inheritdoc/>
    public override double Variance => N <= 1 ? 0 : (SumSquares - Math.Pow(Sum, 2) / N) / (N - 1);
}
