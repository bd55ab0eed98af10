using System.Diagnostics;
using Attune.Demo;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Recipes;
using Attune.Serving.Sources;
using Attune.Storage.Sqlite;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Tests.Experiments.Simulation;

/// <summary>
/// Learned ranking on the demo shop, end to end: shoppers (<see cref="ReactiveShopper"/>) visit and react to the default
/// for-you answers, which the recommendation log keeps with their ranking features; a learned ranker is trained from that log
/// (the server's <see cref="Attune.Server.Hosting.RankerService"/>: position bias from the clicks, LambdaRank, the replayed
/// evaluation); then an experiment serves the default recipe against one naming the ranker to new shoppers, and the
/// experiments engine reads the result. The true expected conversion of both lists is summed at every visit, as in
/// <see cref="AbSimulation"/>. Shared by the harness command <c>learned-ranking</c> and <c>LearnedRankingSimulationTests</c>.
/// </summary>
public static class LearnedRankingSimulation
{
    public const string ExperimentId = "learned-ranking";

    public sealed record Options
    {
        public int Users { get; init; } = 20_000;
        public int Items { get; init; } = 5_000;
        public int HistoryDays { get; init; } = 90;
        /// <summary>Visits served the default recipe, whose log the ranker learns from.</summary>
        public int LogVisits { get; init; } = 20_000;
        /// <summary>Visits of the experiment (default against learned).</summary>
        public int ExperimentVisits { get; init; } = 20_000;
        public int Seed { get; init; } = 7;
        /// <summary>The logging recipe's exploration (the chance per slot of showing one of the blend's next best).</summary>
        public double Exploration { get; init; } = 0.2;
        /// <summary>How many of the blend's best the learned recipe re-orders (0: as many as shown).</summary>
        public int Rerank { get; init; }
        /// <summary>A diagnostic: a candidate source <c>truth</c> scoring the shoppers' hidden appeal joins every recipe with a
        /// weight of 0.001, so it barely moves the blend but reaches the ranker as a feature (what a perfect feature buys).</summary>
        public bool Oracle { get; init; }
        public Action<string>? Progress { get; init; }
    }

    public sealed record Report(Attune.Server.Hosting.StoredRanker Ranker, ResultsOutput Results, double TrueControl, double TrueTreatment,
        int Visits, TimeSpan Elapsed)
    {
        public PhaseResult Phase => Results.Phases[0];
        public double TrueLift => TrueTreatment / TrueControl - 1;
    }

    public static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<Report> RunAsync(Options o, string directory, CancellationToken ct = default)
    {
        var elapsed = Stopwatch.StartNew();
        var clock = new SimulatedClock(Start);
        var shop = DemoShop.Generate(new DemoOptions { Users = o.Users, Items = o.Items, Days = o.HistoryDays, Seed = o.Seed, End = Start });
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = directory, FullSync = false }, clock);
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        var options = new ServingOptions { LogRecommendations = true, RetrainIntervalMinutes = 0, RetrainAfterEvents = 0 };
        var shopper = new ReactiveShopper(shop.Truth, shop.Items);
        var registry = SourceRegistry.CreateDefault();
        if (o.Oracle) registry.Add(new TruthSource(shopper));
        await using var engine = new ServingEngine(store, options, directory, sources: registry, time: clock);
        await engine.StartAsync(ct);
        var rankers = new Attune.Server.Hosting.RankerService(store, clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Attune.Server.Hosting.RankerService>.Instance);
        engine.Rankers = rankers.Ranker;

        var rng = new Random(o.Seed);
        Dictionary<string, float>? sources = o.Oracle
            ? new(engine.Scenarios["for-you"].Weights, StringComparer.OrdinalIgnoreCase) { [TruthSource.SourceName] = 0.001f }
            : null;
        var users = shop.Users.Select(u => u.Id).ToArray();
        rng.Shuffle(users);
        var batch = new List<Event>();
        // 1. The log: the default recipe with exploration, shoppers reacting.
        await engine.PutRecipeAsync(new Recipe
        {
            Name = "explore",
            Scenarios = new(StringComparer.OrdinalIgnoreCase) { ["for-you"] = new RecipeScenario { Exploration = o.Exploration, Sources = sources } },
        }, ct);
        var at = Start;
        for (int v = 0; v < o.LogVisits; v++)
        {
            at = at.AddSeconds(60);
            clock.Set(at);
            var served = engine.Recommend(new RecommendationRequest { UserId = users[v % users.Length], Scenario = "for-you", Count = 10, Recipe = "explore" });
            React(users[v % users.Length], served, at);
            if (batch.Count > 500) await FlushAsync();
        }
        await FlushAsync();
        o.Progress?.Invoke($"logged {o.LogVisits:N0} default answers (exploration {o.Exploration:P0} per slot)");

        // 2. The ranker, learned from that log.
        clock.Set(at = at.AddMinutes(30));
        var (ranker, problem) = await rankers.TrainAsync("for-you-learned", "for-you", 30, ct);
        if (ranker is null) throw new InvalidOperationException(problem);
        var e = ranker.Evaluation;
        o.Progress?.Invoke($"ranker: {e.Lists:N0} answers; replayed clicks per answer {e.LearnedClicks:0.0000} vs {e.LoggedClicks:0.0000} as served " +
            $"({e.ClickLift:+0.0%;-0.0%}), purchases {e.LearnedPurchases:0.0000} vs {e.LoggedPurchases:0.0000} ({e.PurchaseLift:+0.0%;-0.0%})");
        await engine.PutRecipeAsync(new Recipe
        {
            Name = "learned",
            Scenarios = new(StringComparer.OrdinalIgnoreCase)
            {
                ["for-you"] = new RecipeScenario { Ranker = "for-you-learned", Rerank = o.Rerank > 0 ? o.Rerank : null, Sources = sources },
            },
        }, ct);

        // 3. The experiment: default against learned, new visits (the other half of the users first).
        ExperimentVariant[] variants = [new("control", Recipe.DefaultName, 0.5), new("treatment", "learned", 0.5)];
        await engine.Experiments.CreateAsync(new Experiment
        {
            Id = ExperimentId,
            Name = "The learned ranking against the hand-set blend",
            Hypothesis = "Ordering for-you by the ranker learned from the log converts more shoppers",
            Variants = variants,
            Scenarios = ["for-you"],
            Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue, Metrics.ClickThrough], []),
        }, ct);
        await engine.Experiments.StartAsync(ExperimentId, ct);
        double trueControl = 0, trueTreatment = 0;
        for (int v = 0; v < o.ExperimentVisits; v++)
        {
            string user = users[(users.Length - 1 - v % users.Length + users.Length) % users.Length];
            at = at.AddSeconds(60);
            clock.Set(at);
            var served = engine.Recommend(new RecommendationRequest { UserId = user, Scenario = "for-you", Count = 10 });
            int arm = served.Experiment?.Variant == "treatment" ? 1 : 0;
            var other = engine.Recommend(new RecommendationRequest { UserId = user, Scenario = "for-you", Count = 10, Recipe = variants[1 - arm].Recipe });
            double mine = shopper.Expect(user, [.. served.Items.Select(i => i.Id)]).Purchase, theirs = shopper.Expect(user, [.. other.Items.Select(i => i.Id)]).Purchase;
            trueControl += arm == 0 ? mine : theirs;
            trueTreatment += arm == 1 ? mine : theirs;
            React(user, served, at);
            if (batch.Count > 500) await FlushAsync();
        }
        await FlushAsync();
        var results = ExperimentResults.Compute(engine.Experiments.Current.Experiments[ExperimentId], engine.Tracker.Sums(ExperimentId)!);
        return new Report(ranker, results, trueControl / o.ExperimentVisits, trueTreatment / o.ExperimentVisits, o.ExperimentVisits, elapsed.Elapsed);

        void React(string user, Recommendation served, DateTimeOffset when)
        {
            var shown = served.Items.Select(i => i.Id).ToList();
            batch.AddRange(shopper.Events(user, shown, shopper.React(user, shown, rng), when, $"{user}-{when.ToUnixTimeSeconds()}", served.RecommendationId));
        }

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            await store.AppendEventsAsync(batch.ToArray(), ct);
            batch.Clear();
            await engine.CatchUpAsync(ct);
        }
    }

    /// <summary>The <see cref="Options.Oracle"/> diagnostic's source: each item's hidden appeal to the person.</summary>
    private sealed class TruthSource(ReactiveShopper shopper) : CandidateSource
    {
        public const string SourceName = "truth";
        public override string Name => SourceName;
        public override string Description => "the simulated shoppers' hidden appeal (a diagnostic oracle)";

        public override SourceScores ScoreAll(SourceContext context, float[] buffer)
        {
            if (context.Person.Id is not { } user) return SourceScores.None;
            var items = context.State.Catalog.Columns.Items;
            for (int j = 0; j < context.ItemCount; j++) buffer[j] = items[j] is { } item ? (float)shopper.Appeal(user, item) : 0;
            return new SourceScores(buffer, context.ItemCount);
        }
    }
}
