namespace Attune.Experiments.Statistics;

/// <summary>
/// The regularized incomplete beta function I_x(a, b) and its complement, for the Student t distribution.
/// </summary>
/// <remarks>
/// Written by hand because MathNet.Numerics 5.0's <c>BetaRegularized</c> loses about 1e-8 (relative) for the Student t at
/// 1e5–1e7 degrees of freedom, which is where A/B tests live (Welch degrees of freedom are about the sample size). Two causes,
/// two fixes: the caller passes both x and y = 1 − x, each computed directly, so ln x and ln y keep full precision
/// (<c>log1p</c>); and ln B(a, b) for large a comes from Stirling's series as a difference of nearly equal log-gammas.
/// The continued fraction is the classic one (Numerical Recipes §6.4, modified Lentz), evaluated on whichever side
/// (I or 1 − I) converges, so the smaller of the two is never obtained by subtraction from 1. For large a and b ≤ 1 (the t
/// distribution past 30 degrees of freedom) it needs √a terms and loses digits, so there DiDonato and Morris's asymptotic
/// expansion BGRAT (ACM TOMS 708, 1992, §9; as in Boost's <c>beta_small_b_large_a_series</c>) takes over.
/// </remarks>
internal static class IncompleteBeta
{
    private const double Epsilon = 2.220446049250313e-16;
    private const double Tiny = 1e-300;
    /// <summary>Above this, ln Γ(a + b) − ln Γ(a) comes from Stirling's series, not from two big log-gammas.</summary>
    private const double StirlingFrom = 10;

    /// <summary>I_x(a, b) and 1 − I_x(a, b); <paramref name="y"/> must be 1 − <paramref name="x"/>, computed without rounding loss.</summary>
    public static (double Lower, double Upper) Regularized(double a, double b, double x, double y)
    {
        if (double.IsNaN(a) || double.IsNaN(b) || double.IsNaN(x) || double.IsNaN(y) || a <= 0 || b <= 0) return (double.NaN, double.NaN);
        if (x <= 0) return (0, 1);
        if (y <= 0) return (1, 0);
        if (a >= LargeA && b <= 1 && x >= 0.5)
        {
            double lower = LargeASeries(a, b, x, y);
            return (lower, 1 - lower);
        }
        // x^a y^b / B(a, b), in logs.
        double front = Math.Exp(a * LogOf(x, y) + b * LogOf(y, x) - LogBeta(a, b));
        if (x < (a + 1) / (a + b + 2))
        {
            double lower = front * ContinuedFraction(a, b, x) / a;
            return (lower, 1 - lower);
        }
        double upper = front * ContinuedFraction(b, a, y) / b;
        return (1 - upper, upper);
    }

    /// <summary>From here on (with b ≤ 1), <see cref="LargeASeries"/> instead of the continued fraction.</summary>
    private const double LargeA = 15;

    /// <summary>(2n + 1)! for n = 0..29, the denominators of BGRAT's coefficients.</summary>
    private static readonly double[] OddFactorials = CreateOddFactorials();

    private static double[] CreateOddFactorials()
    {
        var f = new double[30];
        double k = 1;
        for (int n = 0, i = 1; n < 30; n++)
        {
            for (; i <= 2 * n + 1; i++) k *= i;
            f[n] = k;
        }
        return f;
    }

    /// <summary>
    /// I_x(a, b) for a ≥ 15, b ≤ 1 by BGRAT: with T = a + (b − 1)/2 and u = −T ln x, I = M Σ pₙ Jₙ(b, u), where
    /// M = uᵇe⁻ᵘ/Γ(b) · Γ(a + b)/Γ(a) / Tᵇ, J₀ = Q(b, u)/(uᵇe⁻ᵘ/Γ(b)), pₙ and Jₙ by DiDonato and Morris's recurrences (9.3, 9.6).
    /// </summary>
    private static double LargeASeries(double a, double b, double x, double y)
    {
        double t = a + (b - 1) / 2;
        double lx = y < 0.35 ? Log1P(-y) : Math.Log(x);
        double u = -t * lx;
        double h = Math.Exp(b * Math.Log(u) - u - LogGamma(b));
        if (!(h > 0)) return 0; // below 1e-300: the tail is 0 in doubles
        double prefix = h * Math.Exp(LogGammaRatio(a, b)) / Math.Pow(t, b);
        // Q(b, u); for the t distribution's b = ½ it is erfc(√u).
        double q = b == 0.5 ? MathNet.Numerics.SpecialFunctions.Erfc(Math.Sqrt(u)) : MathNet.Numerics.SpecialFunctions.GammaUpperRegularized(b, u);
        double j = q / h;
        double sum = prefix * j;
        Span<double> p = stackalloc double[30];
        p[0] = 1;
        double lx2 = lx / 2 * (lx / 2), lxp = 1, t4 = 4 * t * t, b2n = b, bm1 = b - 1;
        for (int n = 1; n < 30; n++)
        {
            double pn = 0;
            for (int m = 1; m < n; m++) pn += (m * b - n) * p[n - m] / OddFactorials[m];
            p[n] = pn / n + bm1 / OddFactorials[n];
            j = (b2n * (b2n + 1) * j + (u + b2n + 1) * lxp) / t4;
            lxp *= lx2;
            b2n += 2;
            double term = prefix * p[n] * j;
            sum += term;
            if (Math.Abs(term) <= Epsilon * Math.Abs(sum)) break;
        }
        return sum;
    }

    /// <summary>ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).</summary>
    /// <remarks>Accurate to about 1e-15 (absolute) when the smaller argument is small, as for the t distribution (b = ½).</remarks>
    public static double LogBeta(double a, double b)
    {
        if (a < b) (a, b) = (b, a);
        if (a >= StirlingFrom) return LogGamma(b) - LogGammaRatio(a, b);
        return LogGamma(a) + LogGamma(b) - LogGamma(a + b);
    }

    private static double LogGamma(double z) => MathNet.Numerics.SpecialFunctions.GammaLn(z);

    /// <summary>ln Γ(a + b) − ln Γ(a) for a ≥ 10 without cancellation: b ln a + (a + b − ½) ln(1 + b/a) − b + S(a + b) − S(a).</summary>
    private static double LogGammaRatio(double a, double b) =>
        b * Math.Log(a) + (a + b - 0.5) * Log1P(b / a) - b + StirlingCorrection(a + b) - StirlingCorrection(a);

    /// <summary>ln(1 + v) to a few ulps for small v (Goldberg's trick; <c>double.LogP1</c> is plain <c>Log(1 + v)</c>).</summary>
    internal static double Log1P(double v)
    {
        double u = 1 + v;
        return u == 1 ? v : Math.Log(u) * v / (u - 1);
    }

    /// <summary>ln Γ(z) − [(z − ½) ln z − z + ½ ln 2π], Stirling's series; truncation error below 1e-16 for z ≥ 10.</summary>
    private static double StirlingCorrection(double z)
    {
        double r = 1 / z, r2 = r * r;
        return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188 - r2 * (691.0 / 360360 - r2 / 156))))));
    }

    /// <summary>ln x, taken from y = 1 − x when x is near 1 so that no digits are lost.</summary>
    private static double LogOf(double x, double y) => x < 0.5 ? Math.Log(x) : Log1P(-y);

    /// <summary>The continued fraction for I_x(a, b) (Numerical Recipes <c>betacf</c>, modified Lentz); converges for x &lt; (a + 1)/(a + b + 2).</summary>
    private static double ContinuedFraction(double a, double b, double x)
    {
        // Worst case near the switch point takes O(sqrt(max(a, b))) terms (Numerical Recipes); allow plenty.
        int maxTerms = 1000 + (int)Math.Min(1e7, 20 * Math.Sqrt(Math.Max(a, b)));
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= maxTerms; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.Abs(del - 1) <= Epsilon) break;
        }
        return h;
    }
}
