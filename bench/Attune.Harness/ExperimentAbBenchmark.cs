using System.Globalization;
using Attune.Experiments.Definitions;
using Attune.Tests.Experiments.Simulation;

namespace Attune.Harness;

/// <summary>
/// A real A/B test on the demo shop, in process (<see cref="AbSimulation"/>): non-personal against default on for-you, shoppers
/// reacting to what they are served. Prints the engine's results next to the simulated true lift; exits 0 only when the
/// verdict is ship for the treatment and the true lift of the primary metric lies inside its interval.
/// </summary>
internal static class ExperimentAbBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        var options = new AbSimulation.Options
        {
            Users = o.Int("users", 20_000), Items = o.Int("items", 5_000), HistoryDays = o.Int("history-days", 90),
            Shoppers = o.Int("shoppers", 20_000), Days = o.Int("days", 14), Seed = o.Int("seed", 7),
            Progress = line => Console.WriteLine("experiment-ab: " + line),
        };
        string dir = Path.Combine(Path.GetTempPath(), "attune-experiment-ab-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var report = await AbSimulation.RunAsync(options, dir);
            var phase = report.Phase;
            var analysis = report.Results.Analysis;
            Console.WriteLine($"experiment-ab: demo shop {options.Users:N0} users, {options.Items:N0} items, {options.HistoryDays} days " +
                $"of history (seed {options.Seed}); {report.Visits:N0} shoppers visit once over {options.Days} simulated days; " +
                $"setup {report.Setup.TotalSeconds:F1} s, simulation {report.Simulation.TotalSeconds:F1} s");
            Console.WriteLine($"experiment-ab: analysis {analysis.Engine}, sequential {analysis.Sequential}, " +
                $"correction {analysis.Correction}; " +
                $"SRM p = {phase.SrmPValue:F3}; the two lists were identical for {report.IdenticalLists:N0} shoppers");
            Console.WriteLine("experiment-ab: " +
                string.Join(", ", phase.Variants.Select(v => $"{v.Key} ({v.Recipe}) {v.People:N0} people, {v.Answers:N0} answers")));
            bool inside = true;
            foreach (string id in new[] { Metrics.Conversion, Metrics.Revenue, Metrics.ClickThrough })
            {
                var metric = report.Metric(id);
                var truth = report.TruthOf(id);
                var (control, treatment) = (metric.Variants[0], metric.Variants[1]);
                var d = treatment.Difference!;
                bool covers = d.Ci is { } ci && ci[0] <= truth.Lift && truth.Lift <= ci[1];
                if (metric.Role == "primary") inside = covers;
                Console.WriteLine($"experiment-ab: {id,-10} ({metric.Role,-9}) control {F(control.Value)} " +
                    $"treatment {F(treatment.Value)} | " +
                    $"lift {P(d.Expected)} CI [{P(d.Ci?[0])}, {P(d.Ci?[1])}] p {d.PValue:G3} (adjusted {d.AdjustedPValue:G3}) | " +
                    $"true: control {F(truth.Control)} treatment {F(truth.Treatment)} lift {P(truth.Lift)} " +
                    $"{(covers ? "inside" : "OUTSIDE")} the CI");
            }
            Console.WriteLine($"experiment-ab: verdict {phase.Verdict.Decision} {phase.Verdict.Variant} ({phase.Verdict.Reason})");
            return phase.Verdict is { Decision: "ship", Variant: "treatment" } && inside ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static string F(double value) => value.ToString(value < 1 ? "0.0000" : "0.00", CultureInfo.InvariantCulture);

    private static string P(double? value) => value is { } v ? v.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture) : "-";
}
