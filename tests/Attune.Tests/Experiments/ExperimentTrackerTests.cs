using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Storage;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Tests.Experiments;

/// <summary>
/// The tracker's incremental sums equal the sums computed directly from each person's events in their window, whatever the
/// order in which exposures, events, identify and erasure arrive.
/// </summary>
public sealed class ExperimentTrackerTests
{
    private const long Hour = 3_600_000;

    private static Experiment Definition() => new()
    {
        Id = "e",
        Variants = [new ExperimentVariant("control", "default", 0.5), new ExperimentVariant("treatment", "other", 0.5)],
        Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue, Metrics.AverageOrderValue, Metrics.ItemsPerOrder, Metrics.AddToCart], []),
        Analysis = new ExperimentAnalysis { AttributionHours = 24 },
        Status = ExperimentStatus.Running,
        Phases = [new ExperimentPhase(1, DateTimeOffset.UnixEpoch, null,
            [new ExperimentVariant("control", "default", 0.5), new ExperimentVariant("treatment", "other", 0.5)], 1, "started")],
    };

    private static StoredEvent Purchase(string person, long at, double value, string session, long seq) =>
        new(person, false, "item", (int)EventType.Purchase, at, value, seq, $$"""{"sessionId":"{{session}}"}""");

    [Fact]
    public void ACheckpointReadBackThenTheRestOfTheEventsGivesTheSumsOfOneUninterruptedRun()
    {
        var rng = new Random(8);
        var exposures = new List<Exposure>();
        var events = new List<StoredEvent>();
        long seq = 0;
        for (int p = 0; p < 200; p++)
        {
            long at = rng.Next(0, 48) * Hour;
            exposures.Add(new Exposure("e", $"p{p}", false, 1, p % 2 == 0 ? "control" : "treatment", at));
            for (int k = 0; k < rng.Next(0, 6); k++)
                events.Add(Purchase($"p{p}", at + rng.Next(-5, 30) * Hour, rng.Next(5, 100), $"s{rng.Next(0, 3)}", ++seq));
        }
        events.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        var whole = new ExperimentTracker();
        whole.Track(Definition());
        foreach (var x in exposures) whole.Expose(x, x.PersonId);
        foreach (var e in events) whole.Observe(e);

        // Half the events, a checkpoint, a new tracker from it, then every event again (the counted half is skipped).
        var first = new ExperimentTracker();
        first.Track(Definition());
        foreach (var x in exposures) first.Expose(x, x.PersonId);
        foreach (var e in events.Take(events.Count / 2)) first.Observe(e);
        using var checkpoint = new MemoryStream();
        long through = first.WriteCheckpoint(checkpoint);
        Assert.Equal(events[events.Count / 2 - 1].Seq, through);
        checkpoint.Position = 0;
        var second = new ExperimentTracker();
        second.Track(Definition());
        Assert.Equal(through, second.ReadCheckpoint(checkpoint));
        foreach (var x in exposures) second.Expose(x, x.PersonId); // already there: no second count
        foreach (var e in events) second.Observe(e);

        var expected = whole.Sums("e")!;
        var actual = second.Sums("e")!;
        Assert.Equal(expected.Caps, actual.Caps);
        foreach (string variant in new[] { "control", "treatment" })
        {
            Assert.Equal(expected.Phases[0][variant].People, actual.Phases[0][variant].People);
            Assert.Equal(expected.Phases[0][variant].Metrics, actual.Phases[0][variant].Metrics);
        }
        Assert.Throws<InvalidDataException>(() => new ExperimentTracker().ReadCheckpoint(new MemoryStream("not a checkpoint"u8.ToArray())));
    }

    [Fact]
    public void IncrementalSumsEqualTheDirectComputation()
    {
        var tracker = new ExperimentTracker();
        tracker.Track(Definition());
        var rng = new Random(3);
        var events = new List<StoredEvent>();
        var exposedAt = new Dictionary<string, (string Variant, long At)>();
        long seq = 0;
        for (int p = 0; p < 300; p++)
        {
            string person = $"p{p}";
            long at = rng.Next(0, 48) * Hour;
            string variant = p % 2 == 0 ? "control" : "treatment";
            exposedAt[person] = (variant, at);
            tracker.Expose(new Exposure("e", person, false, 1, variant, at), person);
            // Purchases before exposure, inside the window and after it: only the window counts.
            for (int k = 0; k < rng.Next(0, 6); k++)
            {
                long t = at + rng.Next(-30, 40) * Hour;
                events.Add(Purchase(person, t, rng.Next(5, 100), $"s{rng.Next(0, 3)}", ++seq));
                if (rng.NextDouble() < 0.3) events.Add(new StoredEvent(person, false, "item", (int)EventType.AddToCart, t, null, ++seq));
            }
        }
        events.Add(Purchase("stranger", 0, 50, "s", ++seq)); // never exposed: counts nowhere
        foreach (var e in events) tracker.Observe(e);
        foreach (var e in events.Take(50)) tracker.Observe(e); // a replayed event is never counted twice

        var sums = tracker.Sums("e")!;
        var ids = sums.Metrics.Select(m => m.Id).ToList();
        // Each person's values in their window, straight from the events.
        var values = new Dictionary<string, (double Revenue, double Orders, double Items, bool Bought, bool Carted)>();
        foreach (var (person, (_, at)) in exposedAt)
        {
            var mine = events.Where(e => e.ProfileId == person && e.TimestampMs >= at && e.TimestampMs < at + 24 * Hour).ToList();
            var bought = mine.Where(e => e.TypeCode == (int)EventType.Purchase).ToList();
            values[person] = (bought.Sum(e => e.Value ?? 0), bought.Select(e => e.Extra).Distinct().Count(), bought.Count, bought.Count > 0,
                mine.Any(e => e.TypeCode == (int)EventType.AddToCart));
        }
        // Revenue (and AOV's numerator) are capped at the 99th percentile of buyers' revenue, linear interpolation.
        var buyers = values.Values.Where(v => v.Revenue != 0).Select(v => v.Revenue).Order().ToList();
        double rank = 0.99 * (buyers.Count - 1);
        double cap = buyers[(int)rank] + (rank - (int)rank) * (buyers[Math.Min((int)rank + 1, buyers.Count - 1)] - buyers[(int)rank]);
        Assert.Equal(cap, sums.Caps![ids.IndexOf(Metrics.Revenue)]!.Value, 9);
        Assert.True(buyers.Count(r => r > cap) >= 1, "the cap must bite for this test to show it");
        foreach (string variant in new[] { "control", "treatment" })
        {
            var people = exposedAt.Where(kv => kv.Value.Variant == variant).Select(kv => kv.Key).ToList();
            var snapshot = sums.Phases[0][variant];
            Assert.Equal(people.Count, snapshot.People);
            double conv = 0, rev = 0, revSq = 0, orders = 0, ordersSq = 0, revOrders = 0, items = 0, carts = 0;
            foreach (string person in people)
            {
                var v = values[person];
                double r = Math.Min(v.Revenue, cap);
                conv += v.Bought ? 1 : 0;
                rev += r;
                revSq += r * r;
                orders += v.Orders;
                ordersSq += v.Orders * v.Orders;
                revOrders += r * v.Orders;
                items += v.Items;
                carts += v.Carted ? 1 : 0;
            }
            var m = snapshot.Metrics;
            Assert.Equal(conv, m[ids.IndexOf(Metrics.Conversion)].Sum, 9);
            Assert.Equal(conv, m[ids.IndexOf(Metrics.Conversion)].SumSquares, 9);
            Assert.Equal(rev, m[ids.IndexOf(Metrics.Revenue)].Sum, 6);
            Assert.Equal(revSq, m[ids.IndexOf(Metrics.Revenue)].SumSquares, 3);
            var aov = m[ids.IndexOf(Metrics.AverageOrderValue)];
            Assert.Equal(rev, aov.Sum, 6);
            Assert.Equal((orders, ordersSq), (aov.DenominatorSum, aov.DenominatorSumSquares));
            Assert.Equal(revOrders, aov.SumOfProducts, 6);
            Assert.Equal(items, m[ids.IndexOf(Metrics.ItemsPerOrder)].Sum, 9);
            Assert.Equal(carts, m[ids.IndexOf(Metrics.AddToCart)].Sum, 9);
        }
    }

    [Fact]
    public void CapsFollowTheDataAndEveryMoveKeepsTheSumsEqualToTheCappedValues()
    {
        var def = Definition() with
        {
            Metrics = new ExperimentMetrics(Metrics.Conversion, ["spend", Metrics.Revenue], []),
            CustomMetrics = [new MetricDefinition
            {
                Id = "spend", Kind = MetricKind.Mean, EventTypes = ["purchase"], Value = MetricValue.Value,
                Capping = new MetricCapping(CappingType.Absolute, 50),
            }],
        };
        var tracker = new ExperimentTracker();
        tracker.Track(def);
        var rng = new Random(5);
        var spent = new Dictionary<string, double>();
        var before = new Dictionary<string, double>();
        long seq = 0;
        void Buy(string person, double value)
        {
            tracker.Observe(Purchase(person, Hour, value, "s" + seq, ++seq));
            spent[person] = spent.GetValueOrDefault(person) + value;
        }
        for (int p = 0; p < 400; p++)
        {
            string person = $"p{p}";
            tracker.Expose(new Exposure("e", person, false, 1, p % 2 == 0 ? "control" : "treatment", 0), person);
            spent[person] = 0;
            if (rng.NextDouble() < 0.3) Buy(person, Math.Round(Math.Exp(rng.NextDouble() * 6), 2)); // log-uniform 1 … 400
            // CUPED: a pre-exposure purchase for some, capped with the same cap.
            if (p % 3 == 0)
            {
                double pre = rng.NextDouble() < 0.5 ? 0 : Math.Round(Math.Exp(rng.NextDouble() * 7), 2);
                before[person] = pre;
                tracker.SetPre("e", person, pre == 0 ? [] : [Purchase(person, -Hour, pre, "pre", 0)]);
            }
        }
        static void Near(double expected, double actual) => Assert.Equal(expected, actual, Math.Max(1e-6, Math.Abs(expected) * 1e-12));
        void Check()
        {
            var sums = tracker.Sums("e")!;
            int s = sums.Metrics.Select(m => m.Id).ToList().IndexOf("spend"), r = sums.Metrics.Select(m => m.Id).ToList().IndexOf(Metrics.Revenue);
            Assert.Equal(50, sums.Caps![s]);
            double cap = sums.Caps[r]!.Value;
            var buyers = spent.Values.Where(v => v != 0).Order().ToList();
            double rank = 0.99 * (buyers.Count - 1);
            Assert.Equal(buyers[(int)rank] + (rank - (int)rank) * (buyers[(int)rank + 1] - buyers[(int)rank]), cap, 9);
            foreach (string variant in new[] { "control", "treatment" })
            {
                var people = spent.Where(kv => int.Parse(kv.Key[1..]) % 2 == (variant == "control" ? 0 : 1)).Select(kv => kv.Value).ToList();
                var m = sums.Phases[0][variant].Metrics;
                Near(people.Sum(v => Math.Min(v, 50)), m[s].Sum);
                Near(people.Sum(v => Math.Min(v, 50) * Math.Min(v, 50)), m[s].SumSquares);
                Near(people.Sum(v => Math.Min(v, cap)), m[r].Sum);
                Near(people.Sum(v => Math.Min(v, cap) * Math.Min(v, cap)), m[r].SumSquares);
                var withPre = before.Where(kv => spent.ContainsKey(kv.Key) && int.Parse(kv.Key[1..]) % 2 == (variant == "control" ? 0 : 1)).ToList();
                Assert.Equal(withPre.Count, m[r].PrePeople);
                Near(withPre.Sum(kv => Math.Min(kv.Value, cap)), m[r].PreSum);
                Near(withPre.Sum(kv => Math.Min(kv.Value, cap) * Math.Min(spent[kv.Key], cap)), m[r].PostPreProducts);
                Near(withPre.Sum(kv => Math.Min(kv.Value, 50) * Math.Min(spent[kv.Key], 50)), m[s].PostPreProducts);
            }
        }
        Check();
        // A few very large orders move the 99th percentile: the sums are rebuilt under the new cap.
        for (int k = 0; k < 80; k++) Buy($"p{rng.Next(400)}", 5_000 + k);
        Check();
        tracker.Forget("p3");
        spent.Remove("p3");
        before.Remove("p3");
        for (int k = 0; k < 60; k++) Buy($"p{rng.Next(4, 400)}", 10);
        Check();
    }

    [Fact]
    public void AnIdentifiedVisitorKeepsCountingAndAnErasedPersonLeavesTheResults()
    {
        var tracker = new ExperimentTracker();
        tracker.Track(Definition());
        tracker.Expose(new Exposure("e", "anon-1", true, 1, "treatment", 0), "anon-1");
        tracker.Expose(new Exposure("e", "u2", false, 1, "treatment", 0), "u2");
        tracker.Observe(Purchase("anon-1", Hour, 10, "a", 1));
        tracker.Link("anon-1", "u1"); // later events carry the user id
        tracker.Observe(Purchase("u1", 2 * Hour, 30, "b", 2));
        tracker.Observe(Purchase("u2", 2 * Hour, 100, "c", 3));
        var revenue = tracker.Sums("e")!;
        int r = revenue.Metrics.Select(m => m.Id).ToList().IndexOf(Metrics.Revenue);
        // Revenue is capped at the 99th percentile of buyers' revenue: of 40 and 100, 40 + 0.99 × 60 = 99.4.
        Assert.Equal(99.4, revenue.Caps![r]!.Value, 9);
        Assert.Equal(40 + 99.4, revenue.Phases[0]["treatment"].Metrics[r].Sum, 9);
        Assert.Equal(40 * 40 + 99.4 * 99.4, revenue.Phases[0]["treatment"].Metrics[r].SumSquares, 6);

        tracker.Forget("u2");
        var after = tracker.Sums("e")!.Phases[0]["treatment"];
        Assert.Equal(1, after.People);
        Assert.Equal(40, after.Metrics[r].Sum, 9);
        Assert.Equal(1600, after.Metrics[r].SumSquares, 9);
    }

    [Fact]
    public void AClickBeforeThePurchaseInTheSameSessionDoesNotTakeItsOrder()
    {
        var tracker = new ExperimentTracker();
        tracker.Track(Definition());
        tracker.Expose(new Exposure("e", "u", false, 1, "control", 0), "u");
        tracker.Observe(new StoredEvent("u", false, "item", (int)EventType.Click, Hour, null, 1, """{"sessionId":"s1"}"""));
        tracker.Observe(Purchase("u", Hour + 60_000, 30, "s1", 2));
        tracker.Observe(Purchase("u", Hour + 120_000, 20, "s1", 3)); // the same order, a second item
        tracker.Observe(Purchase("u", 2 * Hour, 10, "s2", 4));
        var sums = tracker.Sums("e")!;
        var ids = sums.Metrics.Select(m => m.Id).ToList();
        var control = sums.Phases[0]["control"];
        Assert.Equal(2.0, control.Metrics[ids.IndexOf(Metrics.AverageOrderValue)].DenominatorSum, 9);
        Assert.Equal(3.0, control.Metrics[ids.IndexOf(Metrics.ItemsPerOrder)].Sum, 9);
    }

    [Fact]
    public void AnswersServedFeedClickThroughAndTheServingGuardrails()
    {
        var def = Definition() with { Metrics = new ExperimentMetrics(Metrics.ClickThrough, [], [Metrics.LatencyP99, Metrics.ErrorRate]) };
        var tracker = new ExperimentTracker();
        tracker.Track(def);
        tracker.Expose(new Exposure("e", "u", false, 1, "control", 0), "u");
        for (int i = 0; i < 4; i++) tracker.Served("e", "u", "control", latencyMs: 1 + i, empty: i == 0, error: i == 3);
        tracker.Observe(new StoredEvent("u", false, "item", (int)EventType.Click, Hour, null, 1, """{"recommendationId":"rec_1"}"""));
        tracker.Observe(new StoredEvent("u", false, "item", (int)EventType.Click, Hour, null, 2)); // not from a recommendation
        var control = tracker.Sums("e")!.Phases[0]["control"];
        Assert.Equal((1.0, 4.0), (control.Metrics[0].Sum, control.Metrics[0].DenominatorSum));
        Assert.Equal((4L, 1L, 1L), (control.Answers, control.Errors, control.Empty));
        Assert.Equal(4.1, control.LatencyP99Ms, 9);
    }
}

/// <summary>CUPED: pre-exposure values reach the sums and narrow the interval as much as the pre/post correlation allows.</summary>
public sealed class CupedTests
{
    [Fact]
    public void PreExposureRevenueNarrowsTheIntervalByTheCorrelation()
    {
        var (with, without, rho, pre) = Simulation.CupedSimulation.Run(new Random(11), 4000, noise: 18, lift: 3);
        var sums = with.Sums("c")!.Phases[0]["control"].Metrics[0];
        Assert.Equal(2000, sums.PrePeople);
        Assert.Equal(pre.Where((_, i) => i % 2 == 0).Sum(), sums.PreSum, 6); // the purchase before the pre-period is ignored

        var adjusted = ExperimentResults.Compute(Simulation.CupedSimulation.Definition(true), with.Sums("c")!).Phases[0].Metrics[0];
        var plain = ExperimentResults.Compute(Simulation.CupedSimulation.Definition(false), without.Sums("c")!).Phases[0].Metrics[0];
        Assert.True(adjusted.Cuped);
        Assert.False(plain.Cuped);
        double expected = Math.Sqrt(1 - rho * rho);
        Assert.InRange(Simulation.CupedSimulation.WidthRatio(with, without), expected - 0.05, expected + 0.05);
    }
}
