using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// The change feed's lag between two nodes on one PostgreSQL (issue 16): two `attune serve --store URL` processes on one
/// fresh schema; an item written to node A, timed from A's 200 until a search on node B finds it by its words (B's live state
/// applied the change). <c>--postgres URL</c> is required; <c>--trials N</c> (default 50); <c>--load N</c> (default 0): N
/// connections post batches of 1,000 events to node A during the trials (the lag under ingestion; B applies them too).
/// </summary>
internal static class FeedLagBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        if (o.Get("postgres") is null) throw new ArgumentException("--postgres URL is required (a PostgreSQL both nodes share)");
        int trials = o.Int("trials", 50);
        var store = ServerProcess.StoreArgs(o); // one fresh schema for both nodes
        await using var a = await ServerProcess.StartAsync(store);
        await using var b = await ServerProcess.StartAsync(store);
        using var writer = new HttpClient { BaseAddress = a.BaseAddress };
        using var reader = new HttpClient { BaseAddress = b.BaseAddress };
        int load = o.Int("load", 0);
        using var stopLoad = new CancellationTokenSource();
        long loaded = 0;
        var loadClock = Stopwatch.StartNew();
        var loaders = Enumerable.Range(0, load).Select(w => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = a.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            for (int n = 0; !stopLoad.IsCancellationRequested; n++)
            {
                var batch = System.Text.Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, 1000).Select(i =>
                    $"{{\"type\":\"view\",\"userId\":\"u{(w * 7919 + n * 1000 + i) % 50_000}\",\"itemId\":\"i{(i * 31 + n) % 20_000}\"}}")) + "]");
                var content = new ByteArrayContent(batch);
                content.Headers.ContentType = new("application/json");
                try
                {
                    using var r = await http.PostAsync("/v1/events", content, stopLoad.Token);
                    if (r.IsSuccessStatusCode) Interlocked.Add(ref loaded, 1000);
                }
                catch (OperationCanceledException) { return; }
            }
        })).ToArray();
        var times = new List<double>(trials);
        for (int t = 0; t < trials + 5; t++)
        {
            string word = $"qorvex{t}k{Environment.TickCount64 % 100_000}";
            var body = JsonContent.Create(new[] { new { id = $"lag-{word}", title = $"Lag {word} lamp", categories = new[] { "home/lighting" }, price = 30 } });
            (await writer.PostAsync("/v1/items", body)).EnsureSuccessStatusCode();
            long start = Stopwatch.GetTimestamp();
            while (true)
            {
                var answer = await reader.GetFromJsonAsync<JsonElement>($"/v1/search?q={word}&anonymousId=lag&count=1");
                if (answer.GetProperty("items").GetArrayLength() > 0) break;
                if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(30)) throw new TimeoutException("node B did not see the item within 30 s");
                await Task.Delay(2);
            }
            if (t >= 5) times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds); // the first five warm both nodes up
            await Task.Delay(100);
        }
        stopLoad.Cancel();
        await Task.WhenAll(loaders);
        double loadRate = Interlocked.Read(ref loaded) / loadClock.Elapsed.TotalSeconds;
        times.Sort();
        double P(double q) => times[Math.Min(times.Count - 1, (int)(q * times.Count))];
        Console.WriteLine($"feedlag: an item written to node A is found by a search on node B after {P(0.5):F0} ms (median of {trials}), " +
            $"p99 {P(0.99):F0} ms, max {times[^1]:F0} ms" + (load > 0 ? $"; while node A ingested {loadRate:N0} events/s ({load} connections)" : ""));
        return 0;
    }
}
