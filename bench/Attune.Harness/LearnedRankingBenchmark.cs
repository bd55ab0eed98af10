using Attune.Experiments.Definitions;
using Attune.Tests.Experiments.Simulation;

namespace Attune.Harness;

/// <summary>
/// Learned ranking on the demo shop (<see cref="LearnedRankingSimulation"/>): a ranker learned from the log of default answers
/// is served against the default recipe to simulated shoppers; prints the replayed evaluation, the experiment's result and
/// the simulated true lift. Exits 0 only when the experiments engine calls the learned recipe a significant win on conversion.
/// </summary>
internal static class LearnedRankingBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        var options = new LearnedRankingSimulation.Options
        {
            Users = o.Int("users", 20_000), Items = o.Int("items", 5_000), HistoryDays = o.Int("history-days", 90),
            LogVisits = o.Int("log-visits", 40_000), ExperimentVisits = o.Int("visits", 160_000), Seed = o.Int("seed", 7),
            RolloutVisits = o.Int("rollout-visits", 10_000), Exploration = o.Int("exploration-percent", 20) / 100.0, Rerank = o.Int("rerank", 0), Oracle = o.Get("oracle") == "true",
            Settings = o.Get("trees") is null && o.Get("leaves") is null && o.Get("min-leaf") is null ? null : new Attune.Predictions.Ranking.RankerSettings
            {
                Iterations = o.Int("trees", 100), Leaves = o.Int("leaves", 4), MinimumPerLeaf = o.Int("min-leaf", 200),
            },
            Progress = line => Console.WriteLine("learned-ranking: " + line),
        };
        string dir = Path.Combine(Path.GetTempPath(), "attune-learned-ranking-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var report = await LearnedRankingSimulation.RunAsync(options, dir);
            Console.WriteLine("learned-ranking: " + string.Join("; ", report.Phase.Variants.Select(v => $"{v.Key}: {v.People:N0} people, {v.Answers:N0} answers")));
            foreach (string id in (string[])[LearnedRankingSimulation.OrdersPerVisit.Id, Metrics.Conversion])
            {
                var metric = report.Phase.Metrics.First(m => m.Id == id);
                var (control, treatment) = (metric.Variants[0], metric.Variants[1]);
                var d = treatment.Difference!;
                Console.WriteLine($"learned-ranking: {id} control {control.Value:0.0000} treatment {treatment.Value:0.0000}; lift {d.Expected:+0.0%;-0.0%} " +
                    $"CI [{d.Ci?[0]:+0.0%;-0.0%}, {d.Ci?[1]:+0.0%;-0.0%}] p {d.PValue:G3}");
            }
            Console.WriteLine($"learned-ranking: true conversion of the lists each arm's visits were served: control {report.TrueServed.Control:0.0000}, " +
                $"treatment {report.TrueServed.Treatment:0.0000} ({report.TrueServed.Treatment / report.TrueServed.Control - 1:+0.0%;-0.0%}); " +
                $"visits with a purchase: control {report.Bought.Control:0.0000}, treatment {report.Bought.Treatment:0.0000}");
            Console.WriteLine($"learned-ranking: true conversion per visit, both lists at every visit {report.TrueControl:0.0000} → {report.TrueTreatment:0.0000} " +
                $"({report.TrueLift:+0.0%;-0.0%}); verdict {report.Phase.Verdict.Decision} {report.Phase.Verdict.Variant}; {report.Elapsed.TotalSeconds:F0} s");
            Console.WriteLine("learned-ranking: true conversion of the best ten by hidden appeal: " + string.Join("; ",
                report.Ceilings.Select(c => $"{(c.Key == 0 ? "of the catalog" : $"of the blend's best {c.Key}")} {c.Value:0.0000} ({c.Value / report.TrueControl - 1:+0.0%;-0.0%})")));
            return report.Phase.Verdict is { Decision: "ship", Variant: "treatment" }
                && report.Rollout is null or { Status: Attune.Experiments.Definitions.RolloutStatus.Completed } ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
