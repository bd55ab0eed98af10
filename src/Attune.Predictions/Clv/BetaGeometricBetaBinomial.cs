using Attune.Predictions.Numerics;
using static Attune.Predictions.Numerics.SpecialFunctions;

namespace Attune.Predictions.Clv;

/// <summary>
/// The beta-geometric/beta-binomial model of discrete-time repeat behaviour (Fader, Hardie and Shang 2010, "Customer-base
/// analysis in a discrete-time noncontractual setting"): at each of n opportunities an alive customer transacts with
/// probability p ~ Beta(α, β) and, before the next, dies with probability θ ~ Beta(γ, δ). Parameters: alpha, beta, gamma, delta.
/// </summary>
public static class BetaGeometricBetaBinomial
{
    public static readonly string[] Names = ["alpha", "beta", "gamma", "delta"];

    /// <summary>Σ count × ln L over the (frequency, recency, periods) groups.</summary>
    public static double LogLikelihood(double alpha, double beta, double gamma, double delta, IReadOnlyList<(int Frequency, int Recency, int Periods, double Weight)> data)
    {
        double bAlphaBeta = LogBeta(alpha, beta), bGammaDelta = LogBeta(gamma, delta), ll = 0;
        foreach (var (x, tx, n, w) in data)
        {
            if (w == 0) continue;
            // Alive through all n opportunities, or died right after opportunity t_x + i (i = 0 … n − t_x − 1).
            double value = LogBeta(alpha + x, beta + n - x) - bAlphaBeta + LogBeta(gamma, delta + n) - bGammaDelta;
            for (int i = 0; i < n - tx; i++)
                value = LogAddExp(value, LogBeta(alpha + x, beta + tx - x + i) - bAlphaBeta + LogBeta(gamma + 1, delta + tx + i) - bGammaDelta);
            ll += w * value;
        }
        return ll;
    }

    public static ClvFit Fit(IReadOnlyList<(int Frequency, int Recency, int Periods, double Weight)> data)
    {
        double weight = 0;
        foreach (var row in data) weight += row.Weight;
        if (weight <= 0) return new ClvFit("bgbb", Params(1, 1, 1, 1), double.NaN, false, "no customers to fit");
        var min = NelderMead.Minimize(v => -LogLikelihood(Math.Exp(v[0]), Math.Exp(v[1]), Math.Exp(v[2]), Math.Exp(v[3]), data) / weight, [0, 0, 0, 0], names: Names);
        double[] p = [.. min.Point.Select(Math.Exp)];
        return new ClvFit("bgbb", Params(p[0], p[1], p[2], p[3]), LogLikelihood(p[0], p[1], p[2], p[3], data), min.Converged, min.Reason);
    }

    private static Dictionary<string, double> Params(double alpha, double beta, double gamma, double delta) =>
        new() { ["alpha"] = alpha, ["beta"] = beta, ["gamma"] = gamma, ["delta"] = delta };
}
