
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
        await using var server = await ServerProcess.StartAsync(["--demo", .. ServerProcess.StoreArgs(o)]);
        // The server trains its propensity models and scores everyone shortly after start (about a minute of both cores on the
        // demo shop): measured after that, as a shop serves all day long.
        await BackgroundTrainingDoneAsync(server.BaseAddress);
        // --experiment: every for-you answer is assigned inside a running 50/50 experiment (default against pop-only);
        // --experiment aa: both variants serve the default recipe (what assignment and tracking cost, nothing else).
        if (o.Get("experiment") is { } experiment) await StartExperimentAsync(server.BaseAddress, control: experiment == "aa" ? "default" : "pop-only");
        // --returning: every load user is served for-you once first, then the background work of their first exposures
        // (exposure writes, CUPED's pre-period reads) gets 20 s to finish: an experiment that has run for a while.
        if (o.Get("returning") is not null) await WarmAsync(server.BaseAddress, 20_000, concurrency);
        return await LoadAsync(server.BaseAddress, seconds, concurrency, 20_000, 5_000) > 0 ? 1 : 0;
    }

    internal static async Task BackgroundTrainingDoneAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address };
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(10))
        {
            var models = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(http, "/v1/predictions/propensity");
            if (models.TryGetProperty("active", out var active) && active.ValueKind == System.Text.Json.JsonValueKind.Number) break;
            await Task.Delay(500);
        }
        await Task.Delay(TimeSpan.FromSeconds(5)); // the clustering that follows
        Console.WriteLine($"serve: timed after the start's background training ({waited.Elapsed.TotalSeconds:F0} s)");
    }

    private static async Task WarmAsync(Uri address, int users, int concurrency)
    {
        using var http = ClosedLoop.Client(address, concurrency);
        int next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            for (int u; (u = Interlocked.Increment(ref next)) <= users;)
                (await http.GetAsync($"/v1/recommendations?userId=u{u:D5}&scenario=for-you&count=20")).EnsureSuccessStatusCode();
        }));
        await Task.Delay(TimeSpan.FromSeconds(20));
        Console.WriteLine($"serve: {users:N0} load users served once before timing (returning people)");
    }

    private static async Task StartExperimentAsync(Uri address, string control)
    {
        using var http = new HttpClient { BaseAddress = address };
        static StringContent Json(string s) => new(s, System.Text.Encoding.UTF8, "application/json");
        (await http.PutAsync("/v1/recipes/pop-only", Json("""{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}"""))).EnsureSuccessStatusCode();
        (await http.PostAsync("/v1/experiments", Json("""
            {"id": "bench", "variants": [{"key": "control", "recipe": "CONTROL", "weight": 0.5}, {"key": "treatment", "recipe": "default", "weight": 0.5}],
             "scenarios": ["for-you"], "metrics": {"primary": "conversion", "secondary": ["revenue", "ctr"], "guardrails": ["latency-p99"]}}
            """.Replace("CONTROL", control, StringComparison.Ordinal)))).EnsureSuccessStatusCode();
        (await http.PostAsync("/v1/experiments/bench/start", null)).EnsureSuccessStatusCode();
        Console.WriteLine($"serve: inside a running experiment (for-you split 50/50 between default and {control})");
    }

    /// <summary>The three loads against a running server; returns the number of failed requests.</summary>
    public static async Task<int> LoadAsync(Uri address, int seconds, int concurrency, int users, int items)
    {
        using var http = ClosedLoop.Client(address, concurrency);
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

    /// <summary>for-you (count 20 + a filter) under load; prints one line with <paramref name="prefix"/>; returns failures.</summary>
    public static async Task<int> ForYouAsync(Uri address, int seconds, int concurrency, string prefix)
    {
        using var http = ClosedLoop.Client(address, concurrency);
        string filter = Uri.EscapeDataString("inStock and price <= context.budget");
        var r = await Run(http, n => $"/v1/recommendations?userId=u{n % 20_000 + 1:D5}&scenario=for-you&count=20&filter={filter}&context.budget=150",
            seconds, concurrency);
        Console.WriteLine($"{prefix}for-you count=20 + filter: {r.Rate:N0} req/s, p50 {r.P(0.5):F2} ms, p99 {r.P(0.99):F2} ms, p99.9 {r.P(0.999):F2} ms, {r.Failures} failed");
        return r.Failures;
    }

    private static void Print(string name, ClosedLoop.Result r) =>
        Console.WriteLine($"serve: {name}: {r.Rate:N0} req/s, p50 {r.P(0.5):F2} ms, p99 {r.P(0.99):F2} ms, p99.9 {r.P(0.999):F2} ms, {r.Failures} failed");

    /// <summary>GETs <paramref name="url"/>(n) in a closed loop, after 200 warm-up requests (JIT, connections, scratch buffers).</summary>
    private static Task<ClosedLoop.Result> Run(HttpClient http, Func<int, string> url, int seconds, int concurrency) =>
        ClosedLoop.RunAsync(http, concurrency, seconds, warmup: 200, async (client, n) =>
        {
            using var r = await client.GetAsync(url(n * 7919), HttpCompletionOption.ResponseContentRead);
            return r.StatusCode;
        });
}
