using System.Diagnostics;
using Attune.Demo;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Serving;
using Attune.Storage.Sqlite;
using Experiment = Attune.Experiments.Definitions.Experiment;
using Recipe = Attune.Serving.Recipes.Recipe;

namespace Attune.Tests.Experiments.Simulation;

/// <summary>
/// A real A/B test on the demo shop: an in-process <see cref="ServingEngine"/> over SQLite runs an experiment of the
/// non-personal recipe (control) against the default one (treatment) on <c>for-you</c>; the demo's shoppers visit over
/// simulated days, each is served through the experiment and reacts to the list (<see cref="ReactiveShopper"/>); their clicks
/// and purchases, carrying the answer's <c>recommendationId</c>, go through the store and the change feed into the tracker.
/// </summary>
/// <remarks>
/// The simulated truth is exact: at each visit the other variant's list is asked too (a request naming its recipe is outside
/// experiments), and the shopper's expected conversion, revenue and clicks under both lists are summed over every shopper,
/// whichever variant they were in. Each shopper visits once, so the counterfactual list is asked from the same state the
/// shopper's real answer came from (with several visits the history, and so the lists, of the two worlds would drift apart).
/// Shared by the harness command <c>experiment-ab</c> and <c>ExperimentSimulationTests</c>.
/// </remarks>
public static class AbSimulation
{
    public const string ExperimentId = "personalization-ab";

    public sealed record Options
    {
        /// <summary>The demo shop: users, items and days of history before the experiment (a seeded <see cref="DemoShop"/>).</summary>
        public int Users { get; init; } = 20_000;
        public int Items { get; init; } = 5_000;
        public int HistoryDays { get; init; } = 90;
        /// <summary>Shoppers who visit during the experiment (distinct demo users, at most <see cref="Users"/>).</summary>
        public int Shoppers { get; init; } = 20_000;
        /// <summary>Simulated days the visits are spread over.</summary>
        public int Days { get; init; } = 14;
        public int Seed { get; init; } = 7;
        /// <summary>Visits whose events are appended together (then the engine catches up).</summary>
        public int Batch { get; init; } = 100;
        /// <summary>Receives one line per simulated day (the verdict so far).</summary>
        public Action<string>? Progress { get; init; }
    }

    /// <summary>The simulated truth of one metric: the mean per shopper under each recipe, over all shoppers.</summary>
    public sealed record Truth(string Metric, double Control, double Treatment)
    {
        public double Lift => Treatment / Control - 1;
    }

    public sealed record Report(Experiment Definition, ResultsOutput Results, IReadOnlyList<Truth> Truths, int Visits,
        int IdenticalLists, TimeSpan Setup, TimeSpan Simulation)
    {
        public PhaseResult Phase => Results.Phases[0];

        public MetricResult Metric(string id) => Phase.Metrics.First(m => m.Id == id);

        public Truth TruthOf(string id) => Truths.First(t => t.Metric == id);
    }

    /// <summary>The end of the demo's history and the start of the experiment (fixed, so runs are identical).</summary>
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<Report> RunAsync(Options o, string directory, CancellationToken ct = default)
    {
        var setup = Stopwatch.StartNew();
        var clock = new SimulatedClock(Start);
        var shop = DemoShop.Generate(new DemoOptions
        {
            Users = o.Users, Items = o.Items, Days = o.HistoryDays, Seed = o.Seed, End = Start,
        });
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = directory, FullSync = false }, clock);
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        // Answers asked only to know the other variant's list must not count as shown: no recommendation log. No retraining
        // during the run either (the model trained at start serves; live profiles still follow every event).
        var options = new ServingOptions { LogRecommendations = false, RetrainIntervalMinutes = 0, RetrainAfterEvents = 0 };
        await using var engine = new ServingEngine(store, options, directory, time: clock);
        await engine.StartAsync(ct);

        ExperimentVariant[] variants = [new("control", Recipe.NonPersonalName, 0.5), new("treatment", Recipe.DefaultName, 0.5)];
        await engine.Experiments.CreateAsync(new Experiment
        {
            Id = ExperimentId,
            Name = "Personalized for-you against the non-personal one",
            Hypothesis = "Lists ranked for the shopper's taste convert more shoppers than the same list for everyone",
            Variants = variants,
            Scenarios = ["for-you"],
            Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue, Metrics.ClickThrough], []),
        }, ct);
        await engine.Experiments.StartAsync(ExperimentId, ct);
        setup.Stop();

        var simulation = Stopwatch.StartNew();
        var rng = new Random(o.Seed);
        var shopper = new ReactiveShopper(shop.Truth, shop.Items);
        var visits = Visits(shop, o, rng);
        var expected = new (double Purchase, double Revenue, double Clicks)[2];
        int identical = 0;
        var batch = new List<Event>();
        int day = 1;
        for (int v = 0; v < visits.Length; v++)
        {
            var (user, at) = visits[v];
            for (; at >= Start.AddDays(day); day++)
            {
                await FlushAsync();
                if (o.Progress is { } progress) progress(Summary(engine, day));
            }
            clock.Set(at);
            var served = engine.Recommend(new RecommendationRequest { UserId = user, Scenario = "for-you", Count = 10 });
            int arm = served.Experiment?.Variant == "treatment" ? 1 : 0;
            var other = engine.Recommend(new RecommendationRequest
            {
                UserId = user, Scenario = "for-you", Count = 10, Recipe = variants[1 - arm].Recipe,
            });
            var shown = served.Items.Select(i => i.Id).ToList();
            var counterfactual = other.Items.Select(i => i.Id).ToList();
            if (shown.SequenceEqual(counterfactual)) identical++;
            Add(arm, shopper.Expect(user, shown));
            Add(1 - arm, shopper.Expect(user, counterfactual));

            var reaction = shopper.React(user, shown, rng);
            batch.AddRange(shopper.Events(user, shown, reaction, at, $"{user}-visit", served.RecommendationId));
            if ((v + 1) % o.Batch == 0) await FlushAsync();
        }
        await FlushAsync();
        for (; day <= o.Days; day++)
        {
            if (o.Progress is { } progress) progress(Summary(engine, day));
        }
        simulation.Stop();

        var definition = engine.Experiments.Current.Experiments[ExperimentId];
        var results = ExperimentResults.Compute(definition, engine.Tracker.Sums(ExperimentId)!);
        int n = visits.Length;
        Truth[] truths =
        [
            new(Metrics.Conversion, expected[0].Purchase / n, expected[1].Purchase / n),
            new(Metrics.Revenue, expected[0].Revenue / n, expected[1].Revenue / n),
            // Click-through is clicks per answer; every shopper is served one answer.
            new(Metrics.ClickThrough, expected[0].Clicks / n, expected[1].Clicks / n),
        ];
        return new Report(definition, results, truths, n, identical, setup.Elapsed, simulation.Elapsed);

        void Add(int arm, ReactiveShopper.Expected e) =>
            expected[arm] = (expected[arm].Purchase + e.Purchase, expected[arm].Revenue + e.Revenue, expected[arm].Clicks + e.Clicks);

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            await store.AppendEventsAsync(batch.ToArray(), ct);
            batch.Clear();
            await engine.CatchUpAsync(ct);
        }
    }

    /// <summary>Distinct demo users, each visiting once at a uniform time over the simulated days, in time order.</summary>
    private static (string User, DateTimeOffset At)[] Visits(DemoShop shop, Options o, Random rng)
    {
        var users = shop.Users.Select(u => u.Id).ToArray();
        rng.Shuffle(users);
        var visits = new (string User, DateTimeOffset At)[Math.Min(o.Shoppers, users.Length)];
        long span = o.Days * 86_400_000L;
        for (int i = 0; i < visits.Length; i++) visits[i] = (users[i], Start.AddMilliseconds(rng.NextInt64(span)));
        Array.Sort(visits, (a, b) => a.At.CompareTo(b.At));
        return visits;
    }

    private static string Summary(ServingEngine engine, int day)
    {
        var results = ExperimentResults.Compute(engine.Experiments.Current.Experiments[ExperimentId], engine.Tracker.Sums(ExperimentId)!);
        var phase = results.Phases[0];
        var primary = phase.Metrics.First(m => m.Role == "primary").Variants[1];
        var d = primary.Difference;
        string lift = d?.Expected is { } x && d.Ci is { } ci
            ? $"lift {x:+0.0%;-0.0%} [{ci[0]:+0.0%;-0.0%}, {ci[1]:+0.0%;-0.0%}]"
            : "no test yet";
        return $"day {day,2}: {phase.Variants.Sum(v => v.People),6:N0} people; conversion {lift}; {phase.Verdict.Decision}";
    }
}
