using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// The real-time loop against `attune serve --demo`: a new visitor's for-you answer is read, the visitor views an item
/// (POST /v1/events), and for-you is asked again until the answer changes. Reports the time from the event's
/// acknowledgement (its 200) to the first changed answer, and how many asks that took.
/// </summary>
internal static class RealtimeBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int trials = o.Int("trials", 300);
        await using var server = await ServerProcess.StartAsync("--demo");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var latencies = new List<double>(trials);
        int firstAsk = 0, failed = 0;
        for (int k = 0; k < trials + 20; k++)
        {
            string visitor = $"rt-{k}";
            string item = $"i{k * 7919 % 5000 + 1:D5}";
            string ask = $"/v1/recommendations?anonymousId={visitor}&scenario=for-you&count=10";
            string before = Ids(await http.GetFromJsonAsync<JsonElement>(ask));
            using (var ack = await http.PostAsJsonAsync("/v1/events", new { type = "view", anonymousId = visitor, itemId = item }))
                ack.EnsureSuccessStatusCode();
            var sw = Stopwatch.StartNew();
            int asks = 0;
            bool changed = false;
            while (sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                asks++;
                if (Ids(await http.GetFromJsonAsync<JsonElement>(ask)) != before) { changed = true; break; }
            }
            if (k < 20) continue; // warm-up
            if (!changed) { failed++; continue; }
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            if (asks == 1) firstAsk++;
        }
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine($"realtime: acknowledged view → changed for-you answer: p50 {P(0.5):F2} ms, p99 {P(0.99):F2} ms, max {P(1):F2} ms; " +
            $"changed on the first ask after the 200 in {firstAsk} of {latencies.Count} trials; {failed} never changed within 5 s");
        return failed > 0 ? 1 : 0;
    }

    private static string Ids(JsonElement answer) =>
        string.Join(",", answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
}
