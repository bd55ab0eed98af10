using System.Diagnostics;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Storage;

namespace Attune.Harness;

/// <summary>
/// Results at scale: an experiment with --people exposed people (default 1,000,000) and --events events (default 10,000,000:
/// views, carts, purchases with values and sessions) fed through the real tracker, then results computed. Shows that reading
/// results costs the same whatever the traffic (sums are kept as events arrive), and what tracking costs per event.
/// </summary>
internal static class ExperimentResultsBenchmark
{
    public static int Run(HarnessOptions o)
    {
        int people = o.Int("people", 1_000_000), events = o.Int("events", 10_000_000);
        var variants = new List<ExperimentVariant> { new("control", "default", 0.5), new("treatment", "other", 0.5) };
        var experiment = new Experiment
        {
            Id = "scale", Variants = variants,
            Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue, Metrics.AverageOrderValue, Metrics.ItemsPerOrder, Metrics.AddToCart],
                [Metrics.LatencyP99]),
            Status = ExperimentStatus.Running,
            Phases = [new ExperimentPhase(1, DateTimeOffset.UnixEpoch, null, variants, 1, "started")],
        };
        var tracker = new ExperimentTracker();
        tracker.Track(experiment);
        var ids = new string[people];
        var sw = Stopwatch.StartNew();
        for (int p = 0; p < people; p++)
        {
            ids[p] = "p" + p.ToString(System.Globalization.CultureInfo.InvariantCulture);
            tracker.Expose(new Exposure("scale", ids[p], false, 1, p % 2 == 0 ? "control" : "treatment", 0), ids[p]);
        }
        double exposeSeconds = sw.Elapsed.TotalSeconds;
        var rng = new Random(5);
        string[] sessions = [.. Enumerable.Range(0, 64).Select(s => $$"""{"sessionId":"s{{s}}"}""")];
        sw.Restart();
        for (int e = 0; e < events; e++)
        {
            int p = rng.Next(people), kind = rng.Next(100);
            int type = kind < 80 ? (int)EventType.View : kind < 95 ? (int)EventType.AddToCart : (int)EventType.Purchase;
            tracker.Observe(new StoredEvent(ids[p], false, "i1", type, 1000 + e, type == (int)EventType.Purchase ? 10 + rng.Next(90) : null, e + 1,
                type == (int)EventType.Purchase ? sessions[rng.Next(sessions.Length)] : null));
        }
        double observeSeconds = sw.Elapsed.TotalSeconds;
        // Results, five times: the first includes JIT.
        var times = new List<double>();
        ResultsOutput? results = null;
        int gen2 = GC.CollectionCount(2);
        for (int r = 0; r < 5; r++)
        {
            sw.Restart();
            results = ExperimentResults.Compute(experiment, tracker.Sums("scale")!);
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        gen2 = GC.CollectionCount(2) - gen2;
        var phase = results!.Phases[0];
        Console.WriteLine($"experiment-results: {people:N0} people exposed in {exposeSeconds:F1} s; {events:N0} events tracked in {observeSeconds:F1} s " +
            $"({observeSeconds * 1e9 / events:F0} ns per event, one thread)");
        Console.WriteLine($"experiment-results: results (5 metrics + a guardrail, SRM, verdict) in {times[0]:F1} ms first, {times.Skip(1).Min():F2} ms after " +
            $"(verdict: {phase.Verdict.Decision}; conversion {phase.Metrics[0].Variants[0].Value:P2} vs {phase.Metrics[0].Variants[1].Value:P2}); " +
            $"{gen2} full collections meanwhile; heap {GC.GetTotalMemory(false) / 1e6:N0} MB");
        return 0;
    }
}
