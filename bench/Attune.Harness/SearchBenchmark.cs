using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Model;
using Attune.Search.Lexical;

namespace Attune.Harness;

/// <summary>
/// Search speed against `attune serve` with sentence vectors computed at start (words and meaning):
/// <list type="number">
/// <item>Indexing: the catalog's words in-process (a <see cref="LexicalIndex"/> of the same items), then the server's time from
/// ready to every item vector computed, and the vectors' memory (<c>GET /v1/search/status</c>).</item>
/// <item>Load: <c>GET /v1/search</c> for a person (hybrid relevance + personal re-ranking), 20 results, facets on brand, price and
/// category, closed-loop. The queries are the demo's judged query texts drawn Zipf-like (s = 1), as a shop's log repeats its
/// head; then every request a query never seen before (its vector computed on the request).</item>
/// <item>Freshness: an item added by <c>POST /v1/items</c>, from the 200 to the first search that finds it by its words.</item>
/// </list>
/// <c>--items N</c> (with <c>--users</c>, <c>--days</c>) serves a generated shop of that size instead of the demo shop.
/// </summary>
internal static class SearchBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int seconds = o.Int("seconds", 15), concurrency = o.Int("concurrency", 16), items = o.Int("items", 5_000);
        int users = o.Int("users", 20_000), days = o.Int("days", 90), trials = o.Int("trials", 30);
        Environment.SetEnvironmentVariable("ATTUNE__SERVING__SEMANTICSEARCH", "AtStart");
        var shop = DemoShop.Generate(new DemoOptions { Users = users, Items = items, Days = days, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        IndexWords(shop.Items);

        var clock = Stopwatch.StartNew();
        ServerProcess server;
        if (items == 5_000 && users == 20_000 && days == 90) server = await ServerProcess.StartAsync("--demo");
        else
        {
            string dir = Path.Combine(Path.GetTempPath(), $"attune-search-{items}-{users}-{days}");
            if (!File.Exists(Path.Combine(dir, "demo-truth.json")))
            {
                var info = new ProcessStartInfo("dotnet") { UseShellExecute = false };
                foreach (string a in new[] { ServerProcess.AttuneDll, "demo", "--data", dir, "--users", $"{users}", "--items", $"{items}", "--days", $"{days}" })
                    info.ArgumentList.Add(a);
                using var demo = Process.Start(info)!;
                await demo.WaitForExitAsync();
                if (demo.ExitCode != 0) throw new InvalidOperationException("attune demo failed");
            }
            server = await ServerProcess.StartInAsync(dir, owned: false);
        }
        await using (server)
        {
            Console.WriteLine($"search: server ready in {clock.Elapsed.TotalSeconds:F0} s ({items:N0} items)");
            await VectorsReadyAsync(server.BaseAddress);
            // As the serve benchmark: timed after the start's propensity training, as a shop serves all day long.
            await ServeBenchmark.BackgroundTrainingDoneAsync(server.BaseAddress);

            var set = DemoSearchSet.Build(shop);
            var texts = set.Queries.Select(q => q.Text).Distinct(StringComparer.Ordinal).ToArray();
            // Zipf-like: the k-th text is asked with weight 1/k (a shuffled order, so the head is not one category).
            var rng = new Random(7);
            rng.Shuffle(texts);
            var cumulative = new double[texts.Length];
            double sum = 0;
            for (int k = 0; k < texts.Length; k++) cumulative[k] = sum += 1.0 / (k + 1);
            string Pick(int n)
            {
                double u = (uint)HashCode.Combine(n, 17) / (double)uint.MaxValue * sum;
                int k = Array.BinarySearch(cumulative, u);
                return texts[Math.Min(k < 0 ? ~k : k, texts.Length - 1)];
            }
            string facets = "&facets=brand,price,category";
            using var http = ClosedLoop.Client(server.BaseAddress, concurrency);
            var logged = await ClosedLoop.RunAsync(http, concurrency, seconds, warmup: 500, async (client, n) =>
            {
                using var r = await client.GetAsync($"/v1/search?q={Uri.EscapeDataString(Pick(n))}&userId=u{n % users + 1:D5}&count=20{facets}",
                    HttpCompletionOption.ResponseContentRead);
                return r.StatusCode;
            });
            Print($"query log ({texts.Length} texts, Zipf)", logged);
            var fresh = await ClosedLoop.RunAsync(http, concurrency, seconds, warmup: 0, async (client, n) =>
            {
                // A text never asked before: the judged text plus a number (its vector is computed on the request).
                string q = $"{texts[n % texts.Length]} {n + 1_000_000}";
                using var r = await client.GetAsync($"/v1/search?q={Uri.EscapeDataString(q)}&userId=u{n % users + 1:D5}&count=20{facets}",
                    HttpCompletionOption.ResponseContentRead);
                return r.StatusCode;
            });
            Print("every query new (vector per request)", fresh);
            await FreshnessAsync(server.BaseAddress, trials);
            return logged.Failures + fresh.Failures > 0 ? 1 : 0;
        }
    }

    /// <summary>The catalog's words indexed in-process, as the server does at start.</summary>
    private static void IndexWords(IReadOnlyList<Item> items)
    {
        var clock = Stopwatch.StartNew();
        using var index = LexicalIndex.InMemory();
        foreach (var item in items) index.Upsert(item);
        index.Refresh();
        Console.WriteLine($"search: words of {items.Count:N0} items indexed in {clock.Elapsed.TotalSeconds:F1} s (in-process, one thread)");
    }

    private static async Task VectorsReadyAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await http.GetFromJsonAsync<JsonElement>("/v1/search/status");
            var semantic = status.GetProperty("semantic");
            if (semantic.TryGetProperty("failure", out var failure)) // null values are left out of answers
                throw new InvalidOperationException("semantic search failed: " + failure.GetString());
            if (semantic.GetProperty("pending").GetInt32() == 0 && semantic.GetProperty("vectors").GetInt32() > 0)
            {
                Console.WriteLine($"search: {semantic.GetProperty("vectors").GetInt32():N0} item vectors ready {clock.Elapsed.TotalSeconds:F0} s after ready " +
                    $"({semantic.GetProperty("memoryBytes").GetInt64() / 1048576.0:F1} MiB of vectors, model {semantic.GetProperty("model").GetString()})");
                return;
            }
            await Task.Delay(500);
        }
    }

    private static async Task FreshnessAsync(Uri address, int trials)
    {
        using var http = new HttpClient { BaseAddress = address };
        var times = new List<double>(trials);
        for (int t = 0; t < trials; t++)
        {
            string word = $"zyxlonic{t}q{Environment.TickCount64 % 100_000}";
            var body = JsonContent.Create(new[] { new { id = $"fresh-{word}", title = $"Fresh {word} lamp", categories = new[] { "home/lighting" }, price = 30 } });
            (await http.PostAsync("/v1/items", body)).EnsureSuccessStatusCode();
            long start = Stopwatch.GetTimestamp();
            while (true)
            {
                var answer = await http.GetFromJsonAsync<JsonElement>($"/v1/search?q={word}&anonymousId=fresh&count=1");
                if (answer.GetProperty("items").GetArrayLength() > 0) break;
                if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(30)) throw new TimeoutException("an added item was not found within 30 s");
                await Task.Delay(5);
            }
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"search: an added item found by its words {times[times.Count / 2]:F0} ms after the write's 200 (median of {trials}), " +
            $"p99 {times[Math.Min(times.Count - 1, (int)(0.99 * times.Count))]:F0} ms, max {times[^1]:F0} ms");
    }

    private static void Print(string name, ClosedLoop.Result r) =>
        Console.WriteLine($"search: {name}, count=20 + 3 facets, personal: {r.Rate:N0} req/s, p50 {r.P(0.5):F2} ms, p99 {r.P(0.99):F2} ms, " +
            $"p99.9 {r.P(0.999):F2} ms, {r.Failures} failed");
}
