namespace Attune.Experiments.Statistics;

/// <summary>
/// Sufficient statistics of one metric in one variation: what the warehouse query returns and every test works from.
/// Mirrors gbstats <c>models/statistics.py</c> <c>Statistic</c>; the subclasses keep gbstats' names, which are also the
/// <c>type</c> values of the JSON contract (<see cref="StatisticsJson"/>).
/// </summary>
public abstract class Statistic
{
    protected Statistic(long n) => N = n;

    /// <summary>Units (users) in the variation; for quantile metrics, events.</summary>
    public long N { get; }

    /// <summary>The metric's (possibly regression-adjusted) mean.</summary>
    public abstract double Mean { get; }

    /// <summary>The variance of one unit's value (not of the mean): divide by <see cref="N"/> for the mean's.</summary>
    public abstract double Variance { get; }

    /// <summary>√variance, or 0 when the variance is not positive (gbstats <c>stddev</c>).</summary>
    public double StdDev => Variance <= 0 ? 0 : Math.Sqrt(Variance);

    /// <summary>The mean without CUPED adjustment: the base of relative lifts (gbstats <c>unadjusted_mean</c>).</summary>
    public virtual double UnadjustedMean => Mean;

    /// <summary>True when no test can run on this statistic: variance zero or negative (gbstats <c>_has_zero_variance</c>).</summary>
    public virtual bool HasZeroVariance => Variance <= 0.0;
}
