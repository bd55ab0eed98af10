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
/// (I or 1 − I) converges, so the smaller of the two is never obtained by subtraction from 1.
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
