namespace Attune.Experiments.Statistics;

/// <summary>
/// The exact two-sided sign test: of <c>n</c> people with a preference, <c>k</c> preferred B; under "no preference" k is
/// Binomial(n, ½). Used by interleaving experiments (Chapelle et al. 2012, "Large-scale validation and analysis of
/// interleaved search evaluation").
/// </summary>
public static class SignTest
{
    /// <summary>P(|X − n/2| ≥ |k − n/2|) for X ~ Binomial(n, ½); 1 when n is 0.</summary>
    public static double TwoSidedPValue(long k, long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        if (n == 0) return 1;
        long tail = Math.Min(k, n - k);
        return Math.Min(1, 2 * LowerTail(tail, n));
    }

    /// <summary>P(X ≤ k) for X ~ Binomial(n, ½) = I_{½}(n − k, k + 1).</summary>
    public static double LowerTail(long k, long n)
    {
        if (k >= n) return 1;
        if (k < 0) return 0;
        return IncompleteBeta.Regularized(n - k, k + 1, 0.5, 0.5).Lower;
    }
}
