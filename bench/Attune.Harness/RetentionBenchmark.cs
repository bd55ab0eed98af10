using System.Diagnostics;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// Serving while retention purges: `attune serve --demo` with views kept one day (the demo's views span weeks, so most are
/// purged right after start), for-you under load while the purge runs, then again once it is done; the events purged and
/// how long the purge took.
/// </summary>
internal static class RetentionBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int seconds = o.Int("seconds", 20), concurrency = o.Int("concurrency", 16);
        Environment.SetEnvironmentVariable("Attune__Serving__RetentionDays__view", o.Get("days") ?? "1");
        await using var server = await ServerProcess.StartAsync("--demo");
        var started = Stopwatch.StartNew();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        long before = await ViewsAsync(http);
        Console.WriteLine($"retention: {before:N0} views stored when the server is ready; the purge starts now");
        // A short unmeasured load first: the first seconds after start are slow anyway (tiered JIT), purge or not.
        await ServeBenchmark.ForYouAsync(server.BaseAddress, 4, concurrency, "retention: (warm-up, not compared) ");
        Console.WriteLine("retention: for-you while the purge runs");
        int failed = await ServeBenchmark.ForYouAsync(server.BaseAddress, seconds, concurrency, "retention:   ");
        long during = await ViewsAsync(http);
        Console.WriteLine($"retention: {before - during:N0} views purged during the load ({started.Elapsed.TotalSeconds:F0} s since ready)");
        long last = during;
        while (true)
        {
            await Task.Delay(2_000);
            long now = await ViewsAsync(http);
            if (now == last) break;
            last = now;
        }
        Console.WriteLine($"retention: purge done: {before - last:N0} views purged, {last:N0} left, about {started.Elapsed.TotalSeconds - 2:F0} s after ready");
        Console.WriteLine("retention: for-you after the purge");
        failed += await ServeBenchmark.ForYouAsync(server.BaseAddress, seconds, concurrency, "retention:   ");
        return failed > 0 ? 1 : 0;
    }

    private static async Task<long> ViewsAsync(HttpClient http)
    {
        var stats = JsonDocument.Parse(await http.GetStringAsync("/v1/stats")).RootElement;
        return stats.GetProperty("eventsByType").TryGetProperty("view", out var v) ? v.GetInt64() : 0;
    }
}
