namespace Attune.Experiments.Statistics;

/// <summary>
/// A quantile metric (p50, p90 of load time, of order value): gbstats <c>QuantileStatistic</c>. The warehouse gives the
/// sample quantile and a 95% interval for it from <see cref="NStar"/> values; the variance is backed out of that interval.
/// </summary>
/// <remarks>
/// Variance (gbstats <c>variance_init</c>) = (n*/n)·(n − 1)·((upper − lower)/(2·z₀.₉₇₅))², floored at 1e-5 once n ≥ 100. No test
/// can run (<see cref="HasZeroVariance"/>) when n ≤ z²·ν/(1 − ν) or n ≤ z²·(1 − ν)/ν (the interval would leave [0, 1] in
/// probability) or when the bounds collapse.
/// </remarks>
public class QuantileStatistic : Statistic
{
    /// <summary>z₀.₉₇₅ = scipy <c>norm.ppf(1 - 0.5 * 0.05)</c>, the multiplier of the warehouse's 95% interval.</summary>
    internal static readonly double Z975 = NormalDistribution.Quantile(1.0 - 0.5 * 0.05);

    public QuantileStatistic(long n, long nStar, double nu, double quantileHat, double quantileLower, double quantileUpper) : base(n)
    {
        NStar = nStar;
        Nu = nu;
        QuantileHat = quantileHat;
        QuantileLower = quantileLower;
        QuantileUpper = quantileUpper;
    }

    /// <summary>The sample size used for the interval bounds.</summary>
    public long NStar { get; }

    /// <summary>The quantile level ν in (0, 1), e.g. 0.9.</summary>
    public double Nu { get; }

    /// <summary>The sample quantile: this statistic's mean.</summary>
    public double QuantileHat { get; }

    /// <summary>Lower bound of the 95% interval.</summary>
    public double QuantileLower { get; }

    /// <summary>Upper bound of the 95% interval.</summary>
    public double QuantileUpper { get; }

    /// <inheritdoc/>
    public override bool HasZeroVariance
    {
        get
        {
            double multiplier = Z975;
            bool quantileAboveOne = N <= Math.Pow(multiplier, 2) * Nu / (1.0 - Nu);
            bool quantileBelowZero = N <= Math.Pow(multiplier, 2) * (1.0 - Nu) / Nu;
            if (quantileAboveOne || quantileBelowZero) return true;
            // Collapsed bounds: the sketch could not resolve an interval at any n*, so no floored variance either.
            return VarianceInit <= 0.0;
        }
    }

    /// <inheritdoc/>
    public override double Mean => QuantileHat;

    /// <summary>The variance before the 1e-5 floor (gbstats <c>variance_init</c>).</summary>
    public virtual double VarianceInit
    {
        get
        {
            if (N <= 1) return 0;
            double num = QuantileUpper - QuantileLower;
            double den = 2 * Z975;
            return (double)NStar / N * (N - 1) * Math.Pow(num / den, 2);
        }
    }

    /// <inheritdoc/>
    public override double Variance => N < 100 ? VarianceInit : Math.Max(VarianceInit, 1e-5);
}
