using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Tests.Storage.Postgres;

namespace Attune.Tests.EndToEnd;

/// <summary>
/// The multi-node end-to-end of issue 16's Must show: three <c>attune serve</c> processes on one PostgreSQL. Events, an
/// identification, a rule and a recipe are sent round-robin and every node's answers reflect each within 1 s; the trainer
/// is killed with <c>kill -9</c> during a training and another node finishes one within 60 s; a serving node is killed
/// under load while a client that retries on another node sees no failed request; every acknowledged event is stored.
/// </summary>
public sealed class ThreeNodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>How long a change may take to reach every node's answers (the goal).</summary>
    private static readonly TimeSpan Reach = TimeSpan.FromSeconds(1);

    private static Dictionary<string, string> Settings(string name) => new()
    {
        ["ATTUNE__SERVING__NODENAME"] = name,
        ["ATTUNE__SERVING__TRAINERELECTIONSECONDS"] = "2",
        // A training long enough (seconds, on this small shop) to be killed in the middle of.
        ["ATTUNE__SERVING__MODELS__ALS"] = "factors=128 iterations=60",
    };

    /// <summary>How long every node may take to serve a new model version once it is published (copied, then loaded).</summary>
    private static readonly TimeSpan VersionSwitch = TimeSpan.FromSeconds(10);

    /// <summary>Polls every node until <paramref name="check"/> holds on all of them; fails past <paramref name="within"/> (default <see cref="Reach"/>).</summary>
    private static async Task ReachesAllAsync(IReadOnlyList<AttuneProcess> nodes, Func<AttuneProcess, Task<bool>> check, string what,
        TimeSpan? within = null)
    {
        var reach = within ?? Reach;
        var clock = Stopwatch.StartNew();
        var pending = new List<AttuneProcess>(nodes);
        while (pending.Count > 0)
        {
            for (int i = pending.Count - 1; i >= 0; i--)
                if (await check(pending[i])) pending.RemoveAt(i);
            if (pending.Count == 0) break;
            Assert.True(clock.Elapsed < reach, $"{what}: not in every node's answers within {reach.TotalSeconds} s");
            await Task.Delay(10, Ct);
        }
    }

    private static async Task<JsonElement> GetAsync(AttuneProcess node, string path) =>
        await node.Client.GetFromJsonAsync<JsonElement>(path, Ct);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task ThreeNodesFollowEveryChangeSurviveTheTrainersDeathAndAServingNodesDeathUnderLoad()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var db = await TempPostgres.StartAsync(Ct);
        string url = $"postgres://postgres@127.0.0.1:{db.Port}/postgres";
        using var dirA = TestPaths.NewTempDirectory();
        using var dirB = TestPaths.NewTempDirectory();
        using var dirC = TestPaths.NewTempDirectory();
        var a = await AttuneProcess.ServeAsync(dirA.Path, Settings("node-a"), "--store", url);
        var b = await AttuneProcess.ServeAsync(dirB.Path, Settings("node-b"), "--store", url);
        var c = await AttuneProcess.ServeAsync(dirC.Path, Settings("node-c"), "--store", url);
        var all = new[] { a, b, c };
        AttuneProcess? d = null;
        try
        {
            Assert.True((await GetAsync(a, "/v1/models")).GetProperty("trainer").GetBoolean());

            // A shop: 120 items in 6 categories, 400 people with a few dozen views and carts each, sent round-robin.
            var items = Enumerable.Range(1, 120).Select(i => new { id = $"p{i}", title = $"Product {i}", categories = new[] { $"c{i % 6}" }, price = 5 + i });
            (await b.Client.PostAsJsonAsync("/v1/items", items, Ct)).EnsureSuccessStatusCode();
            long acknowledged = 0;
            var random = new Random(16);
            for (int batch = 0; batch < 24; batch++)
            {
                var events = new List<object>(1000);
                for (int i = 0; i < 1000; i++)
                {
                    int person = random.Next(400);
                    int item = (person % 6) + 6 * random.Next(20) + 1; // each person keeps to one category
                    events.Add(new { type = random.Next(10) == 0 ? "add_to_cart" : "view", userId = $"u{person}", itemId = $"p{item}" });
                }
                (await all[batch % 3].Client.PostAsJsonAsync("/v1/events", events, Ct)).EnsureSuccessStatusCode();
                acknowledged += events.Count;
            }

            // Each change, made on the next node in turn, is in every node's answers within 1 s.
            (await a.Client.PostAsJsonAsync("/v1/events", new[] { new { type = "add_to_cart", userId = "fresh-1", itemId = "p77" } }, Ct)).EnsureSuccessStatusCode();
            acknowledged++;
            await ReachesAllAsync(all, async n =>
                (await GetAsync(n, "/v1/recommendations?userId=fresh-1&scenario=cart-recovery&count=3")).GetProperty("items")
                    .EnumerateArray().Any(x => x.GetProperty("id").GetString() == "p77"), "a cart event posted to A");

            (await b.Client.PostAsJsonAsync("/v1/events", new[] { new { type = "add_to_cart", anonymousId = "visitor-1", itemId = "p41" } }, Ct)).EnsureSuccessStatusCode();
            acknowledged++;
            (await c.Client.PostAsJsonAsync("/v1/identify", new { anonymousId = "visitor-1", userId = "fresh-2" }, Ct)).EnsureSuccessStatusCode();
            await ReachesAllAsync(all, async n =>
                (await GetAsync(n, "/v1/recommendations?userId=fresh-2&scenario=cart-recovery&count=3")).GetProperty("items")
                    .EnumerateArray().Any(x => x.GetProperty("id").GetString() == "p41"), "an identification sent to C (of a visitor seen by B)");

            (await a.Client.PostAsJsonAsync("/v1/rules", new { id = "pin-p1", action = "pin", itemId = "p1", position = 1 }, Ct)).EnsureSuccessStatusCode();
            await ReachesAllAsync(all, async n =>
                (await GetAsync(n, "/v1/recommendations?userId=u5&count=5")).GetProperty("items")[0].GetProperty("id").GetString() == "p1",
                "a pin made on A");

            (await b.Client.PutAsync("/v1/recipes/pop-only", Json("""{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}"""), Ct)).EnsureSuccessStatusCode();
            await ReachesAllAsync(all, async n =>
                (await n.Client.GetAsync("/v1/recommendations?userId=u5&count=5&recipe=pop-only", Ct)).StatusCode == HttpStatusCode.OK,
                "a recipe stored through B");

            // The trainer is killed in the middle of a training; another node is elected and finishes one within 60 s.
            string before = (await GetAsync(b, "/v1/models")).GetProperty("active").GetString()!;
            (await b.Client.PostAsync("/v1/models/train", null, Ct)).EnsureSuccessStatusCode(); // asked of B, run by A
            var training = Stopwatch.StartNew();
            while (!((await GetAsync(a, "/v1/models")).TryGetProperty("training", out var status) && status.GetString() == "training"))
            {
                Assert.True(training.Elapsed < TimeSpan.FromSeconds(30), "the trainer did not start training");
                await Task.Delay(20, Ct);
            }
            a.KillHard();
            var killed = Stopwatch.StartNew();
            var survivors = new[] { b, c };
            JsonElement? takeover = null;
            while (takeover is null)
            {
                Assert.True(killed.Elapsed < TimeSpan.FromSeconds(60), "no node finished a training within 60 s of the trainer's death");
                await Task.Delay(200, Ct);
                foreach (var node in survivors)
                {
                    var models = await GetAsync(node, "/v1/models");
                    if (models.GetProperty("active").GetString() is { } active && active != before)
                        takeover = models.GetProperty("versions").EnumerateArray().First(v => v.GetProperty("version").GetString() == active);
                }
            }
            Assert.Equal("takeover", takeover.Value.GetProperty("reason").GetString());
            Assert.Contains(takeover.Value.GetProperty("node").GetString(), new[] { "node-b", "node-c" });
            Assert.Equal(acknowledged, takeover.Value.GetProperty("events").GetInt64());
            await ReachesAllAsync(survivors, async n => (await GetAsync(n, "/v1/models")).GetProperty("active").GetString()
                == takeover.Value.GetProperty("version").GetString(), "the new trainer's version", within: VersionSwitch);

            // A third node joins again (the role stays with the elected one); then a serving node dies under load.
            d = await AttuneProcess.ServeAsync(dirA.Path, Settings("node-d"), "--store", url);
            all = [d, b, c];
            string trainer = (await GetAsync(b, "/v1/models")).GetProperty("trainer").GetBoolean() ? "node-b" : "node-c";
            var victim = trainer == "node-b" ? c : b;
            using var load = new CancellationTokenSource();
            int failed = 0, answered = 0, retried = 0;
            var client = Task.Run(async () =>
            {
                int next = 0, n = 0;
                while (!load.IsCancellationRequested)
                {
                    n++;
                    bool write = n % 4 == 0;
                    var events = new[] { new { type = "view", userId = $"load-{n}", itemId = $"p{n % 120 + 1}" } };
                    bool done = false;
                    for (int attempt = 0; attempt < all.Length && !done; attempt++)
                    {
                        var node = all[next++ % all.Length];
                        try
                        {
                            // A write is sent again under its idempotency key: stored once even when the failure came after
                            // the node stored it.
                            using var request = write
                                ? new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(events), Headers = { { "Idempotency-Key", $"load-{n}" } } }
                                : new HttpRequestMessage(HttpMethod.Get, $"/v1/recommendations?userId=u{n % 400}&count=10");
                            using var response = await node.Client.SendAsync(request, CancellationToken.None);
                            if (response.IsSuccessStatusCode) done = true;
                        }
                        catch (HttpRequestException) { }
                        if (!done) Interlocked.Increment(ref retried);
                    }
                    if (!done) Interlocked.Increment(ref failed);
                    else
                    {
                        Interlocked.Increment(ref answered);
                        if (write) Interlocked.Increment(ref acknowledged);
                    }
                }
            });
            await Task.Delay(1500, Ct);
            victim.KillHard();
            await Task.Delay(2500, Ct);
            load.Cancel();
            await client;
            Assert.Equal(0, failed);
            Assert.True(answered > 100, $"only {answered} requests answered under load");

            // Every acknowledged event is stored, once (retries carried the batch's idempotency key).
            var survivor = victim == b ? c : b;
            await ReachesAllAsync([survivor, d], async n => (await GetAsync(n, "/v1/stats")).GetProperty("events").GetInt64() == acknowledged,
                $"{acknowledged} acknowledged events counted");
        }
        finally
        {
            foreach (var node in new[] { a, b, c }) await node.DisposeAsync();
            if (d is not null) await d.DisposeAsync(); // also when an assertion failed: no node outlives the test
        }
    }
}
