using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
}
