using System.Net.Http.Json;
using System.Text.Json;
using Attune.Tests.Storage.Postgres;

namespace Attune.Tests.EndToEnd;

/// <summary>
/// Several <c>attune serve</c> processes on one PostgreSQL (issue 16): whatever node a write reaches, every node's answers
/// follow it through the shared change feed, and no acknowledged event is lost.
/// </summary>
public sealed class MultiNodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Polls <paramref name="check"/> until it holds (the feed's wake-up or its poll), at most 10 s.</summary>
    private static async Task<TimeSpan> EventuallyAsync(Func<Task<bool>> check, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (await check()) return clock.Elapsed;
            await Task.Delay(25, Ct);
        }
        Assert.Fail($"{what}: not seen within 10 s");
        return clock.Elapsed;
    }

    [Fact]
    public async Task WritesToAnyNodeReachEveryNodesAnswers()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var db = await TempPostgres.StartAsync(Ct);
        string url = $"postgres://postgres@127.0.0.1:{db.Port}/postgres";
        using var dirA = TestPaths.NewTempDirectory();
        using var dirB = TestPaths.NewTempDirectory();
        await using var a = await AttuneProcess.ServeAsync(dirA.Path, "--store", url);
        await using var b = await AttuneProcess.ServeAsync(dirB.Path, "--store", url);

        // A catalog written to one node is searchable on the other.
        var items = Enumerable.Range(1, 30).Select(i => new { id = $"k{i}", title = i == 7 ? "Copper whistling kettle" : $"Plain item {i}", categories = new[] { "home/kitchen" }, price = 10 + i });
        (await a.Client.PostAsJsonAsync("/v1/items", items, Ct)).EnsureSuccessStatusCode();
        await EventuallyAsync(async () =>
        {
            var r = await b.Client.GetFromJsonAsync<JsonElement>("/v1/search?q=copper%20kettle&count=1", Ct);
            return r.GetProperty("items").GetArrayLength() == 1 && r.GetProperty("items")[0].GetProperty("id").GetString() == "k7";
        }, "an item written to A, searched on B");

        // Events sent round-robin; every acknowledged one is stored once.
        int sent = 0;
        for (int batch = 0; batch < 10; batch++)
        {
            var node = batch % 2 == 0 ? a : b;
            var events = Enumerable.Range(0, 20).Select(i => new { type = "view", userId = $"u{(batch * 20 + i) % 15}", itemId = $"k{i % 30 + 1}" }).ToArray();
            var response = await node.Client.PostAsJsonAsync("/v1/events", events, Ct);
            response.EnsureSuccessStatusCode();
            sent += events.Length;
        }
        foreach (var node in new[] { a, b })
        {
            var stats = await node.Client.GetFromJsonAsync<JsonElement>("/v1/stats", Ct);
            Assert.Equal(sent, stats.GetProperty("events").GetInt64());
        }

        // A rule made on one node applies on the other.
        var rule = await b.Client.PostAsJsonAsync("/v1/rules", new { id = "pin-k30", action = "pin", itemId = "k30", position = 1 }, Ct);
        rule.EnsureSuccessStatusCode();
        await EventuallyAsync(async () =>
        {
            var r = await a.Client.GetFromJsonAsync<JsonElement>("/v1/recommendations?userId=u1&count=5", Ct);
            return r.GetProperty("items").GetArrayLength() > 0 && r.GetProperty("items")[0].GetProperty("id").GetString() == "k30";
        }, "a pin made on B, answered by A");

        // An identity link made on one node is part of the profile the other serves.
        (await a.Client.PostAsJsonAsync("/v1/events", new[] { new { type = "view", anonymousId = "visitor-9", itemId = "k3" } }, Ct)).EnsureSuccessStatusCode();
        (await b.Client.PostAsJsonAsync("/v1/identify", new { anonymousId = "visitor-9", userId = "u2" }, Ct)).EnsureSuccessStatusCode();
        await EventuallyAsync(async () =>
        {
            var profile = await a.Client.GetFromJsonAsync<JsonElement>("/v1/users/u2/profile", Ct);
            return profile.GetProperty("anonymousIds").EnumerateArray().Any(x => x.GetString() == "visitor-9");
        }, "a link made on B, read on A");
    }
}
