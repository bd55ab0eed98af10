using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// The change feed's lag between two nodes on one PostgreSQL (issue 16): two `attune serve --store URL` processes on one
/// fresh schema; an item written to node A, timed from A's 200 until a search on node B finds it by its words (B's live state
/// applied the change). <c>--postgres URL</c> is required; <c>--trials N</c> (default 50).
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
        times.Sort();
        double P(double q) => times[Math.Min(times.Count - 1, (int)(q * times.Count))];
        Console.WriteLine($"feedlag: an item written to node A is found by a search on node B after {P(0.5):F0} ms (median of {trials}), " +
            $"p99 {P(0.99):F0} ms, max {times[^1]:F0} ms");
        return 0;
    }
}
