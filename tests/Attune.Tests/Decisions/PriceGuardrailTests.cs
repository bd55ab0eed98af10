using Attune.Decisions.Learning;
using Attune.Decisions.Prices;
using Attune.Decisions.Simulation;

namespace Attune.Tests.Decisions;

/// <summary>Price guardrails hold on every price shown, whatever the settings (a property test over random rules).</summary>
public sealed class PriceGuardrailTests(ITestOutputHelper output)
{
    [Fact]
    public void NoPriceShownEverBreaksAGuardrailUnderRandomSettings()
    {
        var random = new SplitMix(2026);
        for (int run = 0; run < 200; run++)
        {
            double floor = 0.4 + 0.55 * random.NextDouble();
            var rule = new PriceRule
            {
                Id = "default",
                Floor = floor,
                Ceiling = floor + (1.2 - floor) * random.NextDouble(), // sometimes above 1: the list price still caps it
                MaxDailyChange = 0.2 * random.NextDouble(),
                MaxSpread = 0.4 * random.NextDouble(),
                Levels = 2 + (int)(random.Next() % 10),
            };
            double list = Math.Round(5 + 995 * random.NextDouble(), 2);
            var r = PriceSimulation.Run((ulong)run + 1, rule, list, sessions: 1_000, sessionsPerDay: 100);
            Assert.True(r.Violations == 0, $"run {run}: {r.Violations} violations with {rule} at list {list}");
            var (low, high) = PriceGuard.Bounds(rule, list);
            Assert.InRange(r.FinalAnchor, low - 1e-9, high + 1e-9);
        }
    }

    [Fact]
    public void ThePointsOfADayAreWholeCentsInsideTheBoundsTheSpreadAndNeverAboveTheListPrice()
    {
        var rule = new PriceRule { Id = "default", Floor = 0.8, Ceiling = 1.5, MaxSpread = 0.1, Levels = 5 };
        var points = PriceGuard.Points(rule, 19.99, anchor: 19.5);
        Assert.Equal(5, points.Length);
        Assert.All(points, p => Assert.InRange(p, 19.99 * 0.8, 19.99));
        Assert.All(points, p => Assert.Equal(p, Math.Round(p, 2)));
        Assert.True(points.Max() - points.Min() <= 19.5 * 0.1 + 1e-9);
        Assert.Equal(points.Order(), points);
        // The level moves at most the daily change, and stays inside the bounds.
        Assert.Equal(19.5 * 1.05, PriceGuard.NextAnchor(rule with { MaxDailyChange = 0.05 }, 24, 19.5, 30), 9);
        Assert.Equal(19.99, PriceGuard.NextAnchor(rule with { MaxDailyChange = 0.5 }, 19.99, 19.5, 30), 9);
    }

    [Fact]
    public void TheLearnerEarnsAtLeast95PercentOfTheOracleRevenueUnderTheDefaultGuardrails()
    {
        // The price point's own settings (PriceDesk: a conversion model explored by Thompson sampling), sessions 4,001-5,000,
        // the goal (>= 95 % of the oracle within 5,000 sessions) over 40 seeds; 0 guardrail violations on each.
        var shares = new List<double>();
        for (ulong seed = 1; seed <= 40; seed++)
        {
            var r = PriceSimulation.Run(seed, new PriceRule { Id = "default" }, learning: PriceDesk.PriceLearning, exploration: PriceDesk.PriceExploration);
            shares.Add(r.ShareOfOracle);
            Assert.Equal(0, r.Violations);
        }
        output.WriteLine($"share of the oracle's revenue: mean {shares.Average():P1}, lowest {shares.Min():P1}");
        Assert.True(shares.Average() >= 0.95 && shares.Min() >= 0.85, $"mean {shares.Average():P1}, lowest {shares.Min():P1}");
    }
}
