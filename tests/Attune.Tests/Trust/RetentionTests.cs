using System.Net.Http.Json;
using Attune.Serving;
using Attune.Storage;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Trust;

/// <summary>Retention through the real server: per event type, events past their limit are purged; others stay.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Attune:Serving:RetentionDays:view"] = "30",
        ["Attune:Serving:RetentionIntervalMinutes"] = "600", // the test runs its own pass
    }, _dir.Path);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ViewsOlderThanTheirLimitArePurgedAndPurchasesStay()
    {
        var now = DateTimeOffset.UtcNow;
        var events = new List<object>();
        for (int d = 0; d < 60; d += 5)
        {
            events.Add(new { type = "view", userId = "u1", itemId = "a", timestamp = now.AddDays(-d) });
            events.Add(new { type = "purchase", userId = "u1", itemId = "a", value = 3, timestamp = now.AddDays(-d) });
        }
        await HttpAssert.Ok(await _server.Client.PostAsJsonAsync("/v1/events", events));
        var engine = _server.Services.GetRequiredService<ServingEngine>();
        var store = _server.Services.GetRequiredService<IAttuneStore>();

        long purged = await engine.PurgeExpiredEventsAsync(TestContext.Current.CancellationToken);

        Assert.Equal(6, purged); // days 30, 35, … 55
        var stats = await store.GetStatsAsync(TestContext.Current.CancellationToken);
        Assert.Equal(6, stats.EventsByType["view"]);
        Assert.Equal(12, stats.EventsByType["purchase"]);
        Assert.Equal(6, engine.PurgedEvents);
        Assert.Equal(0, await engine.PurgeExpiredEventsAsync(TestContext.Current.CancellationToken)); // nothing left to purge
    }
}
