using System.Text.RegularExpressions;
using System.Net;
using System.Net.Http.Json;
using Attune.Demo;
using Attune.Server.Security;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Server;

/// <summary>
/// Every engine's meter is named "Attune" (one engine per process in production), and OpenTelemetry listens by name: a
/// test server started or disposed in parallel would add its answers to this one's figures or, disposed, drop the shared
/// stream. These tests therefore run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary><c>/metrics</c>: Prometheus text of the engine's, ASP.NET Core's and the runtime's meters, behind the viewer scope.</summary>
[Collection(nameof(MetricsCollection))]
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789";
    private const string ViewerKey = "viewer-key-0123456789";
    private const string IngestKey = "ingest-key-0123456789";
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        await using (var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, FullSync = false }))
        {
            var shop = DemoShop.Generate(new DemoOptions { Users = 150, Items = 100, Days = 10, Seed = 2, End = DemoOptions.DefaultEnd(TimeProvider.System) });
            await DemoLoader.LoadAsync(store, shop);
        }
        _server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Key"] = AdminKey,
            ["Attune:ApiKeys:0:Scopes:0"] = "admin",
            ["Attune:ApiKeys:1:KeyHash"] = ApiKeyStore.HashHex(ViewerKey),
            ["Attune:ApiKeys:1:Scopes:0"] = "viewer",
            ["Attune:ApiKeys:2:Key"] = IngestKey,
            ["Attune:ApiKeys:2:Scopes:0"] = "ingest",
        }, _dir.Path);
        var admin = _server.ClientWithKey(AdminKey);
        for (int i = 0; i < 600 && !(await admin.GetAsync("/ready")).IsSuccessStatusCode; i++) await Task.Delay(50);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ScrapedMetricsNameScenariosRoutesEventsAndTheModelsQuality()
    {
        var admin = _server.ClientWithKey(AdminKey);
        async Task AnswerAsync()
        {
            for (int i = 0; i < 3; i++) await HttpAssert.Ok(await admin.PostAsJsonAsync("/v1/recommendations", new { userId = "u00001", count = 3 }));
            await HttpAssert.Ok(await admin.GetAsync("/v1/recommendations?scenario=trending&count=3"));
        }
        await AnswerAsync();
        await HttpAssert.Ok(await admin.PostAsJsonAsync("/v1/events", new[] { new { type = "view", userId = "u00002", itemId = "i00001" } }));

        // The exporter caches a scrape briefly and histograms are collected after the answer is written: the
        // engine's answers must show within a few seconds of scrapes (the first scrape may predate them). Every engine's meter
        // is named Attune, so another test server disposed in this process meanwhile ends the shared histogram stream: the
        // answers are then sent again (three for-you each time, so the count stays a multiple of three).
        string text = "";
        static bool Complete(string t) =>
            Regex.Match(t, "attune_recommendation_duration_milliseconds_count\\{[^}]*scenario=\"for-you\"[^}]*\\} (\\d+)") is { Success: true } m
            && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) % 3 == 0
            && Regex.IsMatch(t, "attune_recommendation_duration_milliseconds_count\\{[^}]*scenario=\"trending\"")
            && t.Contains("attune_events_applied_total{", StringComparison.Ordinal)
            && t.Contains("http_route=\"/v1/recommendations\"", StringComparison.Ordinal);
        for (int i = 0; i < 100 && !Complete(text); i++)
        {
            var response = await _server.ClientWithKey(ViewerKey).GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
            text = await response.Content.ReadAsStringAsync();
            if (i % 20 == 19 && !text.Contains("attune_recommendation_duration_milliseconds_count{", StringComparison.Ordinal)) await AnswerAsync();
            await Task.Delay(100);
        }
        Assert.Contains("attune_recommendation_duration_milliseconds_count{", text);
        Assert.True(Complete(text), "the for-you count is not a multiple of the three answers sent each time");
        Assert.Contains("scenario=\"trending\"", text);
        Assert.Contains("attune_events_applied_total{", text);
        Assert.Contains("type=\"view\"", text);
        Assert.Matches("attune_model_quality\\{[^}]*metric=\"[^\"]+\"", text);
        Assert.Contains("attune_feed_lag", text);
        Assert.Contains("attune_training_duration_seconds_count{", text); // the first model trained at start
        Assert.Contains("http_server_request_duration_seconds_count{", text);
        Assert.Contains("http_route=\"/v1/recommendations\"", text);
    }

    [Fact]
    public async Task MetricsNeedTheViewerScope()
    {
        await HttpAssert.Problem(await _server.Client.GetAsync("/metrics"), HttpStatusCode.Unauthorized);
        await HttpAssert.Problem(await _server.ClientWithKey(IngestKey).GetAsync("/metrics"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await _server.ClientWithKey(AdminKey).GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.ClientWithKey(ViewerKey).GetAsync("/metrics")).StatusCode);
        // A viewer reads figures, not data.
        await HttpAssert.Problem(await _server.ClientWithKey(ViewerKey).GetAsync("/v1/items"), HttpStatusCode.Forbidden);
    }
}
