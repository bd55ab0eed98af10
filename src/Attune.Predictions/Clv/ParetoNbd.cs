using Attune.Predictions.Numerics;
using static Attune.Predictions.Numerics.SpecialFunctions;

namespace Attune.Predictions.Clv;

/// <summary>Pareto/NBD's parameters: purchase rates ~ Gamma(r, α), dropout rates ~ Gamma(s, β).</summary>
public readonly record struct ParetoNbdParams(double R, double Alpha, double S, double Beta)
{
    public static ParetoNbdParams Of(ClvFit fit) => new(fit["r"], fit["alpha"], fit["s"], fit["beta"]);
}

/// <summary>
/// The Pareto/NBD model (Schmittlein, Morrison and Colombo 1987): while alive a customer buys at a Poisson rate and dies at an
/// exponential time, both heterogeneous (Gamma). The likelihood follows Fader and Hardie's note 009 (equations 18–20), with the
/// Gauss hypergeometric function taken on the side where its series converges.
/// </summary>
public static class ParetoNbd
{
    public static readonly string[] Names = ["r", "alpha", "s", "beta"];

    /// <summary>ln A₀ of note 009 (equations 19 and 20); NaN where it cannot be evaluated.</summary>
    private static double LogA0(ParetoNbdParams p, double x, double tx, double T)
    {
        var (r, alpha, s, beta) = (p.R, p.Alpha, p.S, p.Beta);
        (double min, double max, double t) = alpha < beta ? (alpha, beta, r + x) : (beta, alpha, s + 1);
        double rsf = r + s + x, gap = max - min;
        double q1 = max + tx, q2 = max + T;
        double p1 = Hypergeometric2F1(rsf, t, rsf + 1, gap / q1);
        double p2 = Hypergeometric2F1(rsf, t, rsf + 1, gap / q2);
        // ln(p1 / q1^rsf − p2 / q2^rsf): the first term is the larger (q1 ≤ q2).
        double a = Math.Log(p1) - rsf * Math.Log(q1), b = Math.Log(p2) - rsf * Math.Log(q2);
        if (!(a > b)) return a == b ? double.NegativeInfinity : double.NaN;
        return a + Math.Log(1 - Math.Exp(b - a));
    }

    /// <summary>ln L of one customer (note 009, equation 18).</summary>
    public static double LogLikelihood(ParetoNbdParams p, double x, double tx, double T)
    {
        var (r, alpha, s, beta) = (p.R, p.Alpha, p.S, p.Beta);
        double a1 = LogGamma(r + x) - LogGamma(r) + r * Math.Log(alpha) + s * Math.Log(beta);
        double alive = -(r + x) * Math.Log(alpha + T) - s * Math.Log(beta + T);
        double died = Math.Log(s) + LogA0(p, x, tx, T) - Math.Log(r + s + x);
        return a1 + LogAddExp(alive, double.IsNaN(died) ? double.NaN : died);
    }

    public static double LogLikelihood(ParetoNbdParams p, IReadOnlyList<CustomerSummary> data)
    {
        double ll = 0;
        foreach (var c in data) ll += c.Weight * LogLikelihood(p, c.X, c.Tx, c.T);
        return ll;
    }

    public static ClvFit Fit(IReadOnlyList<CustomerSummary> data)
    {
        double weight = 0;
        foreach (var c in data) weight += c.Weight;
        if (weight <= 0) return new ClvFit("pareto-nbd", Params(new(1, 1, 1, 1)), double.NaN, false, "no customers to fit");
        var min = NelderMead.Minimize(v => -LogLikelihood(new(Math.Exp(v[0]), Math.Exp(v[1]), Math.Exp(v[2]), Math.Exp(v[3])), data) / weight,
            [0, 0, 0, 0], names: Names);
        var best = new ParetoNbdParams(Math.Exp(min.Point[0]), Math.Exp(min.Point[1]), Math.Exp(min.Point[2]), Math.Exp(min.Point[3]));
        return new ClvFit("pareto-nbd", Params(best), LogLikelihood(best, data), min.Converged, min.Reason);
    }

    private static Dictionary<string, double> Params(ParetoNbdParams p) => new() { ["r"] = p.R, ["alpha"] = p.Alpha, ["s"] = p.S, ["beta"] = p.Beta };

    /// <summary>E[X(t)] for a customer picked at random: r β / (α (s − 1)) × [1 − (β / (β + t))^(s − 1)].</summary>
    public static double ExpectedPurchases(ParetoNbdParams p, double t) =>
        p.R * p.Beta / (p.Alpha * (p.S - 1)) * (1 - Math.Pow(p.Beta / (p.Beta + t), p.S - 1));

    /// <summary>E[Y(t) | x, t_x, T] (note 009; in logs, so long histories do not underflow).</summary>
    public static double ConditionalExpectedPurchases(ParetoNbdParams p, double t, double x, double tx, double T)
    {
        var (r, alpha, s, beta) = (p.R, p.Alpha, p.S, p.Beta);
        double likelihood = LogLikelihood(p, x, tx, T);
        double first = LogGamma(r + x) - LogGamma(r) + r * Math.Log(alpha) + s * Math.Log(beta) - (r + x) * Math.Log(alpha + T) - s * Math.Log(beta + T);
        double second = Math.Log(r + x) + Math.Log(beta + T) - Math.Log(alpha + T);
        double third = Math.Log((1 - Math.Pow((beta + T) / (beta + T + t), s - 1)) / (s - 1));
        return Math.Exp(first + second + third - likelihood);
    }

    /// <summary>P(alive | x, t_x, T).</summary>
    public static double ProbabilityAlive(ParetoNbdParams p, double x, double tx, double T)
    {
        var (r, alpha, s, beta) = (p.R, p.Alpha, p.S, p.Beta);
        return 1 / (1 + Math.Exp(Math.Log(s) - Math.Log(r + s + x) + (r + x) * Math.Log(alpha + T) + s * Math.Log(beta + T) + LogA0(p, x, tx, T)));
    }
}
