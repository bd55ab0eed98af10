using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// The live engine's self-tuning: `attune serve` on the demo shop (or on a folder, `--data DIR`), then
/// <c>POST /v1/models/tune?wait=true</c> with a budget of <c>--budget</c> seconds: the held-out hit rate@20 of the configured
/// factor-model parameters and of the tuned ones, the trials, the tuning's time and the whole training's.
/// </summary>
internal static class TuningBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        Environment.SetEnvironmentVariable("Attune__Serving__TuningBudgetSeconds", o.Get("budget") ?? "60");
        Environment.SetEnvironmentVariable("Attune__Serving__TuningIntervalHours", "0");
        string? dir = o.Get("data");
        await using var server = dir is null ? await ServerProcess.StartAsync("--demo") : await ServerProcess.StartInAsync(dir, owned: false);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromHours(2) };
        var clock = Stopwatch.StartNew();
        var response = await http.PostAsync("/v1/models/tune?wait=true", null);
        response.EnsureSuccessStatusCode();
        var info = await response.Content.ReadFromJsonAsync<JsonElement>();
        var tuning = info.GetProperty("tuning");
        Console.WriteLine($"tuning: {info.GetProperty("users").GetInt32():N0} people, {info.GetProperty("items").GetInt32():N0} items, " +
            $"{info.GetProperty("events").GetInt64():N0} events; version {info.GetProperty("version").GetString()} in {clock.Elapsed.TotalSeconds:F0} s " +
            $"(tuning {tuning.GetProperty("seconds").GetDouble():F1} s, {tuning.GetProperty("trials").GetInt32()} trials)");
        Console.WriteLine($"tuning: held-out {tuning.GetProperty("metric").GetString()}: configured ({tuning.GetProperty("defaults").GetString()}) " +
            $"{tuning.GetProperty("defaultValue").GetDouble():F4}, tuned ({tuning.GetProperty("parameters").GetString()}) {tuning.GetProperty("tunedValue").GetDouble():F4}");
        Console.WriteLine($"tuning: the version's own check: {info.GetProperty("metrics")}");
        return 0;
    }
}
