using Attune.Algorithms;
using Attune.Algorithms.Data;
using Attune.Model;
using Attune.Serving.Live;
using Attune.Serving.Models;
using Attune.Serving.Training;

namespace Attune.Tests.Serving;

/// <summary>
/// What <c>attune evaluate --model popularity|trending</c> measures is what serves: the evaluation models, the bundle's
/// counts and the live trending counters agree on the same events.
/// </summary>
public sealed class PopularityCountsTests
{
    private const long Day = 86_400_000;
    private const long Now = 1_780_000_000_000;
    private const double HalfLife = 5, ShortDays = 0.5, LongDays = 10;

    [Fact]
    public void EvaluationModelsAndTheServingBundleGiveTheSamePopularityAndTrending()
    {
        // Arrange
        var log = GeneratedLog(seed: 7, events: 3_000, fromMs: Now - 30 * Day, toMs: Now);
        var data = log.Build(Content(), threads: 1);

        // Act: the serving path (bundle, then the live counters as the engine starts them) and the evaluation path.
        var bundle = TrainBundle(log, data);
        var live = new TrendingCounters(bundle.TrendShort, bundle.TrendLong, bundle.Info.DataUntil!.Value.ToUnixTimeMilliseconds(),
            ShortDays, LongDays);
        var popularity = Scores(ModelCatalog.CreateTrainer("popularity",
            ModelParameters.Parse(["weighted=true", "halfLifeDays=5"])).Fit(data, TestContext.Current.CancellationToken));
        var trending = Scores(ModelCatalog.CreateTrainer("trending",
            ModelParameters.Parse(["shortDays=0.5", "longDays=10"])).Fit(data, TestContext.Current.CancellationToken));

        // Assert: identical arrays, not merely close ones.
        Assert.Equal(popularity, bundle.Popularity);
        Assert.Equal(trending.Select(s => Math.Max(s, 0f)).ToArray(), live.Positive);
        Assert.Contains(trending, s => s > 0);
        Assert.Contains(popularity, s => s > 0);
    }

    [Fact]
    public void LiveEventsAddedToTheBundleCountsTrendAsTheModelTrainedOnAllEventsDoes()
    {
        // Arrange: 20 days trained into the bundle, then 2 days arriving live.
        var trained = GeneratedLog(seed: 11, events: 2_000, fromMs: Now - 22 * Day, toMs: Now - 2 * Day);
        var bundle = TrainBundle(trained, trained.Build(Content(), threads: 1));
        var later = new Random(12);
        var liveEvents = Enumerable.Range(0, 300)
            .Select(_ => (Item: later.Next(10), Time: Now - 2 * Day + later.NextInt64(2 * Day))) // a burst on items 0–9
            .OrderBy(e => e.Time).ToList();
        var all = GeneratedLog(seed: 11, events: 2_000, fromMs: Now - 22 * Day, toMs: Now - 2 * Day);
        foreach (var (item, time) in liveEvents) all.Add("live", trained.ItemIds[item], 1, time, (int)EventType.View);
        all.Add("clock", trained.ItemIds[0], 1, Now, (int)EventType.View); // the newest event is "now" for the model

        // Act
        var live = new TrendingCounters(bundle.TrendShort, bundle.TrendLong, bundle.Info.DataUntil!.Value.ToUnixTimeMilliseconds(),
            ShortDays, LongDays);
        foreach (var (item, time) in liveEvents) live.Add(item, time);
        live.Add(0, Now);
        live.Tick(Now);
        var model = Scores(ModelCatalog.CreateTrainer("trending",
            ModelParameters.Parse(["shortDays=0.5", "longDays=10"])).Fit(all.Build(threads: 1), TestContext.Current.CancellationToken));

        // Assert: the same scores up to float rounding (decaying a sum step by step rounds differently than at once).
        for (int i = 0; i < model.Length; i++) Assert.Equal(Math.Max(model[i], 0f), live.Positive[i], 0.01f);
        Assert.InRange(live.Top(1)[0], 0, 9);
    }

    [Fact]
    public void TheTrainingHoldOutCheckReportsHitRateAndNdcgOfAlsAndServingPopularity()
    {
        var log = GeneratedLog(seed: 3, events: 3_000, fromMs: Now - 30 * Day, toMs: Now);

        var metrics = TrainBundle(log, log.Build(Content(), threads: 1), evaluationUsers: 100).Info.Metrics;

        Assert.Equal(60, metrics["evaluatedUsers"]);   // everyone has ≥ 3 items
        foreach (string model in new[] { "als", "popularity" })
        {
            Assert.InRange(metrics[$"{model}.hitRate@20"], 0, 1);
            Assert.InRange(metrics[$"{model}.ndcg@20"], 0, metrics[$"{model}.hitRate@20"]);
        }
        Assert.True(metrics["popularity.hitRate@20"] > 0);   // 20 of 40 items, popular ones drawn more often
    }

    /// <summary>
    /// Views, carts and purchases (weights 1, 3, 5) and some refunds (negative) by 60 people on 40 items, popular ones more
    /// often, at random times in [fromMs, toMs) with one event at toMs.
    /// </summary>
    private static InteractionLog GeneratedLog(int seed, int events, long fromMs, long toMs)
    {
        var rng = new Random(seed);
        var log = new InteractionLog();
        for (int i = 0; i < 40; i++) log.AddItem($"i{i:00}");
        EventType[] types = [EventType.View, EventType.View, EventType.View, EventType.AddToCart, EventType.Purchase, EventType.Refund];
        for (int k = 0; k < events; k++)
        {
            var type = types[rng.Next(types.Length)];
            int item = (int)(40 * Math.Pow(rng.NextDouble(), 2));
            long time = k == 0 ? toMs : fromMs + rng.NextInt64(toMs - fromMs);
            log.Add($"p{rng.Next(60)}", $"i{item:00}", EventTypes.DefaultWeight((int)type), time, (int)type);
        }
        return log;
    }

    /// <summary>Every bundle has a content model: each item gets a category.</summary>
    private static ItemContent Content() =>
        new(new string?[40], [.. Enumerable.Range(0, 40).Select(i => new[] { $"cat:c{i % 4}" })]);

    private static ModelBundle TrainBundle(InteractionLog log, TrainingData data, int evaluationUsers = 0)
    {
        var snapshot = new StoreSnapshot
        {
            Data = data,
            Log = log,
            Watermark = data.Events!.Count,
            ReadAtMs = Now,
            Purchases = new SparseRows(new int[data.Users + 1], []),
            OpenCarts = new SparseRows(new int[data.Users + 1], []),
            Impressions = ImpressionTable.Build(data.Users, [], []),
            ContextPopularity = [],
        };
        var options = new ServingModelOptions
        {
            PopularityHalfLifeDays = HalfLife, TrendShortDays = ShortDays, TrendLongDays = LongDays,
            Als = "factors=8 iterations=2", EvaluationUsers = evaluationUsers,
        };
        return new BundleTrainer(options).Train(snapshot, "v1", "test", TestContext.Current.CancellationToken);
    }

    private static float[] Scores(IRecommender model)
    {
        var scores = new float[model.Items];
        model.Score(-1, [], scores);
        return scores;
    }
}
