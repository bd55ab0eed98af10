using Attune.Experiments.Running;
using Attune.Tests.Experiments.Simulation;

namespace Attune.Harness;

/// <summary>
/// A/A experiments through the real tracker and results code (<see cref="AaSimulation"/>): the false-positive rate of the
/// fixed-horizon t-test, and under daily peeking of the plain and the sequential test, each with its 95 % Wilson interval.
/// Exits 0 when fixed horizon is 5 % ± 1.5 %, sequential peeking ≤ 5 % and plain peeking above sequential peeking.
/// </summary>
internal static class ExperimentAaBenchmark
{
    public static Task<int> RunAsync(HarnessOptions o)
    {
        var options = new AaSimulation.Options
        {
            Experiments = o.Int("experiments", 1000), People = o.Int("people", 10_000), Days = o.Int("days", 14), Seed = o.Int("seed", 1),
            Threads = o.Int("threads", 0),
        };
        var r = AaSimulation.Run(options);
        Console.WriteLine($"experiment-aa: {r.Experiments:N0} A/A experiments (seed {options.Seed}), {r.MeanPeople:N0} people each " +
            $"over {options.Days} days, " +
            $"conversion {r.MeanConversion:P1} on average, revenue heavy-tailed; real tracker and results; {r.Elapsed.TotalSeconds:F1} s");
        Line("fixed horizon, t-test read once at the end", r.FixedHorizon, r.Experiments, "goal 5 % ± 1.5 %");
        Line($"daily peeking ({options.Days} reads), plain t-test", r.PeekingPlain, r.Experiments, "must exceed the sequential test");
        Line($"daily peeking ({options.Days} reads), sequential test", r.PeekingSequential, r.Experiments,
            $"goal ≤ 5 % ({r.PeekingSequentialWorse} of them stop: worse)");
        Line("secondary metric revenue, fixed horizon, p < 0.05", r.RevenueFixedHorizon, r.Experiments, "5 % expected");
        Console.WriteLine("experiment-aa: significant at each day's read, plain t-test: " + string.Join(" ", r.DailyPlain));
        Console.WriteLine("experiment-aa: significant at each day's read, sequential:   " + string.Join(" ", r.DailySequential));
        Console.WriteLine($"experiment-aa: primary metric judged at the last read (≥ {ExperimentResults.MinimumSampleSize} conversions " +
            $"in the larger variant) in {r.Judged} experiments");
        Console.WriteLine($"experiment-aa: invalid: SRM at the last read in {r.SampleRatioMismatches} experiments (not counted above)");
        double n = r.Experiments;
        bool ok = Math.Abs(r.FixedHorizon / n - 0.05) <= 0.015 && r.PeekingSequential / n <= 0.05 && r.PeekingPlain > r.PeekingSequential;
        return Task.FromResult(ok ? 0 : 1);
    }

    private static void Line(string what, int k, int n, string goal)
    {
        var (low, high) = AaSimulation.Wilson(k, n);
        Console.WriteLine($"experiment-aa: {what,-48} {k,4} / {n} = {(double)k / n,6:P1} (95 % CI {low:P1}–{high:P1}); {goal}");
    }
}
