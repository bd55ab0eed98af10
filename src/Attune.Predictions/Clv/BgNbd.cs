using Attune.Predictions.Numerics;
using static Attune.Predictions.Numerics.SpecialFunctions;

namespace Attune.Predictions.Clv;

/// <summary>BG/NBD's parameters: purchase rates ~ Gamma(r, α), dropout probabilities ~ Beta(a, b).</summary>
public readonly record struct BgNbdParams(double R, double Alpha, double A, double B)
{
    public static BgNbdParams Of(ClvFit fit) => new(fit["r"], fit["alpha"], fit["a"], fit["b"]);
}

/// <summary>
/// The beta-geometric / negative binomial distribution model of repeat purchases (Fader, Hardie and Lee 2005, "Counting your
/// customers the easy way"): while alive a customer buys at a Poisson rate, and after each purchase drops out with a fixed
/// probability. <see cref="Modified"/> is MBG/NBD (Batislam, Denizel and Filiztekin 2007): a customer may also drop out
/// right at the start, so one with no repeat purchase is not certainly alive.
/// </summary>
public static class BgNbd
{
    public static readonly string[] Names = ["r", "alpha", "a", "b"];

    /// <summary>Σ weight × ln L over the customers.</summary>
    public static double LogLikelihood(BgNbdParams p, IReadOnlyList<CustomerSummary> data, bool modified = false)
    {
        var (r, alpha, a, b) = (p.R, p.Alpha, p.A, p.B);
        double ll = 0;
        double lgR = LogGamma(r), lgAb = LogGamma(a + b), lgB = LogGamma(b), logAlpha = Math.Log(alpha), logA = Math.Log(a);
        foreach (var c in data)
        {
            double x = c.X;
            double a1 = LogGamma(r + x) - lgR + r * logAlpha;
            double a3 = -(r + x) * Math.Log(alpha + c.T);
            double value;
            if (!modified)
            {
                double a2 = lgAb + LogGamma(b + x) - lgB - LogGamma(a + b + x);
                double a4 = x > 0 ? logA - Math.Log(b + x - 1) - (r + x) * Math.Log(alpha + c.Tx) : double.NegativeInfinity;
                value = a1 + a2 + LogAddExp(a3, a4);
            }
            else
            {
                double a2 = lgAb + LogGamma(b + x + 1) - lgB - LogGamma(a + b + x + 1);
                double a4 = logA - Math.Log(b + x) + (r + x) * (Math.Log(alpha + c.T) - Math.Log(alpha + c.Tx));
                value = a1 + a2 + a3 + LogAddExp(a4, 0);
            }
            ll += c.Weight * value;
        }
        return ll;
    }

    /// <summary>Fits by maximum likelihood on the log-parameters (Nelder-Mead from r = α = a = b = 1); never throws on data it
    /// cannot fit: the result says <c>converged: false</c> and why.</summary>
    public static ClvFit Fit(IReadOnlyList<CustomerSummary> data, bool modified = false)
    {
        double weight = 0;
        foreach (var c in data) weight += c.Weight;
        if (weight <= 0) return new ClvFit(modified ? "mbgnbd" : "bgnbd", Params(new(1, 1, 1, 1)), double.NaN, false, "no customers to fit");
        var min = NelderMead.Minimize(v => -LogLikelihood(new(Math.Exp(v[0]), Math.Exp(v[1]), Math.Exp(v[2]), Math.Exp(v[3])), data, modified) / weight,
            [0, 0, 0, 0], names: Names);
        var best = new BgNbdParams(Math.Exp(min.Point[0]), Math.Exp(min.Point[1]), Math.Exp(min.Point[2]), Math.Exp(min.Point[3]));
        return new ClvFit(modified ? "mbgnbd" : "bgnbd", Params(best), LogLikelihood(best, data, modified), min.Converged, min.Reason);
    }

    private static Dictionary<string, double> Params(BgNbdParams p) => new() { ["r"] = p.R, ["alpha"] = p.Alpha, ["a"] = p.A, ["b"] = p.B };

    /// <summary>E[X(t)]: the expected repeat purchases in (0, t] of a customer picked at random.</summary>
    public static double ExpectedPurchases(BgNbdParams p, double t, bool modified = false)
    {
        var (r, alpha, a, b) = (p.R, p.Alpha, p.A, p.B);
        double z = t / (alpha + t);
        return modified
            ? b / (a - 1) * (1 - Hypergeometric2F1(r, b + 1, a + b, z) * Math.Pow(alpha / (alpha + t), r))
            : (a + b - 1) / (a - 1) * (1 - Math.Pow(alpha / (alpha + t), r) * Hypergeometric2F1(r, b, a + b - 1, z));
    }

    /// <summary>E[Y(t) | x, t_x, T]: the expected purchases in the next <paramref name="t"/> of a customer with this history.</summary>
    public static double ConditionalExpectedPurchases(BgNbdParams p, double t, double x, double tx, double T, bool modified = false)
    {
        var (r, alpha, a, b) = (p.R, p.Alpha, p.A, p.B);
        double z = t / (alpha + T + t);
        double ratio = Math.Pow((alpha + T) / (alpha + T + t), r + x);
        if (modified)
        {
            double numerator = (a + b + x) / (a - 1) * (1 - Hypergeometric2F1(r + x, b + x + 1, a + b + x, z) * ratio);
            return numerator / (1 + a / (b + x) * Math.Pow((alpha + T) / (alpha + tx), r + x));
        }
        double hyp = Hypergeometric2F1(r + x, b + x, a + b + x - 1, z);
        double first = (a + b + x - 1) / (a - 1) * (1 - hyp * ratio);
        double denominator = 1 + (x > 0 ? a / (b + x - 1) * Math.Pow((alpha + T) / (alpha + tx), r + x) : 0);
        return first / denominator;
    }

    /// <summary>P(alive | x, t_x, T).</summary>
    public static double ProbabilityAlive(BgNbdParams p, double x, double tx, double T, bool modified = false)
    {
        var (r, alpha, a, b) = (p.R, p.Alpha, p.A, p.B);
        if (modified) return 1 / (1 + a / (b + x) * Math.Pow((alpha + T) / (alpha + tx), r + x));
        return x == 0 ? 1 : 1 / (1 + a / (b + x - 1) * Math.Pow((alpha + T) / (alpha + tx), r + x));
    }

    /// <summary>P(X(t) = n) for a customer picked at random (BG/NBD, FHL 2005 equation 8).</summary>
    public static double ProbabilityOfPurchases(BgNbdParams p, double t, int n)
    {
        var (r, alpha, a, b) = (p.R, p.Alpha, p.A, p.B);
        double logBab = LogBeta(a, b);
        double first = Math.Exp(LogBeta(a, b + n) - logBab + LogGamma(r + n) - LogGamma(r) - LogGamma(n + 1)
            + r * Math.Log(alpha / (alpha + t)) + n * Math.Log(t / (alpha + t)));
        if (n == 0) return first;
        double sum = 0;
        for (int j = 0; j < n; j++)
            sum += Math.Exp(LogGamma(r + j) - LogGamma(r) - LogGamma(j + 1) + j * Math.Log(t / (alpha + t)));
        double second = Math.Exp(LogBeta(a + 1, b + n - 1) - logBab) * (1 - Math.Pow(alpha / (alpha + t), r) * sum);
        return first + second;
    }
}
