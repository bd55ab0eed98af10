namespace Attune.Experiments.Statistics;

/// <summary>
/// The Student t distribution (location 0, scale 1) for any real degrees of freedom ν &gt; 0: what gbstats takes from
/// <c>scipy.stats.t.cdf</c> and <c>scipy.stats.t.ppf</c>.
/// </summary>
/// <remarks>
/// Written by hand: MathNet.Numerics 5.0's <c>StudentT.InvCDF</c> is a bracketed root search on [−800, 800] with 1e-12 absolute
/// accuracy, off by up to 1e-7 (relative) in the tails and undefined beyond ±800, and its CDF is off by 1e-8 at ν = 1e7.
/// Here the CDF comes from <see cref="IncompleteBeta"/> (P(T ≤ −|t|) = ½ I_{ν/(ν+t²)}(ν/2, ½), both arguments computed
/// directly; BGRAT past 30 degrees of freedom), and the quantile from Hill's approximation (CACM algorithm 396, as R's
/// <c>qt</c> uses it) polished by Newton steps on ln P(T &gt; x) inside a bracket. Against 40-digit mpmath values on 400 random
/// points with ν from 1 to 1e9: within 3e-13 (relative), tails down to 1e-277 included.
/// </remarks>
internal static class StudentTDistribution
{
    /// <summary>P(T ≤ t).</summary>
    public static double Cdf(double t, double dof)
    {
        if (double.IsNaN(t) || double.IsNaN(dof) || dof <= 0) return double.NaN;
        if (double.IsPositiveInfinity(dof)) return NormalDistribution.Cdf(t);
        double tail = LowerTail(-Math.Abs(t), dof);
        return t > 0 ? 1 - tail : tail;
    }

    /// <summary>The density at t.</summary>
    public static double Pdf(double t, double dof) =>
        Math.Exp(-IncompleteBeta.LogBeta(dof / 2, 0.5) - 0.5 * Math.Log(dof) - (dof + 1) / 2 * IncompleteBeta.Log1P(t * t / dof));

    /// <summary>The p-quantile: the x with P(T ≤ x) = p.</summary>
    public static double Quantile(double p, double dof)
    {
        if (double.IsNaN(p) || double.IsNaN(dof) || dof <= 0 || p < 0 || p > 1) return double.NaN;
        if (p == 0) return double.NegativeInfinity;
        if (p == 1) return double.PositiveInfinity;
        if (p == 0.5) return 0;
        if (double.IsPositiveInfinity(dof)) return NormalDistribution.Quantile(p);
        // For p > ½, 1 − p is exact in binary floating point (Sterbenz), so the upper tail target loses nothing.
        double tail = p < 0.5 ? p : 1 - p;
        double x = UpperTailQuantile(tail, dof);
        return p < 0.5 ? -x : x;
    }

    /// <summary>P(T ≤ t) for t ≤ 0.</summary>
    private static double LowerTail(double t, double dof)
    {
        if (double.IsNegativeInfinity(t)) return 0;
        double t2 = t * t;
        if (double.IsPositiveInfinity(t2)) return 0;
        double total = dof + t2;
        return IncompleteBeta.Regularized(dof / 2, 0.5, dof / total, t2 / total).Lower / 2;
    }

    /// <summary>The x ≥ 0 with P(T &gt; x) = q, for 0 &lt; q &lt; ½.</summary>
    private static double UpperTailQuantile(double q, double dof)
    {
        double x = HillApproximation(q, dof);
        if (!(x > 0) || double.IsInfinity(x)) x = 1;
        double lo = 0, hi = double.PositiveInfinity, logQ = Math.Log(q);
        for (int i = 0; i < 100; i++)
        {
            double s = LowerTail(-x, dof);
            if (s == q) return x;
            if (s > q) lo = x; else hi = x;
            // Newton on f(x) = ln P(T > x) − ln q, whose slope is −pdf/sf: nearly linear in both normal and heavy tails.
            double next = x + (Math.Log(s) - logQ) * s / Pdf(x, dof);
            if (!(next > lo && next < hi)) next = double.IsPositiveInfinity(hi) ? 2 * x + 1 : 0.5 * (lo + hi);
            if (Math.Abs(next - x) <= 2e-16 * x) return next;
            x = next;
        }
        return x;
    }

    /// <summary>Hill (1970), CACM algorithm 396, for the upper tail probability q; within about 1e-6 for ν ≥ 1.</summary>
    private static double HillApproximation(double q, double dof)
    {
        if (dof < 1) return 1;
        double p2 = 2 * q; // two-sided tail probability
        double a = 1 / (dof - 0.5);
        double b = 48 / (a * a);
        double c = ((20700 * a / b - 98) * a - 16) * a + 96.36;
        double d = ((94.5 / (b + c) - 3) / b + 1) * Math.Sqrt(a * Math.PI / 2) * dof;
        double y = Math.Pow(d * p2, 2 / dof);
        if (y > 0.05 + a)
        {
            // Asymptotic inverse expansion about the normal.
            double x = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.5 * p2);
            y = x * x;
            if (dof < 5) c += 0.3 * (dof - 4.5) * (x + 0.6);
            c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c;
            y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x;
            y = Math.Exp(a * y * y) - 1;
        }
        else
        {
            y = ((1 / (((dof + 6) / (dof * y) - 0.089 * d - 0.822) * (dof + 2) * 3) + 0.5 / (dof + 4)) * y - 1) * (dof + 1) / (dof + 2) + 1 / y;
        }
        return Math.Sqrt(dof * y);
    }
}
