using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Tests.EndToEnd;
using Attune.Tests.Server;

namespace Attune.Tests.Storage.Postgres;

/// <summary>The database lost while a node serves: answers continue from memory, writes are refused with 503 and
/// <c>Retry-After</c> (never acknowledged and lost), and writes succeed again once it is back.</summary>
public sealed class PostgresOutageTests
{
    [Fact]
    public async Task WritesAreRefusedWhileTheDatabaseIsAwayAndAnswersContinue()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var db = await TempPostgres.StartAsync(ct, durable: true);
        using var dir = TestPaths.NewTempDirectory();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:Store:Postgres"] = $"postgres://postgres@127.0.0.1:{db.Port}/postgres",
        }, dir.Path);
        await server.WaitReadyAsync();
        var client = server.Client;
        (await client.PostAsJsonAsync("/v1/items", Enumerable.Range(1, 20).Select(i => new { id = $"i{i}", title = $"Item {i}" }), ct)).EnsureSuccessStatusCode();
        long acknowledged = 0;
        async Task<HttpResponseMessage> SendAsync(int n)
        {
            var response = await client.PostAsJsonAsync("/v1/events", Enumerable.Range(0, 5).Select(i => new { type = "view", userId = $"u{n % 7}", itemId = $"i{(n + i) % 20 + 1}" }), ct);
            if (response.IsSuccessStatusCode) acknowledged += 5;
            return response;
        }
        for (int n = 0; n < 10; n++) (await SendAsync(n)).EnsureSuccessStatusCode();

        await db.StopAsync();
        var refused = await SendAsync(100);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.True(refused.Headers.RetryAfter is not null, "Retry-After is missing");
        // Answers come from memory.
        var answer = await client.GetAsync("/v1/recommendations?userId=u1&count=5", ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        await db.StartAgainAsync();
        HttpResponseMessage? again = null;
        for (int attempt = 0; attempt < 50 && again?.IsSuccessStatusCode != true; attempt++)
        {
            again = await SendAsync(200 + attempt);
            if (!again.IsSuccessStatusCode)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
                await Task.Delay(200, ct);
            }
        }
        Assert.True(again!.IsSuccessStatusCode);
        // Every acknowledged event is stored; none of the refused ones is.
        var stats = await client.GetFromJsonAsync<JsonElement>("/v1/stats", ct);
        Assert.Equal(acknowledged, stats.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task ANodeStartedBeforeItsDatabaseListensNotReadyAndStartsOnceTheDatabaseIsUp()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        var ct = TestContext.Current.CancellationToken;
        int dbPort = AttuneProcess.FreePort();
        string url = $"postgres://postgres@127.0.0.1:{dbPort}/postgres";
        using var dir = TestPaths.NewTempDirectory();
        await using var node = AttuneProcess.Serving(dir.Path, null, "--store", url);

        // Nothing listens on the database's port: the node listens anyway, alive but not ready, and says why.
        HttpResponseMessage? ready = null;
        for (int i = 0; i < 600 && ready is null; i++)
        {
            Assert.True(node.ExitCode is null, $"attune exited with {node.ExitCode}: {node.Output}");
            try { ready = await node.Client.GetAsync("/ready", ct); }
            catch (HttpRequestException) { await Task.Delay(100, ct); }
        }
        Assert.NotNull(ready);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        string status = (await ready.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString()!;
        Assert.Contains($"waiting for PostgreSQL at 127.0.0.1:{dbPort}/postgres", status);
        Assert.Equal(HttpStatusCode.OK, (await node.Client.GetAsync("/health", ct)).StatusCode);
        var write = await node.Client.PostAsJsonAsync("/v1/events", new[] { new { type = "view", userId = "u1", itemId = "i1" } }, ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        Assert.Equal("application/problem+json", write.Content.Headers.ContentType?.MediaType);
        Assert.True(write.Headers.RetryAfter is not null, "Retry-After is missing");
        Assert.Contains("is not reachable", node.Output);

        // The database comes up on that port: the node opens its store, binds its real application and becomes ready.
        await using var db = await TempPostgres.StartAsync(ct, port: dbPort);
        bool isReady = false;
        for (int i = 0; i < 1200 && !isReady; i++)
        {
            Assert.True(node.ExitCode is null, $"attune exited with {node.ExitCode}: {node.Output}");
            try { isReady = (await node.Client.GetAsync("/ready", ct)).IsSuccessStatusCode; }
            catch (HttpRequestException) { }
            if (!isReady) await Task.Delay(100, ct);
        }
        Assert.True(isReady, node.Output);
        (await node.Client.PostAsJsonAsync("/v1/events", new[] { new { type = "view", userId = "u1", itemId = "i1" } }, ct)).EnsureSuccessStatusCode();
        var stats = await node.Client.GetFromJsonAsync<JsonElement>("/v1/stats", ct);
        Assert.Equal(1, stats.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task ANodeWhoseDatabaseStaysUnreachableGivesUpWithOneLine()
    {
        var ct = TestContext.Current.CancellationToken;
        int dbPort = AttuneProcess.FreePort();
        using var dir = TestPaths.NewTempDirectory();
        await using var node = AttuneProcess.Serving(dir.Path, new Dictionary<string, string> { ["ATTUNE__STORE__CONNECTTIMEOUTSECONDS"] = "3" },
            "--store", $"postgres://postgres@127.0.0.1:{dbPort}/postgres");
        for (int i = 0; i < 600 && node.ExitCode is null; i++) await Task.Delay(100, ct);
        Assert.Equal(2, node.ExitCode);
        Assert.Contains($"attune: Attune:Store:Postgres: PostgreSQL at 127.0.0.1:{dbPort}/postgres could not be reached for 3 s", node.Output);
        Assert.DoesNotContain("   at ", node.Output); // no stack trace
    }
}
