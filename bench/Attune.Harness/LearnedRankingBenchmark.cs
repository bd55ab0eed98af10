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
            LogVisits = o.Int("log-visits", 20_000), ExperimentVisits = o.Int("visits", 20_000), Seed = o.Int("seed", 7),
            Exploration = o.Int("exploration-percent", 20) / 100.0, Rerank = o.Int("rerank", 0), Oracle = o.Get("oracle") == "true",
            Progress = line => Console.WriteLine("learned-ranking: " + line),
        };
        string dir = Path.Combine(Path.GetTempPath(), "attune-learned-ranking-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var report = await LearnedRankingSimulation.RunAsync(options, dir);
            var metric = report.Phase.Metrics.First(m => m.Id == Metrics.Conversion);
            var (control, treatment) = (metric.Variants[0], metric.Variants[1]);
            var d = treatment.Difference!;
            Console.WriteLine($"learned-ranking: conversion control {control.Value:0.0000} treatment {treatment.Value:0.0000}; lift {d.Expected:+0.0%;-0.0%} " +
                $"CI [{d.Ci?[0]:+0.0%;-0.0%}, {d.Ci?[1]:+0.0%;-0.0%}] p {d.PValue:G3}; true {report.TrueControl:0.0000} → {report.TrueTreatment:0.0000} " +
                $"({report.TrueLift:+0.0%;-0.0%}); verdict {report.Phase.Verdict.Decision} {report.Phase.Verdict.Variant}; {report.Elapsed.TotalSeconds:F0} s");
            return report.Phase.Verdict is { Decision: "ship", Variant: "treatment" } ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
