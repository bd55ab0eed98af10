namespace Attune.Experiments.Statistics;

/// <summary>
/// A statistic given by n, a sum and a sum of squares: <see cref="SampleMeanStatistic"/> or <see cref="ProportionStatistic"/>
/// (gbstats' <c>Union[SampleMeanStatistic, ProportionStatistic]</c>, the building block of ratio and CUPED statistics).
/// </summary>
public abstract class SumStatistic : Statistic
{
    protected SumStatistic(long n, double sum) : base(n) => Sum = sum;

    /// <summary>Σ of the unit values.</summary>
    public double Sum { get; }

    /// <summary>Σ of the squared unit values.</summary>
    public abstract double SumSquares { get; }

    /// <summary>Sum / n, or 0 without units.</summary>
    public override double Mean => N == 0 ? 0 : Sum / N;
}
