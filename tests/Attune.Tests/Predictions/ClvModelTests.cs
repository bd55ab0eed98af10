using System.Text.Json;
using Attune.Predictions.Clv;
using Attune.Predictions.Numerics;
using Attune.Tests.EndToEnd;

namespace Attune.Tests.Predictions;

/// <summary>
/// CLV models against the published fits on CDNOW (`../shared/datasets/cdnow-transactions/expected_values.json`: lifetimes'
/// test suite, from Fader, Hardie and Lee 2005 and Hardie's notes). "To 2 decimals" is numpy's assert_almost_equal, as
/// lifetimes asserts it: |fitted − published| &lt; 1.5 × 10⁻².
/// </summary>
public sealed class ClvModelTests
{
    private static string Dir => Path.Combine(TestPaths.SharedDatasets!, "cdnow-transactions");

    private static JsonElement Expected => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected_values.json"))).RootElement;

    private static void AlmostEqual(double expected, double actual, int decimals) =>
        Assert.True(Math.Abs(expected - actual) < 1.5 * Math.Pow(10, -decimals), $"expected {expected}, got {actual} (to {decimals} decimals)");

    [Fact]
    public void BgNbdFitsCdnowAsPublishedAndItsExpectationsMatch()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        var bg = Expected.GetProperty("bg_nbd_cdnow");
        var fit = BgNbd.Fit(ClvFile.ReadSummaries(Path.Combine(Dir, "cdnow_customers_summary.csv"), spend: false));
        Assert.True(fit.Converged, fit.Reason);
        var published = bg.GetProperty("fit_params_r_alpha_a_b");
        double[] expected = [.. published.GetProperty("expected").EnumerateArray().Select(e => e.GetDouble())];
        int decimals = published.GetProperty("decimals").GetInt32();
        for (int i = 0; i < 4; i++) AlmostEqual(expected[i], fit[BgNbd.Names[i]], decimals);
        AlmostEqual(bg.GetProperty("log_likelihood_at_mle").GetProperty("value").GetDouble(), fit.LogLikelihood, 2);

        var p = BgNbdParams.Of(fit);
        var c = bg.GetProperty("conditional_expected_purchases");
        double conditional = BgNbd.ConditionalExpectedPurchases(p, c.GetProperty("t").GetDouble(), c.GetProperty("x").GetDouble(),
            c.GetProperty("t_x").GetDouble(), c.GetProperty("T").GetDouble());
        Assert.True(Math.Abs(conditional - c.GetProperty("expected").GetDouble()) <= c.GetProperty("abs_tol").GetDouble(), $"{conditional}");

        var upTo = bg.GetProperty("expected_purchases_up_to_time");
        var times = upTo.GetProperty("t").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var values = upTo.GetProperty("expected").EnumerateArray().Select(e => e.GetDouble()).ToList();
        for (int i = 0; i < times.Count; i++) AlmostEqual(values[i], BgNbd.ExpectedPurchases(p, times[i]), upTo.GetProperty("decimals").GetInt32());

        var alive = bg.GetProperty("p_alive_no_repeat");
        Assert.Equal(alive.GetProperty("expected").GetDouble(),
            BgNbd.ProbabilityAlive(p, alive.GetProperty("x").GetDouble(), alive.GetProperty("t_x").GetDouble(), alive.GetProperty("T").GetDouble()));
    }

    [Fact]
    public void TheProbabilityOfNPurchasesMatchesRsBtydWithItsPublishedParameters()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        var probabilities = Expected.GetProperty("bg_nbd_cdnow").GetProperty("prob_n_purchases_with_fixed_params");
        var ps = probabilities.GetProperty("params");
        var p = new BgNbdParams(ps.GetProperty("r").GetDouble(), ps.GetProperty("alpha").GetDouble(), ps.GetProperty("a").GetDouble(), ps.GetProperty("b").GetDouble());
        double tolerance = probabilities.GetProperty("abs_tol").GetDouble();
        foreach (var c in probabilities.GetProperty("cases").EnumerateArray())
        {
            double actual = BgNbd.ProbabilityOfPurchases(p, c.GetProperty("t").GetDouble(), c.GetProperty("n").GetInt32());
            Assert.True(Math.Abs(actual - c.GetProperty("expected").GetDouble()) <= tolerance, $"{c}: {actual}");
        }
        int n = 11;
        foreach (var e in probabilities.GetProperty("pmf_t30_n11_to_20").EnumerateArray())
        {
            double actual = BgNbd.ProbabilityOfPurchases(p, 30, n++);
            Assert.True(Math.Abs(actual - e.GetDouble()) <= tolerance, $"n {n - 1}: {actual} vs {e.GetDouble()}");
        }
    }

    [Fact]
    public void GammaGammaFitsCdnowsRepeatCustomersAsPublished()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        var gg = Expected.GetProperty("gamma_gamma_cdnow");
        var data = ClvFile.ReadSummaries(Path.Combine(Dir, "cdnow_customers_summary_with_transactions.csv"), spend: true);
        var fit = GammaGamma.Fit(data);
        Assert.True(fit.Converged, fit.Reason);
        var published = gg.GetProperty("fit_params_p_q_v");
        double[] expected = [.. published.GetProperty("expected").EnumerateArray().Select(e => e.GetDouble())];
        for (int i = 0; i < 3; i++) AlmostEqual(expected[i], fit[GammaGamma.Names[i]], published.GetProperty("decimals").GetInt32());

        var profits = gg.GetProperty("conditional_expected_average_profit_first10");
        var pp = profits.GetProperty("params");
        var g = new GammaGammaParams(pp.GetProperty("p").GetDouble(), pp.GetProperty("q").GetDouble(), pp.GetProperty("v").GetDouble());
        int i2 = 0;
        foreach (var e in profits.GetProperty("expected").EnumerateArray())
        {
            var c = data[i2++];
            double actual = GammaGamma.ConditionalExpectedAverageSpend(g, c.X, c.MeanSpend);
            Assert.True(Math.Abs(actual - e.GetDouble()) <= profits.GetProperty("abs_tol").GetDouble(), $"customer {c.Id}: {actual} vs {e.GetDouble()}");
        }
    }

    [Fact]
    public void ModifiedBgNbdFitsCdnowLikeLifetimes()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        // lifetimes' test_modified_beta_geo_fitter (Batislam et al. 2007's parameters on CDNOW): 0.525, 6.183, 0.891, 1.614 to 3 decimals.
        var fit = BgNbd.Fit(ClvFile.ReadSummaries(Path.Combine(Dir, "cdnow_customers_summary.csv"), spend: false), modified: true);
        Assert.True(fit.Converged, fit.Reason);
        double[] expected = [0.525, 6.183, 0.891, 1.614];
        for (int i = 0; i < 4; i++) AlmostEqual(expected[i], fit[BgNbd.Names[i]], 3);
        var p = BgNbdParams.Of(fit);
        Assert.InRange(BgNbd.ProbabilityAlive(p, 0, 0, 38.86, modified: true), 0.0, 0.999); // MBG: no repeat is not certainly alive
    }

    [Fact]
    public void ShiftedBetaGeometricReproducesFaderAndHardiesCohorts()
    {
        // Fader and Hardie (2007), "How to project customer retention": of 1,000 customers each, those still active at the end
        // of years 0…7, fitted on those 7 years. Published: regular α 0.704, β 1.182; high end α 0.668, β 3.806. As customers:
        // churned in year t (recency t), or active in year 8 (recency = T = 8).
        int[] regular = [1000, 631, 468, 382, 326, 289, 262, 241], highEnd = [1000, 869, 743, 653, 593, 551, 517, 491];
        var customers = new List<ContractCustomer>();
        foreach (var (name, alive) in new[] { ("regular", regular), ("high-end", highEnd) })
        {
            for (int t = 1; t < alive.Length; t++)
                for (int k = 0; k < alive[t - 1] - alive[t]; k++) customers.Add(new ContractCustomer($"{name}-{t}-{k}", t, 8, name));
            for (int k = 0; k < alive[^1]; k++) customers.Add(new ContractCustomer($"{name}-active-{k}", 8, 8, name));
        }
        var fit = ShiftedBetaGeometric.Fit(customers);
        Assert.True(fit.Converged, fit.Reason);
        AlmostEqual(0.704, fit.Cohorts!["regular"]["alpha"], 3);
        AlmostEqual(1.182, fit.Cohorts["regular"]["beta"], 3);
        AlmostEqual(0.668, fit.Cohorts["high-end"]["alpha"], 3);
        AlmostEqual(3.806, fit.Cohorts["high-end"]["beta"], 3);
        // Year-1 retention of the regular cohort, (β)/(α + β): 63 % observed.
        Assert.InRange(ShiftedBetaGeometric.RetentionRate(fit.Cohorts["regular"]["alpha"], fit.Cohorts["regular"]["beta"], 1), 0.60, 0.66);
    }

    [Fact]
    public void BetaGeometricBetaBinomialFitsTheDonationsAsPublished()
    {
        // Fader, Hardie and Shang (2010): 11,104 donors, 6 yearly opportunities (Fixtures/NOTES.md); α 1.204, β 0.750,
        // γ 0.657, δ 2.783 (lifetimes asserts them to 2 decimals).
        var data = ClvFile.ReadBgBb(Path.Combine(TestPaths.RepoRoot, "tests", "Attune.Tests", "Predictions", "Fixtures", "donations.csv"));
        Assert.Equal(11_104, data.Sum(d => d.Weight));
        var fit = BetaGeometricBetaBinomial.Fit(data);
        Assert.True(fit.Converged, fit.Reason);
        double[] expected = [1.204, 0.750, 0.657, 2.783];
        for (int i = 0; i < 4; i++) AlmostEqual(expected[i], fit[BetaGeometricBetaBinomial.Names[i]], 2);
    }

    [Fact]
    public void ParetoNbdFitsCdnowLikeHardieAndRsBtyd()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        // lifetimes' test_pareto_nbd: Fader and Hardie's fit on CDNOW, r 0.553, α 10.578, s 0.606, β 11.669 (2 decimals), and
        // R BTYD's walkthrough: E[Y(52) | x = 26, t_x = 30.86, T = 31] = 25.46 ± 0.01, E[X(t)] for t = 1…9 within 0.01.
        var fit = ParetoNbd.Fit(ClvFile.ReadSummaries(Path.Combine(Dir, "cdnow_customers_summary.csv"), spend: false));
        Assert.True(fit.Converged, fit.Reason);
        double[] expected = [0.553, 10.578, 0.606, 11.669];
        for (int i = 0; i < 4; i++) AlmostEqual(expected[i], fit[ParetoNbd.Names[i]], 2);
        var p = ParetoNbdParams.Of(fit);
        Assert.InRange(ParetoNbd.ConditionalExpectedPurchases(p, 52, 26, 30.86, 31), 25.45, 25.47);
        double[] btyd = [0.00000000, 0.05077821, 0.09916088, 0.14542507, 0.18979930, 0.23247466, 0.27361274, 0.31335159, 0.35181024, 0.38909211];
        for (int t = 0; t < btyd.Length; t++) Assert.InRange(ParetoNbd.ExpectedPurchases(p, t), btyd[t] - 0.01, btyd[t] + 0.01);
        for (double x = 0; x < 100; x += 10)
            for (double tx = 0; tx < 100; tx += 10)
                if (x == 0 ? tx == 0 : tx > 0)
                    Assert.InRange(ParetoNbd.ProbabilityAlive(p, x, tx, 100), 0.0, 1.0);
    }

    [Fact]
    public void AFitThatCannotConvergeSaysSoInsteadOfThrowing()
    {
        // Nobody ever bought again: the likelihood grows without bound as the purchase rate goes to 0 (no finite maximum).
        var degenerate = Enumerable.Range(0, 50).Select(i => new CustomerSummary($"c{i}", 0, 0, 10)).ToList();
        var fit = BgNbd.Fit(degenerate);
        Assert.False(fit.Converged);
        Assert.Contains("ran off", fit.Reason);
        var none = GammaGamma.Fit(degenerate);
        Assert.False(none.Converged);
        Assert.Contains("no customer with a repeat purchase", none.Reason);
    }

    [Fact]
    public void TheHypergeometricSeriesAndLogGammaAreAccurate()
    {
        Assert.Equal(Math.Log(24), SpecialFunctions.LogGamma(5), 12);
        Assert.Equal(0.5 * Math.Log(Math.PI), SpecialFunctions.LogGamma(0.5), 12);
        // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z.
        Assert.Equal(-Math.Log(1 - 0.7) / 0.7, SpecialFunctions.Hypergeometric2F1(1, 1, 2, 0.7), 12);
    }
}
