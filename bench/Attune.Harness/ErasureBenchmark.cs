using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// How long an erasure takes for a person with many events: `attune serve` on the demo shop (or on a folder such as the
/// scale benchmark's 1M-user shop, `--data DIR`), one user given <c>--events</c> events, a training so the active model and
/// a stored version hold them, then <c>DELETE /v1/users/{id}</c>: the time to the 202 (store, live state, loaded models) and
/// to <c>complete</c> (every stored model version rewritten, the files clean), with for-you answered throughout.
/// </summary>
internal static class ErasureBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int events = o.Int("events", 10_000), items = o.Int("items", 200);
        string? dir = o.Get("data");
        // A folder of its own (the scale benchmark's): serve it as it is; otherwise the demo shop in a temporary folder.
        await using var server = dir is null ? await ServerProcess.StartAsync("--demo") : await ServerProcess.StartInAsync(dir, owned: false);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromHours(1) };
        string user = "erasure-bench-" + Guid.NewGuid().ToString("N")[..8];
        var random = new Random(5);
        var posting = Stopwatch.StartNew();
        for (int sent = 0; sent < events; sent += 1000)
        {
            var body = new StringBuilder("[");
            int n = Math.Min(1000, events - sent);
            for (int i = 0; i < n; i++)
            {
                string type = random.Next(10) == 0 ? "purchase" : "view";
                body.Append($$"""{"type":"{{type}}","userId":"{{user}}","itemId":"i{{random.Next(1, items + 1):D5}}","anonymousId":"{{user}}-device-{{i % 3}}"}""");
                body.Append(i + 1 < n ? "," : "]");
            }
            (await http.PostAsync("/v1/events", new StringContent(body.ToString(), Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        }
        Console.WriteLine($"erasure: {events:N0} events of {user} sent in {posting.Elapsed.TotalSeconds:F1} s; training so a model holds them");
        var training = Stopwatch.StartNew();
        (await http.PostAsync("/v1/models/train?wait=true", null)).EnsureSuccessStatusCode();
        var models = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        Console.WriteLine($"erasure: trained in {training.Elapsed.TotalSeconds:F1} s; {models.GetProperty("versions").GetArrayLength()} stored versions");

        using var load = new CancellationTokenSource();
        var serving = ServeDuringAsync(server.BaseAddress, load.Token);
        var clock = Stopwatch.StartNew();
        var response = await http.DeleteAsync($"/v1/users/{user}");
        var accepted = clock.Elapsed;
        response.EnsureSuccessStatusCode();
        var record = await response.Content.ReadFromJsonAsync<JsonElement>();
        string id = record.GetProperty("id").GetString()!;
        JsonElement done;
        while (true)
        {
            done = await http.GetFromJsonAsync<JsonElement>($"/v1/erasures/{id}");
            if (done.GetProperty("status").GetString() == "complete") break;
            await Task.Delay(20);
        }
        var complete = clock.Elapsed;
        await load.CancelAsync();
        var (answers, p99, failed) = await serving;
        var removed = done.GetProperty("removed");
        Console.WriteLine($"erasure: 202 after {accepted.TotalMilliseconds:F0} ms, complete after {complete.TotalSeconds:F2} s: " +
            $"{removed.GetProperty("events").GetInt64():N0} events, {removed.GetProperty("identityLinks").GetInt32()} identity links, " +
            $"{removed.GetProperty("modelVersionsRewritten").GetInt32()} model versions rewritten");
        Console.WriteLine($"erasure: for-you meanwhile: {answers:N0} answers, p99 {p99:F2} ms, {failed} failed");
        return failed > 0 ? 1 : 0;
    }

    /// <summary>One request at a time, for-you for known demo ids, until cancelled: answers, p99 ms, failures.</summary>
    private static async Task<(int Answers, double P99, int Failed)> ServeDuringAsync(Uri address, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = address };
        var times = new List<double>();
        int failed = 0, i = 0;
        while (!ct.IsCancellationRequested)
        {
            var t = Stopwatch.StartNew();
            try
            {
                var r = await http.GetAsync($"/v1/recommendations?userId=u{i++ % 1000 + 1:D5}&count=10", CancellationToken.None);
                if (!r.IsSuccessStatusCode) failed++;
            }
            catch (HttpRequestException) { failed++; }
            times.Add(t.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (times.Count, times.Count == 0 ? 0 : times[(int)Math.Min(times.Count - 1, Math.Ceiling(times.Count * 0.99) - 1)], failed);
    }
}
