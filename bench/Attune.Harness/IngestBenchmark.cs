using System.Net;
using System.Text;

namespace Attune.Harness;

/// <summary>HTTP ingestion over loopback against a separate `attune serve` process (durable: full sync, group commit).</summary>
internal static class IngestBenchmark
{
    public static async Task<int> RunBatchesAsync(HarnessOptions o)
    {
        int seconds = o.Int("seconds", 20), batch = o.Int("batch", 1000), concurrency = o.Int("concurrency", 4);
        await using var server = await ServerProcess.StartAsync(ServerProcess.StoreArgs(o));
        var bodies = Enumerable.Range(0, 64).Select(b => Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, batch).Select(i =>
            "{\"type\":\"" + (i % 10 == 0 ? "add_to_cart" : "view") + "\",\"userId\":\"u" + (b * batch + i) % 50_000
            + "\",\"itemId\":\"i" + (i * 7919 + b) % 20_000 + "\",\"sessionId\":\"s" + b
            + "\",\"channel\":\"web\",\"context\":{\"device\":\"mobile\"}}")) + "]")).ToArray();
        var (requests, latencies, elapsed) = await RunAsync(server.BaseAddress, concurrency, seconds, n => bodies[n % bodies.Length]);
        double eventsPerSecond = requests * (double)batch / elapsed.TotalSeconds;
        Console.WriteLine($"ingest: batch {batch}, concurrency {concurrency}, {seconds} s: {eventsPerSecond:N0} events/s " +
            $"({requests / elapsed.TotalSeconds:N1} requests/s), p50 {P(latencies, 0.50):F1} ms, p99 {P(latencies, 0.99):F1} ms");
        return 0;
    }

    public static async Task<int> RunSinglesAsync(HarnessOptions o)
    {
        int seconds = o.Int("seconds", 20), concurrency = o.Int("concurrency", 32);
        await using var server = await ServerProcess.StartAsync();
        var bodies = Enumerable.Range(0, 4096).Select(i => Encoding.UTF8.GetBytes(
            $$"""{"type":"view","userId":"u{{i % 5000}}","itemId":"i{{(i * 31) % 5000}}","channel":"web"}""")).ToArray();
        var (requests, latencies, elapsed) = await RunAsync(server.BaseAddress, concurrency, seconds, n => bodies[n % bodies.Length]);
        Console.WriteLine($"single: concurrency {concurrency}, {seconds} s: {requests / elapsed.TotalSeconds:N0} requests/s, " +
            $"p50 {P(latencies, 0.50):F2} ms, p99 {P(latencies, 0.99):F2} ms");
        return 0;
    }

    private static async Task<(long Requests, List<double> LatenciesMs, TimeSpan Elapsed)> RunAsync(
        Uri address, int concurrency, int seconds, Func<int, byte[]> body)
    {
        using var http = ClosedLoop.Client(address, concurrency);
        var r = await ClosedLoop.RunAsync(http, concurrency, seconds, warmup: 50, (client, n) => Send(client, body(n)));
        if (r.Failures > 0) Console.Error.WriteLine($"{r.Failures} requests failed");
        return (r.Requests, r.SortedLatenciesMs, r.Elapsed);
    }

    private static async Task<HttpStatusCode> Send(HttpClient http, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var r = await http.PostAsync("/v1/events", content);
        return r.StatusCode;
    }

    private static double P(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
