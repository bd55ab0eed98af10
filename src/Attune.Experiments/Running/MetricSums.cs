namespace Attune.Experiments.Running;

/// <summary>
/// The sufficient statistics of one metric in one variant, kept up to date as events arrive: over the variant's people, the
/// sums and sums of squares of the per-person numerator (and denominator, for ratio metrics) and their cross products — what
/// the statistics engine needs (gbstats' <c>n</c>, <c>sum</c>, <c>sum_squares</c>, and for ratios <c>m_d_sum_of_products</c>).
/// </summary>
public struct MetricSums
{
    /// <summary>Post-exposure numerator m and denominator d: Σm, Σm², Σd, Σd², Σm·d.</summary>
    public double Sum, SumSquares, DenominatorSum, DenominatorSumSquares, SumOfProducts;

    /// <summary>
    /// CUPED: the same metric over the pre-exposure period (m', d'): Σm', Σm'², Σd', Σd'², and the cross sums Σm·m', Σd·d',
    /// Σm'·d', Σm·d', Σm'·d (gbstats' regression-adjusted statistics). <see cref="PrePeople"/> counts people whose pre-period is in.
    /// </summary>
    public double PreSum, PreSumSquares, PreDenominatorSum, PreDenominatorSumSquares,
        PostPreProducts, DenominatorPostPreProducts, PrePreDenominatorProducts, PostPreDenominatorProducts, PrePostDenominatorProducts;

    public long PrePeople;

    /// <summary>A person's numerator moved from <paramref name="before"/> to <paramref name="after"/>; their other values are given.</summary>
    public void MoveNumerator(double before, double after, double denominator, double preNumerator = 0, double preDenominator = 0)
    {
        double delta = after - before;
        Sum += delta;
        SumSquares += after * after - before * before;
        SumOfProducts += delta * denominator;
        PostPreProducts += delta * preNumerator;
        PostPreDenominatorProducts += delta * preDenominator;
    }

    public void MoveDenominator(double before, double after, double numerator, double preNumerator = 0, double preDenominator = 0)
    {
        double delta = after - before;
        DenominatorSum += delta;
        DenominatorSumSquares += after * after - before * before;
        SumOfProducts += delta * numerator;
        DenominatorPostPreProducts += delta * preDenominator;
        PrePostDenominatorProducts += delta * preNumerator;
    }

    /// <summary>One person's whole contribution (a rebuild of the sums, e.g. after a capped metric's cap moved).</summary>
    public void AddPerson(double numerator, double denominator, bool preKnown, double preNumerator, double preDenominator)
    {
        Sum += numerator;
        SumSquares += numerator * numerator;
        DenominatorSum += denominator;
        DenominatorSumSquares += denominator * denominator;
        SumOfProducts += numerator * denominator;
        if (preKnown) AddPre(numerator, denominator, preNumerator, preDenominator);
    }

    /// <summary>A person's pre-exposure values arrived (or, with <paramref name="sign"/> −1, leave with the person).</summary>
    public void AddPre(double numerator, double denominator, double preNumerator, double preDenominator, int sign = 1)
    {
        PrePeople += sign;
        PreSum += sign * preNumerator;
        PreSumSquares += sign * preNumerator * preNumerator;
        PreDenominatorSum += sign * preDenominator;
        PreDenominatorSumSquares += sign * preDenominator * preDenominator;
        PostPreProducts += sign * numerator * preNumerator;
        DenominatorPostPreProducts += sign * denominator * preDenominator;
        PrePreDenominatorProducts += sign * preNumerator * preDenominator;
        PostPreDenominatorProducts += sign * numerator * preDenominator;
        PrePostDenominatorProducts += sign * preNumerator * denominator;
    }
}

/// <summary>Per-answer guardrails of one variant: answers, errors, empty answers and a latency histogram.</summary>
public sealed class ServingSums
{
    /// <summary>Latency buckets: 0.1 ms wide up to 100 ms, then one overflow bucket.</summary>
    private const int Buckets = 1001;
    private readonly long[] _latency = new long[Buckets];

    private long _answers, _errors, _empty;

    public long Answers => Interlocked.Read(ref _answers);
    public long Errors => Interlocked.Read(ref _errors);
    public long Empty => Interlocked.Read(ref _empty);

    /// <summary>Counts one answer; safe from any number of threads at once (no lock).</summary>
    public void Add(double latencyMs, bool empty, bool error)
    {
        Interlocked.Increment(ref _latency[Math.Clamp((int)(latencyMs * 10), 0, Buckets - 1)]);
        if (error) Interlocked.Increment(ref _errors);
        if (empty) Interlocked.Increment(ref _empty);
        Interlocked.Increment(ref _answers);
    }

    /// <summary>The <paramref name="q"/> quantile of latency in ms (upper edge of its bucket; 100+ when past the histogram).</summary>
    public double LatencyQuantile(double q)
    {
        if (Answers == 0) return 0;
        long target = (long)Math.Ceiling(q * Answers), seen = 0;
        for (int b = 0; b < Buckets; b++)
        {
            seen += Interlocked.Read(ref _latency[b]);
            if (seen >= target) return (b + 1) / 10.0;
        }
        return Buckets / 10.0;
    }
}
