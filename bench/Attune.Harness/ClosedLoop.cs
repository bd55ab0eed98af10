using System.Diagnostics;
using System.Net;

namespace Attune.Harness;

/// <summary>
/// A closed-loop load: <c>concurrency</c> workers each send a request, wait for the answer, send the next, for
/// <c>seconds</c>; request <c>n</c> of worker <c>w</c> is number <c>w + k·concurrency</c>. Warm-up requests (JIT, connection
/// set-up) come first and are not measured.
/// </summary>
internal static class ClosedLoop
{
    public sealed record Result(long Requests, List<double> SortedLatenciesMs, TimeSpan Elapsed, int Failures)
    {
        public double Rate => Requests / Elapsed.TotalSeconds;

        public double P(double q) =>
            SortedLatenciesMs.Count == 0 ? 0 : SortedLatenciesMs[Math.Min(SortedLatenciesMs.Count - 1, (int)(q * SortedLatenciesMs.Count))];
    }

    public static HttpClient Client(Uri address, int concurrency) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }, disposeHandler: true)
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(60),
        };

    public static async Task<Result> RunAsync(HttpClient http, int concurrency, int seconds, int warmup,
        Func<HttpClient, int, Task<HttpStatusCode>> send)
    {
        for (int i = 0; i < warmup; i++) await send(http, i);
        var latencies = new List<double>[concurrency];
        long requests = 0;
        int failures = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            for (int n = w; clock.Elapsed < end; n += concurrency)
            {
                long start = Stopwatch.GetTimestamp();
                var status = await send(http, n);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (status != HttpStatusCode.OK) Interlocked.Increment(ref failures);
                Interlocked.Increment(ref requests);
            }
        })));
        var elapsed = clock.Elapsed;
        var all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        return new Result(requests, all, elapsed, failures);
    }
}
