using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// A large generated shop end to end: `attune demo` with the given size into a folder (kept, so later runs reuse it), then
/// `attune serve` on it: seconds until ready (store read + training every model), the model's per-component seconds, peak
/// and settled resident memory, then the same serving load as <c>serve</c>.
/// </summary>
internal static class ScaleBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int users = o.Int("users", 1_000_000), items = o.Int("items", 100_000), days = o.Int("days", 23);
        int seconds = o.Int("seconds", 15), concurrency = o.Int("concurrency", 16);
        string dir = o.Get("data") ?? Path.Combine(Path.GetTempPath(), $"attune-scale-{users}-{items}-{days}");
        if (!File.Exists(Path.Combine(dir, "attune.db")))
        {
            var demo = Stopwatch.StartNew();
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            foreach (string a in new[] { ServerProcess.AttuneDll, "demo", "--data", dir, "--users", $"{users}", "--items", $"{items}", "--days", $"{days}" })
                info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            await p.WaitForExitAsync();
            if (p.ExitCode != 0) return p.ExitCode;
            Console.WriteLine($"scale: generated and loaded in {demo.Elapsed.TotalSeconds:F0} s");
        }
        // A fresh start trains from the store: drop models of earlier runs.
        if (Directory.Exists(Path.Combine(dir, "models"))) Directory.Delete(Path.Combine(dir, "models"), true);
        var clock = Stopwatch.StartNew();
        await using var server = await ServerProcess.StartInAsync(dir, owned: false);
        var ready = clock.Elapsed;
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var models = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        var active = models.GetProperty("versions")[0];
        string status = await File.ReadAllTextAsync($"/proc/{server.Process.Id}/status");
        string Field(string name) => status.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim();
        Console.WriteLine($"scale: {active.GetProperty("events").GetInt64():N0} events, {active.GetProperty("users").GetInt32():N0} people, " +
            $"{active.GetProperty("items").GetInt32():N0} items; ready in {ready.TotalSeconds:F0} s; training {active.GetProperty("trainingSeconds").GetDouble():F0} s");
        Console.WriteLine($"scale: components {active.GetProperty("componentSeconds")}");
        Console.WriteLine($"scale: metrics {active.GetProperty("metrics")}");
        Console.WriteLine($"scale: peak RSS (VmHWM) {Field("VmHWM")}, RSS when ready {Field("VmRSS")}");
        int failures = await ServeBenchmark.LoadAsync(server.BaseAddress, seconds, concurrency, users, items);
        status = await File.ReadAllTextAsync($"/proc/{server.Process.Id}/status");
        Console.WriteLine($"scale: RSS after the load {Field("VmRSS")}, peak {Field("VmHWM")}");
        return failures > 0 ? 1 : 0;
    }
}
