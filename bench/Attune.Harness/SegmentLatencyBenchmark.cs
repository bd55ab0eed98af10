using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// Segment membership after an event, against `attune serve --demo`: once the propensity models have trained and scored
/// everyone, a rule segment of people who bought in the last 15 minutes is created (nobody, since the demo's history ends
/// two hours before now); then each trial posts a purchase for a shopper and asks GET /v1/users/{id}/segments until they are
/// a member. Reports the time from the event's acknowledgement (its 200) to the first answer that shows the membership.
/// </summary>
internal static class SegmentLatencyBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int trials = o.Int("trials", 200);
        await using var server = await ServerProcess.StartAsync("--demo");
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        var wait = Stopwatch.StartNew();
        while (true)
        {
            var models = await http.GetFromJsonAsync<JsonElement>("/v1/predictions/propensity");
            if (models.TryGetProperty("active", out var active) && active.ValueKind == JsonValueKind.Number) break;
            if (wait.Elapsed > TimeSpan.FromMinutes(10)) { Console.WriteLine("segments: the propensity models did not train within 10 minutes"); return 1; }
            await Task.Delay(500);
        }
        Console.WriteLine($"segments: propensity models trained and everyone scored {wait.Elapsed.TotalSeconds:F0} s after the server was ready");
        using (var put = await http.PutAsync("/v1/segments/just-bought",
            new StringContent("""{"rule": "activity.daysSinceLastPurchase < 0.01"}""", Encoding.UTF8, "application/json")))
            put.EnsureSuccessStatusCode();
        var latencies = new List<double>(trials);
        int failed = 0;
        for (int k = 0; k < trials + 10; k++)
        {
            string user = $"u{k * 37 % 20_000 + 1:D5}";
            using (var ack = await http.PostAsJsonAsync("/v1/events", new[] { new { type = "purchase", userId = user, itemId = $"i{k % 5000 + 1:D5}", value = 25 } }))
                ack.EnsureSuccessStatusCode();
            var sw = Stopwatch.StartNew();
            bool member = false;
            while (sw.Elapsed < TimeSpan.FromSeconds(5) && !member)
            {
                var segments = await http.GetFromJsonAsync<JsonElement>($"/v1/users/{user}/segments");
                member = segments.GetProperty("segments").EnumerateArray().Any(s => s.GetString() == "just-bought");
                if (!member) await Task.Delay(5);
            }
            if (k < 10) continue; // warm-up
            if (member) latencies.Add(sw.Elapsed.TotalMilliseconds);
            else failed++;
        }
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine($"segments: acknowledged purchase → member of the rule segment: p50 {P(0.5):F0} ms, p99 {P(0.99):F0} ms, max {P(1):F0} ms " +
            $"over {latencies.Count} trials; {failed} not a member within 5 s");
        return failed > 0 || P(1) > 1000 ? 1 : 0;
    }
}
