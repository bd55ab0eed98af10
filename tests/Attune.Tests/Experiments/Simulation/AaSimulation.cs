using System.Diagnostics;
using Attune.Experiments.Assignment;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Storage;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Tests.Experiments.Simulation;

/// <summary>
/// A/A experiments (two identical variants) through the real tracker and results code: people arrive over the days, are
/// bucketed by the GrowthBook hash, browse and sometimes buy; exposures and events go through <see cref="ExperimentTracker"/>
/// in time order, and <see cref="ExperimentResults.Compute"/> reads the verdict at the end of every simulated day, with the
/// plain t-test and with the sequential one. Any <c>ship</c> or <c>stop: worse</c> is a false positive.
/// </summary>
/// <remarks>
/// Per experiment: a base conversion rate drawn from 5–10 %; each person's propensity varies around it (log-normal, σ 0.8);
/// a buyer places 1 + Geometric(0.25) orders at uniform times in the 96 hours after exposure (so about a quarter fall outside
/// the 72-hour attribution window), each worth a log-normal amount (median 40, σ 1.2: a heavy tail) over one or two items;
/// everyone views one to four items in their first hour (events the metrics must ignore). The primary metric is conversion,
/// the secondary revenue; no multiple-testing correction, so the verdict is the primary metric's own test.
/// Shared by the harness command <c>experiment-aa</c> and <c>ExperimentSimulationTests</c>.
/// </remarks>
public static class AaSimulation
{
    private const long Hour = 3_600_000, Day = 24 * Hour;

    public sealed record Options
    {
        public int Experiments { get; init; } = 1000;
        /// <summary>
        /// People per experiment (both variants together). At 10,000 the larger variant has about 250 conversions by the last
        /// day, past the 150 that results need before they judge a metric (<see cref="ExperimentResults.MinimumSampleSize"/>).
        /// </summary>
        public int People { get; init; } = 10_000;
        /// <summary>Days people arrive over; results are read at the end of each, the fixed-horizon verdict after the last.</summary>
        public int Days { get; init; } = 14;
        public int Seed { get; init; } = 1;
        /// <summary>Read the results every day (false: only after the last day, the fixed horizon; the peeking counts stay 0).</summary>
        public bool Peeking { get; init; } = true;
        /// <summary>Experiments simulated at once; 0 = one per core.</summary>
        public int Threads { get; init; }
    }

    /// <summary>Counts of experiments (out of <see cref="Experiments"/>) with a false positive.</summary>
    /// <param name="FixedHorizon">The t-test read once, after the last day.</param>
    /// <param name="PeekingPlain">The t-test read every day: any daily read says ship or stop.</param>
    /// <param name="PeekingSequential">The sequential test read every day.</param>
    /// <param name="RevenueFixedHorizon">The secondary metric, revenue: p &lt; alpha at the last read (t-test).</param>
    /// <param name="SampleRatioMismatches">Experiments whose last read was <c>invalid: SRM</c> (p &lt; 0.001: about one in a
    /// thousand expected).</param>
    /// <param name="Judged">Experiments whose primary metric had enough data to decide at the last read.</param>
    /// <param name="PeekingSequentialWorse">Of <paramref name="PeekingSequential"/>, those that said <c>stop: worse</c>.</param>
    /// <param name="DailyPlain">Per day: experiments whose t-test said ship or stop at that day's read.</param>
    /// <param name="DailySequential">Per day: the same for the sequential test.</param>
    public sealed record Report(int Experiments, int FixedHorizon, int PeekingPlain, int PeekingSequential, int RevenueFixedHorizon,
        int SampleRatioMismatches, int Judged, int PeekingSequentialWorse, double MeanPeople, double MeanConversion, int[] DailyPlain,
        int[] DailySequential, TimeSpan Elapsed);

    private readonly record struct Outcome(bool Fixed, bool PeekingPlain, bool PeekingSequential, bool RevenueFixed, bool Srm, bool Judged,
        bool SequentialWorse, long People, double Conversion, bool[] DailyPlain, bool[] DailySequential);

    public static Report Run(Options o)
    {
        var elapsed = Stopwatch.StartNew();
        var outcomes = new Outcome[o.Experiments];
        int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
        Parallel.For(0, o.Experiments, new ParallelOptions { MaxDegreeOfParallelism = threads }, k => outcomes[k] = RunOne(o, k));
        int Count(Func<Outcome, bool> which) => outcomes.Count(which);
        return new Report(o.Experiments, Count(x => x.Fixed), Count(x => x.PeekingPlain), Count(x => x.PeekingSequential),
            Count(x => x.RevenueFixed), Count(x => x.Srm), Count(x => x.Judged), Count(x => x.SequentialWorse),
            outcomes.Average(x => (double)x.People), outcomes.Average(x => x.Conversion), Daily(outcomes, o.Days, x => x.DailyPlain),
            Daily(outcomes, o.Days, x => x.DailySequential), elapsed.Elapsed);
    }

    private static int[] Daily(Outcome[] outcomes, int days, Func<Outcome, bool[]> which) =>
        [.. Enumerable.Range(0, days).Select(d => outcomes.Count(x => which(x)[d]))];

    /// <summary>The Wilson score interval of a binomial proportion <paramref name="k"/> / <paramref name="n"/> (95 % by default).</summary>
    public static (double Low, double High) Wilson(int k, int n, double z = 1.959963984540054)
    {
        double p = (double)k / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return (centre - half, centre + half);
    }

    private enum Kind : byte { Exposure, View, Purchase }

    private readonly record struct Happening(long AtMs, int Order, int Person, Kind Kind, int Variant, double Value, int Session);

    private static Outcome RunOne(Options o, int k)
    {
        // One stream per experiment: the same experiments whatever the threads' order.
        var rng = new Random(unchecked(o.Seed * 1_000_003 + k));
        string id = $"aa-{k:D4}";
        var start = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        long startMs = start.ToUnixTimeMilliseconds(), endMs = startMs + o.Days * Day;
        ExperimentVariant[] variants = [new("a", "default", 0.5), new("b", "default", 0.5)];
        var plain = new Experiment
        {
            Id = id,
            Variants = variants,
            Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue], []),
            Analysis = new ExperimentAnalysis { Sequential = false, Correction = "none" },
            Status = ExperimentStatus.Running,
            Phases = [new ExperimentPhase(1, start, null, variants, 1, "started")],
        };
        var sequential = plain with { Analysis = plain.Analysis with { Sequential = true } };
        var tracker = new ExperimentTracker();
        tracker.Track(plain);

        var ranges = Bucketing.GetBucketRanges(variants.Length, 1, [.. variants.Select(v => v.Weight)]);
        double baseRate = 0.05 + 0.05 * rng.NextDouble();
        var people = new string[o.People];
        var timeline = new List<Happening>(o.People * 5);
        int sessions = 0;
        for (int i = 0; i < people.Length; i++)
        {
            people[i] = "p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            long at = startMs + rng.NextInt64(endMs - startMs);
            int variant = Bucketing.ChooseVariation(Hashing.Hash(id, people[i], 2) ?? 0, ranges);
            timeline.Add(new Happening(at, timeline.Count, i, Kind.Exposure, variant, 0, 0));
            for (int v = rng.Next(1, 5); v > 0; v--)
                timeline.Add(new Happening(at + rng.NextInt64(Hour), timeline.Count, i, Kind.View, 0, 0, 0));
            double propensity = Math.Min(0.9, baseRate * Math.Exp(0.8 * SimulationMath.Normal(rng) - 0.32)); // mean-preserving: E[e^(0.8Z)] = e^0.32
            if (rng.NextDouble() >= propensity) continue;
            int orders = 1;
            while (rng.NextDouble() < 0.25) orders++;
            for (int r = 0; r < orders; r++)
            {
                long t = at + rng.NextInt64(96 * Hour);
                double value = 40 * Math.Exp(1.2 * SimulationMath.Normal(rng));
                int items = rng.NextDouble() < 0.3 ? 2 : 1;
                sessions++;
                for (int j = 0; j < items; j++)
                    timeline.Add(new Happening(t + j, timeline.Count, i, Kind.Purchase, 0, value / items, sessions));
            }
        }
        // Time order (a person's exposure was added before their events, so it stays first on a tie).
        timeline.Sort(static (a, b) => a.AtMs != b.AtMs ? a.AtMs.CompareTo(b.AtMs) : a.Order.CompareTo(b.Order));

        bool[] dailyPlain = new bool[o.Days], dailySequential = new bool[o.Days];
        bool sequentialWorse = false;
        Outcome last = default;
        long seq = 0;
        int day = 1;
        foreach (var h in timeline)
        {
            while (day <= o.Days && h.AtMs >= startMs + day * Day) Read(day++);
            if (h.AtMs >= endMs) break;
            string person = people[h.Person];
            switch (h.Kind)
            {
                case Kind.Exposure:
                    tracker.Expose(new Exposure(id, person, false, 1, variants[h.Variant].Key, h.AtMs), person);
                    break;
                case Kind.View:
                    tracker.Observe(new StoredEvent(person, false, "i1", (int)EventType.View, h.AtMs, null, ++seq));
                    break;
                default:
                    tracker.Observe(new StoredEvent(person, false, "i2", (int)EventType.Purchase, h.AtMs, h.Value, ++seq,
                        "{\"sessionId\":\"o" + h.Session.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"}"));
                    break;
            }
        }
        while (day <= o.Days) Read(day++);
        return last with
        {
            PeekingPlain = dailyPlain.Contains(true), PeekingSequential = dailySequential.Contains(true), SequentialWorse = sequentialWorse,
            DailyPlain = dailyPlain, DailySequential = dailySequential,
        };

        void Read(int d)
        {
            if (!o.Peeking && d < o.Days) return;
            var sums = tracker.Sums(id)!;
            var byPlain = ExperimentResults.Compute(plain, sums).Phases[0];
            if (o.Peeking)
            {
                var bySequential = ExperimentResults.Compute(sequential, sums).Phases[0];
                dailyPlain[d - 1] = IsFalsePositive(byPlain.Verdict);
                dailySequential[d - 1] = IsFalsePositive(bySequential.Verdict);
                sequentialWorse |= bySequential.Verdict.Decision == "stop: worse";
            }
            if (d < o.Days) return;
            var conversion = byPlain.Metrics.First(m => m.Id == Metrics.Conversion);
            var revenue = byPlain.Metrics.First(m => m.Id == Metrics.Revenue).Variants[1].Difference;
            long n = byPlain.Variants.Sum(v => v.People);
            double converted = conversion.Variants.Sum(v => v.Value * v.People);
            last = new Outcome(IsFalsePositive(byPlain.Verdict), false, false, revenue?.PValue is < 0.05, byPlain.SampleRatioMismatch,
                conversion.Variants[1].Difference?.EnoughData == true, false, n, n == 0 ? 0 : converted / n, [], []);
        }
    }

    private static bool IsFalsePositive(Verdict verdict) => verdict.Decision is "ship" or "stop: worse";

    /// <summary>A standard normal draw (Box–Muller).</summary>
}
