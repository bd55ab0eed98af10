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
        public int LogVisits { get; init; } = 40_000;
        /// <summary>Visits of the experiment (default against learned).</summary>
        public int ExperimentVisits { get; init; } = 160_000;
        public int Seed { get; init; } = 7;
        /// <summary>The logging recipe's exploration (the chance per slot of showing one of the blend's next best).</summary>
        public double Exploration { get; init; } = 0.2;
        /// <summary>How many of the blend's best the learned recipe chooses from (0: the product's default, ten per item shown).</summary>
        public int Rerank { get; init; }
        /// <summary>A diagnostic: a candidate source <c>truth</c> scoring the shoppers' hidden appeal joins every recipe with a
        /// weight of 0.001, so it barely moves the blend but reaches the ranker as a feature (what a perfect feature buys).</summary>
        public bool Oracle { get; init; }
        /// <summary>The ranker's settings (null: the product's defaults).</summary>
        public Attune.Predictions.Ranking.RankerSettings? Settings { get; init; }
        /// <summary>Visits after the experiment, while the learned recipe goes out through a progressive rollout (10 → 50 → 100 %,
        /// a day per step); 0 skips the rollout.</summary>
        public int RolloutVisits { get; init; } = 10_000;
        public Action<string>? Progress { get; init; }
    }

    /// <param name="Ceilings">The true expected conversion per visit of the best ten by the hidden appeal, chosen from the blend's
    /// best N (N = 10: the best re-ordering of the shown; N = 0: the whole catalog): the headroom any ranker has.</param>
    /// <param name="TrueServed">Per arm (control, treatment), the true expected conversion of the lists its own visits were served:
    /// what the experiment's observed orders per visit estimate.</param>
    /// <param name="Rollout">The learned recipe's rollout after the experiment, as it ended (null when skipped).</param>
    /// <param name="Bought">Per arm, the share of its visits in which the simulated shopper bought (what the experiment observed).</param>
    public sealed record Report(Attune.Server.Hosting.StoredRanker Ranker, ResultsOutput Results, double TrueControl, double TrueTreatment,
        int Visits, TimeSpan Elapsed, IReadOnlyDictionary<int, double> Ceilings, (double Control, double Treatment) TrueServed,
        (double Control, double Treatment) Bought, Rollout? Rollout)
    {
        public PhaseResult Phase => Results.Phases[0];
        public double TrueLift => TrueTreatment / TrueControl - 1;
    }

    /// <summary>The pools of <see cref="Report.Ceilings"/>: the blend's best 10, 30 and 100, and the whole catalog (0).</summary>
    public static readonly int[] CeilingPools = [10, 30, 100, 0];

    /// <summary>The ceilings are measured on every tenth visit of the experiment (a sample; the answers are the same kind).</summary>
    private const int CeilingEvery = 10;

    /// <summary>The experiment's primary metric: orders per answer served, i.e. the share of visits that end in a purchase —
    /// the simulated conversion the truth is summed on (<see cref="Report.TrueControl"/>), per visit rather than per person.</summary>
    public static readonly MetricDefinition OrdersPerVisit = new()
    {
        Id = "orders-per-visit", Name = "Orders per visit (visits ending in a purchase, per for-you answer)", Kind = MetricKind.Ratio,
        EventTypes = ["purchase"], Value = MetricValue.Orders, Denominator = new(["answer"], MetricValue.Answers),
    };

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
        var (ranker, problem) = await rankers.TrainAsync("for-you-learned", "for-you", 30, ct, o.Settings);
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
            Metrics = new ExperimentMetrics(OrdersPerVisit.Id, [Metrics.Conversion], []),
            CustomMetrics = [OrdersPerVisit],
            // One look at a number of visits fixed in advance: the fixed-horizon test is exact (sequential testing pays for
            // looking at any time, which this run does not). Every visit counts, whenever it comes.
            Analysis = new ExperimentAnalysis { Sequential = false, AttributionHours = o.ExperimentVisits / 60.0 + 24 },
        }, ct);
        await engine.Experiments.StartAsync(ExperimentId, ct);
        double trueControl = 0, trueTreatment = 0;
        var servedSum = new double[2];
        var servedVisits = new int[2];
        var boughtVisits = new int[2];
        var ceilings = CeilingPools.ToDictionary(n => n, _ => 0.0);
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
            servedSum[arm] += mine;
            servedVisits[arm]++;
            if (v % CeilingEvery == 0)
            {
                var pool = engine.Recommend(new RecommendationRequest { UserId = user, Scenario = "for-you", Count = CeilingPools[^2], Recipe = Recipe.DefaultName })
                    .Items.Select(i => i.Id).ToArray();
                foreach (int n in CeilingPools)
                {
                    var best = n == 0 ? shop.Truth.TopItems(user, shop.Items, 10)
                        : [.. pool.Take(n).OrderByDescending(id => shopper.Appeal(user, id)).Take(10)];
                    ceilings[n] += shopper.Expect(user, best).Purchase;
                }
            }
            if (React(user, served, at)) boughtVisits[arm]++;
            if (batch.Count > 500) await FlushAsync();
        }
        await FlushAsync();
        var results = ExperimentResults.Compute(engine.Experiments.Current.Experiments[ExperimentId], engine.Tracker.Sums(ExperimentId)!);
        o.Progress?.Invoke($"experiment: {results.Phases[0].Verdict.Decision} {results.Phases[0].Verdict.Variant}");

        // 4. The rollout: the learned recipe out to everyone in steps, each guarded (conversion, errors, latency).
        Rollout? rollout = null;
        if (o.RolloutVisits > 0)
        {
            await engine.Experiments.StopAsync(ExperimentId, ct);
            rollout = await engine.StartRolloutAsync(new Rollout
            {
                Id = "learned-ranking", Name = "The learned ranking to everyone", Recipe = "learned", Scenarios = ["for-you"],
                Steps = RolloutStep.Of([10, 50, 100], 24 * 60),
            }, ct);
            for (int v = 0; v < o.RolloutVisits && engine.Rollouts.Current.TryGetValue(rollout.Id, out var now) && now.Status == RolloutStatus.Running; v++)
            {
                string user = users[v % users.Length];
                at = at.AddSeconds(60);
                clock.Set(at);
                React(user, engine.Recommend(new RecommendationRequest { UserId = user, Scenario = "for-you", Count = 10 }), at);
                if (batch.Count > 500) await FlushAsync();
                if (v % 100 == 99)
                {
                    await FlushAsync();
                    await engine.CheckRolloutsAsync(ct);
                }
            }
            await FlushAsync();
            await engine.CheckRolloutsAsync(ct);
            rollout = engine.Rollouts.Current[rollout.Id];
            o.Progress?.Invoke($"rollout: {rollout.Status}; " + string.Join("; ", rollout.History.Select(h => $"step {h.Number} ({h.Percent:G4} %): {h.Outcome ?? "running"}")));
        }
        return new Report(ranker, results, trueControl / o.ExperimentVisits, trueTreatment / o.ExperimentVisits, o.ExperimentVisits, elapsed.Elapsed,
            ceilings.ToDictionary(c => c.Key, c => c.Value / ((o.ExperimentVisits + CeilingEvery - 1) / CeilingEvery)),
            (servedSum[0] / Math.Max(1, servedVisits[0]), servedSum[1] / Math.Max(1, servedVisits[1])),
            (boughtVisits[0] / (double)Math.Max(1, servedVisits[0]), boughtVisits[1] / (double)Math.Max(1, servedVisits[1])), rollout);

        bool React(string user, Recommendation served, DateTimeOffset when)
        {
            var shown = served.Items.Select(i => i.Id).ToList();
            var reaction = shopper.React(user, shown, rng);
            batch.AddRange(shopper.Events(user, shown, reaction, when, $"{user}-{when.ToUnixTimeSeconds()}", served.RecommendationId));
            return reaction.Bought.Count > 0 || reaction.Elsewhere is not null;
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
