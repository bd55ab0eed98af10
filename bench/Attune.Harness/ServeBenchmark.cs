using System.Diagnostics;
using System.Net;

namespace Attune.Harness;

/// <summary>
/// Serving latency and throughput against `attune serve --demo` (the full demo shop, models trained at start), closed-loop
/// from this process over loopback: first <c>/health</c> (the same server's ceiling on this machine), then <c>for-you</c> with a
/// filter, then <c>similar</c>. Prints requests/s, p50/p99/p999, and for-you's throughput as a share of /health's.
/// </summary>
internal static class ServeBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int seconds = o.Int("seconds", 15), concurrency = o.Int("concurrency", 16);
        await using var server = await ServerProcess.StartAsync("--demo");
        return await LoadAsync(server.BaseAddress, seconds, concurrency, 20_000, 5_000) > 0 ? 1 : 0;
    }

    /// <summary>The three loads against a running server; returns the number of failed requests.</summary>
    public static async Task<int> LoadAsync(Uri address, int seconds, int concurrency, int users, int items)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        string filter = Uri.EscapeDataString("inStock and price <= context.budget");
        // Demo ids: u00001…, i00001… (at least five digits).
        string ForYou(int n) => $"/v1/recommendations?userId=u{n % users + 1:D5}&scenario=for-you&count=20&filter={filter}&context.budget=150";
        string Similar(int n) => $"/v1/recommendations?anonymousId=a{n % 5000}&scenario=similar&itemId=i{n % items + 1:D5}&count=20";

        var health = await Run(http, _ => "/health", seconds, concurrency);
        var forYou = await Run(http, ForYou, seconds, concurrency);
        var similar = await Run(http, Similar, seconds, concurrency);
        Print("/health", health);
        Print("for-you count=20 + filter", forYou);
        Print("similar count=20", similar);
        Console.WriteLine($"serve: for-you throughput = {forYou.Rate / health.Rate:P0} of /health throughput in the same run ({concurrency} connections, {seconds} s each)");
        return forYou.Failures + similar.Failures + health.Failures;
    }

    private sealed record Result(double Rate, List<double> Sorted, int Failures);

    private static void Print(string name, Result r) =>
        Console.WriteLine($"serve: {name}: {r.Rate:N0} req/s, p50 {P(r.Sorted, 0.5):F2} ms, p99 {P(r.Sorted, 0.99):F2} ms, p99.9 {P(r.Sorted, 0.999):F2} ms, {r.Failures} failed");

    private static async Task<Result> Run(HttpClient http, Func<int, string> url, int seconds, int concurrency)
    {
        for (int i = 0; i < 200; i++) await Send(http, url(i)); // warm-up: JIT, connections, scratch buffers
        var latencies = new List<double>[concurrency];
        long requests = 0;
        int failures = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(200_000);
            for (int n = w * 7919; clock.Elapsed < end; n += concurrency)
            {
                long start = Stopwatch.GetTimestamp();
                var status = await Send(http, url(n));
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (status != HttpStatusCode.OK) Interlocked.Increment(ref failures);
                Interlocked.Increment(ref requests);
            }
        })));
        var elapsed = clock.Elapsed;
        var all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        return new Result(requests / elapsed.TotalSeconds, all, failures);
    }

    private static async Task<HttpStatusCode> Send(HttpClient http, string url)
    {
        using var r = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead);
        return r.StatusCode;
    }

    private static double P(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
