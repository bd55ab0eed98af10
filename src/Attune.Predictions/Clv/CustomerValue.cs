namespace Attune.Predictions.Clv;

/// <summary>What a customer is expected to do: purchases and spend over the horizon, and the probability they are still a customer.</summary>
public readonly record struct CustomerForecast(double ExpectedPurchases, double ExpectedValue, double ProbabilityAlive, double ExpectedSpendPerPurchase);

/// <summary>
/// How well a fit on the past foresaw the last <see cref="Days"/> days: the buyers before the cutoff, the purchase days they
/// were expected to have after it and had, and the mean absolute error per buyer (the same for always predicting the
/// buyers' mean, for comparison).
/// </summary>
public sealed record HoldoutCheck(int Days, int Buyers, double Expected, int Actual, double MeanAbsoluteError, double BaselineError, bool Converged);

/// <summary>
/// Customer lifetime value for a shop: BG/NBD for how many purchases (and whether the customer is still one), Gamma-Gamma for
/// how much each, fitted on every buyer's summary (<see cref="PurchaseSummaries"/>, in days). When Gamma-Gamma cannot be
/// fitted (too few repeat buyers, or no convergence) a customer's expected spend per purchase is their own mean, else the
/// buyers' mean.
/// </summary>
public sealed class CustomerValueModel
{
    private CustomerValueModel(ClvFit purchases, ClvFit? spend, double meanSpend, int customers, DateTimeOffset fittedAt)
    {
        Purchases = purchases;
        Spend = spend;
        MeanSpend = meanSpend;
        Customers = customers;
        FittedAt = fittedAt;
    }

    /// <summary>The BG/NBD fit (days).</summary>
    public ClvFit Purchases { get; }
    /// <summary>The Gamma-Gamma fit, or null when there were no repeat buyers.</summary>
    public ClvFit? Spend { get; }
    /// <summary>The buyers' mean spend per repeat purchase (the fallback when Gamma-Gamma is not usable).</summary>
    public double MeanSpend { get; }
    public int Customers { get; }
    public DateTimeOffset FittedAt { get; }

    /// <summary>How a fit on the data before the last days foresaw them (null when there were too few buyers before).</summary>
    public HoldoutCheck? Check { get; private init; }

    /// <summary>The fit as plain values (what a shared store keeps for the nodes that do not fit).</summary>
    public sealed record Snapshot(ClvFit Purchases, ClvFit? Spend, double MeanSpend, int Customers, DateTimeOffset FittedAt, HoldoutCheck? Check);

    public Snapshot ToSnapshot() => new(Purchases, Spend, MeanSpend, Customers, FittedAt, Check);

    /// <exception cref="FormatException">The snapshot lacks the purchase fit's parameters.</exception>
    public static CustomerValueModel FromSnapshot(Snapshot s)
    {
        if (s.Purchases?.Params is null) throw new FormatException("a customer value snapshot without its purchase fit");
        return new CustomerValueModel(s.Purchases, s.Spend, s.MeanSpend, s.Customers, s.FittedAt) { Check = s.Check };
    }

    /// <summary>Fits on the purchases before the last <paramref name="days"/> days and compares its forecasts with what the
    /// buyers then did: how good the model is on this shop's data.</summary>
    public static HoldoutCheck? Holdout(PurchaseSummaries purchases, DateTimeOffset now, int days = 30)
    {
        long end = now.ToUnixTimeMilliseconds(), cutoff = end - days * 86_400_000L;
        var (before, after) = purchases.Split(cutoff, end);
        if (before.Count < 20) return null;
        var fit = BgNbd.Fit(before);
        var p = BgNbdParams.Of(fit);
        double expected = 0, error = 0, baseline = 0, mean = after.Average();
        int actual = 0;
        for (int i = 0; i < before.Count; i++)
        {
            var c = before[i];
            double e = BgNbd.ConditionalExpectedPurchases(p, days, c.X, c.Tx, c.T);
            if (!double.IsFinite(e)) e = 0;
            expected += e;
            actual += after[i];
            error += Math.Abs(e - after[i]);
            baseline += Math.Abs(mean - after[i]);
        }
        return new HoldoutCheck(days, before.Count, expected, actual, error / before.Count, baseline / before.Count, fit.Converged);
    }

    /// <param name="check">The fit's holdout check (<see cref="Holdout"/>), kept with it.</param>
    public static CustomerValueModel Fit(IReadOnlyList<CustomerSummary> buyers, DateTimeOffset now, HoldoutCheck? check = null)
    {
        var purchases = BgNbd.Fit(buyers);
        double spendSum = 0;
        int repeat = 0;
        foreach (var c in buyers) if (c.X > 0 && c.MeanSpend > 0) { spendSum += c.MeanSpend; repeat++; }
        var spend = repeat > 0 ? GammaGamma.Fit([.. buyers.Where(c => c.X > 0 && c.MeanSpend > 0)]) : null;
        return new CustomerValueModel(purchases, spend, repeat > 0 ? spendSum / repeat : 0, buyers.Count, now) { Check = check };
    }

    /// <summary>A customer's forecast over the next <paramref name="horizonDays"/> days.</summary>
    public CustomerForecast Forecast(CustomerSummary c, double horizonDays = 90)
    {
        var p = BgNbdParams.Of(Purchases);
        double expected = BgNbd.ConditionalExpectedPurchases(p, horizonDays, c.X, c.Tx, c.T);
        double alive = BgNbd.ProbabilityAlive(p, c.X, c.Tx, c.T);
        double perPurchase = Spend is { Converged: true } gg && GammaGammaParams.Of(gg) is var g && g.Q > 1
            ? GammaGamma.ConditionalExpectedAverageSpend(g, c.X, c.MeanSpend)
            : c.X > 0 && c.MeanSpend > 0 ? c.MeanSpend : MeanSpend;
        if (!double.IsFinite(expected)) expected = 0;
        return new CustomerForecast(expected, expected * perPurchase, double.IsFinite(alive) ? alive : 0, perPurchase);
    }
}
