using Attune.Predictions.Numerics;
using static Attune.Predictions.Numerics.SpecialFunctions;

namespace Attune.Predictions.Clv;

/// <summary>A contract customer observed up to period <see cref="T"/>: the period they churned in (<see cref="Recency"/> &lt;
/// <see cref="T"/>), or still active in period <see cref="T"/> (<see cref="Recency"/> = <see cref="T"/>: they renewed T − 1
/// times); periods are whole numbers from 1.</summary>
public readonly record struct ContractCustomer(string Id, int Recency, int T, string Cohort);

/// <summary>
/// The shifted-beta-geometric model of contractual churn (Fader and Hardie 2007, "How to project customer retention"): each
/// customer renews every period with a fixed probability, heterogeneous across customers as Beta(α, β). Fitted per cohort.
/// </summary>
public static class ShiftedBetaGeometric
{
    public static readonly string[] Names = ["alpha", "beta"];

    /// <summary>ln L of one cohort: P(churn in period t) = B(α+1, β+t−1)/B(α, β) for the churned; for those active in period
    /// T, the survival of the T − 1 renewals before it, S(T − 1) = B(α, β+T−1)/B(α, β). (Fader and Hardie's cohorts, alive at
    /// the end of years 0…7, are customers with T = 8: churned in years 1…7, or active in year 8.)</summary>
    public static double LogLikelihood(double alpha, double beta, IReadOnlyList<ContractCustomer> cohort)
    {
        double logB = LogBeta(alpha, beta), ll = 0;
        foreach (var c in cohort)
            ll += c.Recency < c.T ? LogBeta(alpha + 1, beta + c.Recency - 1) - logB : LogBeta(alpha, beta + c.T - 1) - logB;
        return ll;
    }

    /// <summary>One fit per cohort (in the order cohorts first appear); the whole fit converged when every cohort's did.</summary>
    public static ClvFit Fit(IReadOnlyList<ContractCustomer> data)
    {
        var cohorts = new Dictionary<string, ClvFit>(StringComparer.Ordinal);
        double total = 0;
        var reasons = new List<string>();
        foreach (var group in data.GroupBy(c => c.Cohort, StringComparer.Ordinal))
        {
            var members = group.ToList();
            var min = NelderMead.Minimize(v => -LogLikelihood(Math.Exp(v[0]), Math.Exp(v[1]), members) / members.Count, [0, 0], names: Names);
            double alpha = Math.Exp(min.Point[0]), beta = Math.Exp(min.Point[1]);
            double ll = LogLikelihood(alpha, beta, members);
            total += ll;
            if (!min.Converged) reasons.Add($"{group.Key}: {min.Reason}");
            cohorts[group.Key] = new ClvFit("sbg", new Dictionary<string, double> { ["alpha"] = alpha, ["beta"] = beta }, ll, min.Converged, min.Reason);
        }
        if (cohorts.Count == 0) return new ClvFit("sbg", new Dictionary<string, double>(), double.NaN, false, "no customers to fit");
        return new ClvFit("sbg", new Dictionary<string, double>(), total, reasons.Count == 0, reasons.Count == 0 ? null : string.Join("; ", reasons))
        {
            Cohorts = cohorts,
        };
    }

    /// <summary>The expected retention rate from period t−1 to t: (β + t − 1)/(α + β + t − 1).</summary>
    public static double RetentionRate(double alpha, double beta, int t) => (beta + t - 1) / (alpha + beta + t - 1);

    /// <summary>S(t): the share of a cohort still active after t periods.</summary>
    public static double Survival(double alpha, double beta, int t) => Math.Exp(LogBeta(alpha, beta + t) - LogBeta(alpha, beta));
}
