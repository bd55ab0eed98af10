using Attune.Predictions.Numerics;
using static Attune.Predictions.Numerics.SpecialFunctions;

namespace Attune.Predictions.Clv;

/// <summary>Gamma-Gamma's parameters: spend per transaction ~ Gamma(p, ν), ν ~ Gamma(q, γ) (named p, q, v).</summary>
public readonly record struct GammaGammaParams(double P, double Q, double V)
{
    public static GammaGammaParams Of(ClvFit fit) => new(fit["p"], fit["q"], fit["v"]);
}

/// <summary>
/// The Gamma-Gamma model of spend per transaction (Fader and Hardie, note 025; Colombo and Jiang 1999): fitted on repeat
/// customers' number of repeat purchases and their mean spend, it gives each customer's expected spend per future
/// transaction, shrunk from their own mean towards the population's.
/// </summary>
public static class GammaGamma
{
    public static readonly string[] Names = ["p", "q", "v"];

    /// <summary>Σ weight × ln L over the customers with at least one repeat purchase (the others carry no spend information).</summary>
    public static double LogLikelihood(GammaGammaParams g, IReadOnlyList<CustomerSummary> data)
    {
        var (p, q, v) = (g.P, g.Q, g.V);
        double ll = 0, lgQ = LogGamma(q), logV = Math.Log(v);
        foreach (var c in data)
        {
            if (c.X <= 0) continue;
            double x = c.X, m = c.MeanSpend;
            ll += c.Weight * (LogGamma(p * x + q) - LogGamma(p * x) - lgQ + q * logV + (p * x - 1) * Math.Log(m) + p * x * Math.Log(x)
                - (p * x + q) * Math.Log(x * m + v));
        }
        return ll;
    }

    public static ClvFit Fit(IReadOnlyList<CustomerSummary> data)
    {
        double weight = 0;
        foreach (var c in data) if (c.X > 0) weight += c.Weight;
        if (weight <= 0) return new ClvFit("gamma-gamma", Params(new(1, 1, 1)), double.NaN, false, "no customer with a repeat purchase to fit");
        var min = NelderMead.Minimize(v => -LogLikelihood(new(Math.Exp(v[0]), Math.Exp(v[1]), Math.Exp(v[2])), data) / weight, [0, 0, 0], names: Names);
        var best = new GammaGammaParams(Math.Exp(min.Point[0]), Math.Exp(min.Point[1]), Math.Exp(min.Point[2]));
        return new ClvFit("gamma-gamma", Params(best), LogLikelihood(best, data), min.Converged, min.Reason);
    }

    private static Dictionary<string, double> Params(GammaGammaParams g) => new() { ["p"] = g.P, ["q"] = g.Q, ["v"] = g.V };

    /// <summary>E[M | x, m̄]: the expected spend per transaction of a customer with <paramref name="x"/> repeat purchases of
    /// mean <paramref name="meanSpend"/> (the population mean p·v/(q−1) when x = 0).</summary>
    public static double ConditionalExpectedAverageSpend(GammaGammaParams g, double x, double meanSpend) =>
        g.P * (g.V + x * meanSpend) / (g.P * x + g.Q - 1);
}
