namespace Attune.Experiments.Statistics;

/// <summary>A binomial (conversion) metric: gbstats <c>ProportionStatistic</c>; <see cref="SumStatistic.Sum"/> counts conversions.</summary>
/// <remarks>Variance is p(1 − p) with p = sum/n (the maximum-likelihood one, no n − 1); Σx² = Σx since each x is 0 or 1.</remarks>
public sealed class ProportionStatistic(long n, double sum) : SumStatistic(n, sum)
{
    /// <inheritdoc/>
    public override double SumSquares => Sum;

    /// <inheritdoc/>
    public override double Variance => Mean * (1 - Mean);
}
