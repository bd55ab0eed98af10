using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Storage;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Tests.Experiments.Simulation;

/// <summary>
/// CUPED against theory: people whose revenue before and after exposure share a stable taste (their correlation set by the
/// noise), through the real tracker (post events and pre-period events) and results with CUPED on and off. Used by
/// <c>CupedTests</c> and the harness's <c>experiment-cuped</c>.
/// </summary>
public static class CupedSimulation
{
    private const long Day = 86_400_000;

    /// <summary>Revenue per person, uncapped (theory's √(1 − ρ²) is about the raw values; the built-in revenue is capped), fixed
    /// horizon, no correction; a 14-day pre-period when <paramref name="cuped"/>.</summary>
    public static Experiment Definition(bool cuped) => new()
    {
        Id = "c",
        Variants = [new ExperimentVariant("control", "default", 0.5), new ExperimentVariant("treatment", "other", 0.5)],
        Metrics = new ExperimentMetrics("spend", [], []),
        CustomMetrics = [new MetricDefinition { Id = "spend", Kind = MetricKind.Mean, EventTypes = ["purchase"], Value = MetricValue.Value }],
        Analysis = new ExperimentAnalysis { AttributionHours = 24 * 14, PrePeriodDays = 14, Cuped = cuped, Sequential = false, Correction = "none" },
        Status = ExperimentStatus.Running,
        Phases = [new ExperimentPhase(1, DateTimeOffset.UnixEpoch, null,
            [new ExperimentVariant("control", "default", 0.5), new ExperimentVariant("treatment", "other", 0.5)], 1, "started")],
    };

    /// <summary>
    /// One experiment of <paramref name="people"/> (treatment +<paramref name="lift"/> revenue), tracked twice; returns both
    /// trackers and the realised pre/post correlation. Each person also has a purchase 30 days before exposure, outside the
    /// pre-period, which must be ignored.
    /// </summary>
    public static (ExperimentTracker With, ExperimentTracker Without, double Rho, IReadOnlyList<double> Pre) Run(Random rng, int people, double noise, double lift)
    {
        var with = new ExperimentTracker();
        with.Track(Definition(true));
        var without = new ExperimentTracker();
        without.Track(Definition(false));
        var pre = new double[people];
        var post = new double[people];
        long exposed = 20 * Day, seq = 0;
        for (int p = 0; p < people; p++)
        {
            string person = "p" + p.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string variant = p % 2 == 0 ? "control" : "treatment";
            double taste = 50 + 30 * SimulationMath.Normal(rng);
            pre[p] = Math.Max(0, taste + noise * SimulationMath.Normal(rng));
            post[p] = Math.Max(0, taste + noise * SimulationMath.Normal(rng) + (variant == "treatment" ? lift : 0));
            foreach (var tracker in new[] { with, without })
            {
                tracker.Expose(new Exposure("c", person, false, 1, variant, exposed), person);
                tracker.Observe(new StoredEvent(person, false, "i", (int)EventType.Purchase, exposed + Day, post[p], ++seq));
                tracker.SetPre("c", person, [new StoredEvent(person, false, "i", (int)EventType.Purchase, exposed - 3 * Day, pre[p], 0),
                    new StoredEvent(person, false, "i", (int)EventType.Purchase, exposed - 30 * Day, 1000, 0)]);
            }
        }
        return (with, without, SimulationMath.Correlation(pre, post), pre);
    }

    /// <summary>The treatment's interval width with CUPED divided by the width without.</summary>
    public static double WidthRatio(ExperimentTracker with, ExperimentTracker without)
    {
        static double Width(ResultsOutput r)
        {
            var ci = r.Phases[0].Metrics[0].Variants[1].Difference!.Ci!;
            return ci[1] - ci[0];
        }
        return Width(ExperimentResults.Compute(Definition(true), with.Sums("c")!)) / Width(ExperimentResults.Compute(Definition(false), without.Sums("c")!));
    }
}

/// <summary>Small numeric helpers of the simulations.</summary>
public static class SimulationMath
{
    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>Pearson's correlation.</summary>
    public static double Correlation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
