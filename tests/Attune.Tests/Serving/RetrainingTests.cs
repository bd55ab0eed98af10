using Attune.Demo;
using Attune.Model;
using Attune.Serving;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Serving;

/// <summary>Background retraining: enough new events make a new version, swapped in while the old one keeps answering.</summary>
public sealed class RetrainingTests
{
    [Fact]
    public async Task NewEventsOverTheThresholdTrainAndActivateANewVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 300, Items = 200, Days = 10, Seed = 9, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        await using var engine = new ServingEngine(store,
            new ServingOptions { RetrainAfterEvents = 50, RetrainIntervalMinutes = 0, LogRecommendations = false }, dir.Path);
        await engine.StartAsync(ct);
        Assert.Equal("v1", engine.ActiveVersion);

        var events = Enumerable.Range(0, 60).Select(k => new Event
        {
            Type = "view", UserId = "u00001", ItemId = shop.Items[k % shop.Items.Count].Id, Timestamp = DateTimeOffset.UtcNow,
        }).ToList();
        await store.AppendEventsAsync(events, ct);
        await engine.CatchUpAsync(ct);

        // The loop checks every five seconds; training this shop takes well under one.
        for (int k = 0; k < 200 && engine.ActiveVersion == "v1"; k++)
        {
            Assert.NotEmpty(engine.Recommend(new RecommendationRequest { UserId = "u00002", Scenario = "for-you", Count = 5 }).Items);
            await Task.Delay(100, ct);
        }
        Assert.Equal("v2", engine.ActiveVersion);
        Assert.Equal("new-events", engine.Versions.First(v => v.Version == "v2").Reason);
        Assert.Equal(2, engine.Versions.Count);
    }
}
