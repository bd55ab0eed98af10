using Attune.Demo;
using Attune.Experiments.Definitions;
using Attune.Model;
using Attune.Serving;
using Attune.Storage;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Experiments;

/// <summary>
/// CUPED's pre-periods through the engine: people first exposed in a burst are read from the store in batches in the
/// background, and each person's pre-exposure values equal what their own events of the pre-period give.
/// </summary>
public sealed class PrePeriodTests
{
    [Fact]
    public async Task ABurstOfFirstExposuresGetsEachPersonsOwnPrePeriodValues()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 300, Items = 120, Days = 30, Seed = 21, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        await using var engine = new ServingEngine(store, new ServingOptions { RetrainIntervalMinutes = 0, RetrainAfterEvents = 0 }, dir.Path);
        await engine.StartAsync(ct);
        var variants = new List<ExperimentVariant> { new("control", "default", 0.5), new("treatment", "default", 0.5) };
        await engine.Experiments.CreateAsync(new Experiment
        {
            Id = "cuped", Variants = variants, Scenarios = ["for-you"],
            Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue], []),
            Analysis = new ExperimentAnalysis { PrePeriodDays = 7 },
        }, ct);
        await engine.Experiments.StartAsync("cuped", ct);

        var exposedAt = new Dictionary<string, long>();
        foreach (var user in shop.Users.Take(250))
        {
            long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            engine.Recommend(new RecommendationRequest { UserId = user.Id, Scenario = "for-you", Count = 3 });
            exposedAt[user.Id] = before;
        }

        // The background reader takes at most a tenth of a core: wait until every exposed person's pre-period is in.
        var sums = engine.Tracker.Sums("cuped")!;
        int revenue = sums.Metrics.ToList().FindIndex(m => m.Id == Metrics.Revenue);
        for (int i = 0; i < 600 && sums.Phases[0].Values.Any(v => v.Metrics[revenue].PrePeople < v.People); i++)
        {
            await Task.Delay(50, ct);
            sums = engine.Tracker.Sums("cuped")!;
        }
        Assert.Equal(250, sums.Phases[0].Values.Sum(v => v.People));
        Assert.All(sums.Phases[0].Values, v => Assert.Equal(v.People, v.Metrics[revenue].PrePeople));

        // Each person's own pre-period, read one by one from the store, sums to what the batched reads gave.
        double expected = 0;
        int buyers = 0;
        foreach (var (user, at) in exposedAt)
        {
            double spent = 0;
            await foreach (var e in store.ReadProfileEventsAsync(user, false, at - 7 * 86_400_000L, at + 5_000, [(int)EventType.Purchase], ct))
                if (e.TimestampMs < at) spent += e.Value ?? 0;
            expected += spent;
            if (spent > 0) buyers++;
        }
        Assert.True(buyers > 10, $"only {buyers} buyers in the pre-period: the test would show little");
        Assert.Equal(expected, sums.Phases[0].Values.Sum(v => v.Metrics[revenue].PreSum), 6);
    }
}
