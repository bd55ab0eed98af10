using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Storage;

namespace Attune.Harness;

/// <summary>
/// CUPED's variance reduction against theory: simulated people whose revenue before and after exposure share a stable taste
/// (correlation ρ set by the noise), fed through the real tracker (post events and pre-period events) and results with CUPED
/// on and off. Theory: the interval narrows to √(1 − ρ²) of its width. Seeded; several ρ, several repetitions each.
/// </summary>
internal static class ExperimentCupedBenchmark
{
    public static int Run(HarnessOptions o)
    {
        int people = o.Int("people", 10_000), repeats = o.Int("repeats", 20), seed = o.Int("seed", 1);
        Console.WriteLine($"experiment-cuped: {people:N0} people per experiment, {repeats} experiments per noise level, revenue per person, seed {seed}");
        bool ok = true;
        foreach (double noise in new[] { 10.0, 20.0, 30.0, 60.0 })
        {
            var rng = new Random(seed * 1000 + (int)noise);
            double sumRatio = 0, sumTheory = 0;
            for (int r = 0; r < repeats; r++)
            {
                var (ratio, rho) = OneExperiment(rng, people, noise);
                sumRatio += ratio;
                sumTheory += Math.Sqrt(1 - rho * rho);
            }
            double measured = sumRatio / repeats, theory = sumTheory / repeats;
            ok &= Math.Abs(measured - theory) < 0.03;
            Console.WriteLine($"experiment-cuped: noise {noise,4:F0}: CI width with CUPED / without = {measured:F3}; theory sqrt(1 - rho^2) = {theory:F3} " +
                $"(difference {measured - theory:F4}; rho {Math.Sqrt(1 - theory * theory):F3})");
        }
        return ok ? 0 : 1;
    }

    private static (double Ratio, double Rho) OneExperiment(Random rng, int people, double noise)
    {
        ExperimentTracker Tracker(bool cuped)
        {
            var t = new ExperimentTracker();
            t.Track(Definition(cuped));
            return t;
        }
        var with = Tracker(true);
        var without = Tracker(false);
        var pre = new double[people];
        var post = new double[people];
        long day = 86_400_000, seq = 0;
        for (int p = 0; p < people; p++)
        {
            string id = "p" + p;
            string variant = p % 2 == 0 ? "control" : "treatment";
            double taste = 50 + 30 * Normal(rng);
            pre[p] = Math.Max(0, taste + noise * Normal(rng));
            post[p] = Math.Max(0, taste + noise * Normal(rng) + (variant == "treatment" ? 2 : 0));
            foreach (var t in new[] { with, without })
            {
                t.Expose(new Exposure("c", id, false, 1, variant, 20 * day), id);
                t.Observe(new StoredEvent(id, false, "i", (int)EventType.Purchase, 21 * day, post[p], ++seq));
                t.SetPre("c", id, [new StoredEvent(id, false, "i", (int)EventType.Purchase, 17 * day, pre[p])]);
            }
        }
        static double Width(ResultsOutput r)
        {
            var ci = r.Phases[0].Metrics[0].Variants[1].Difference!.Ci!;
            return ci[1] - ci[0];
        }
        double ratio = Width(ExperimentResults.Compute(Definition(true), with.Sums("c")!)) / Width(ExperimentResults.Compute(Definition(false), without.Sums("c")!));
        return (ratio, Correlation(pre, post));
    }

    private static Experiment Definition(bool cuped) => new()
    {
        Id = "c",
        Variants = [new ExperimentVariant("control", "default", 0.5), new ExperimentVariant("treatment", "other", 0.5)],
        Metrics = new ExperimentMetrics(Metrics.Revenue, [], []),
        Analysis = new ExperimentAnalysis { AttributionHours = 24 * 14, PrePeriodDays = 14, Cuped = cuped, Sequential = false, Correction = "none" },
        Status = ExperimentStatus.Running,
        Phases = [new ExperimentPhase(1, DateTimeOffset.UnixEpoch, null,
            [new ExperimentVariant("control", "default", 0.5), new ExperimentVariant("treatment", "other", 0.5)], 1, "started")],
    };

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
