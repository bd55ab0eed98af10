using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attune.Harness;

/// <summary>
/// The live engine's self-tuning: `attune serve` on the demo shop (or on a folder, `--data DIR`), then
/// <c>POST /v1/models/tune?wait=true</c> with a budget of <c>--budget</c> seconds: per tuned component (factor model, sequence
/// model) the held-out hit rate@20 of the configured parameters and of the tuned ones, the trials, the tuning's time and the
/// whole training's.
/// </summary>
internal static class TuningBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        Environment.SetEnvironmentVariable("Attune__Serving__TuningBudgetSeconds", o.Get("budget") ?? "90");
        Environment.SetEnvironmentVariable("Attune__Serving__TuningIntervalHours", "0");
        string? dir = o.Get("data");
        await using var server = dir is null ? await ServerProcess.StartAsync("--demo") : await ServerProcess.StartInAsync(dir, owned: false);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromHours(2) };
        var clock = Stopwatch.StartNew();
        var response = await http.PostAsync("/v1/models/tune?wait=true", null);
        response.EnsureSuccessStatusCode();
        var info = await response.Content.ReadFromJsonAsync<JsonElement>();
        var tunings = info.GetProperty("tunings");
        double seconds = 0;
        int trials = 0;
        foreach (var t in tunings.EnumerateArray())
        {
            seconds += t.GetProperty("seconds").GetDouble();
            trials += t.GetProperty("trials").GetInt32();
        }
        Console.WriteLine($"tuning: {info.GetProperty("users").GetInt32():N0} people, {info.GetProperty("items").GetInt32():N0} items, " +
            $"{info.GetProperty("events").GetInt64():N0} events; version {info.GetProperty("version").GetString()} in {clock.Elapsed.TotalSeconds:F0} s " +
            $"(tuning {info.GetProperty("componentSeconds").GetProperty("tuning").GetDouble():F1} s, {trials} trials measured in {seconds:F1} s)");
        foreach (var t in tunings.EnumerateArray())
            Console.WriteLine($"tuning: {t.GetProperty("component").GetString()}, {t.GetProperty("trials").GetInt32()} trials in " +
                $"{t.GetProperty("seconds").GetDouble():F1} s, held-out {t.GetProperty("metric").GetString()}: configured " +
                $"({t.GetProperty("defaults").GetString()}) {t.GetProperty("defaultValue").GetDouble():F4}, tuned " +
                $"({t.GetProperty("parameters").GetString()}) {t.GetProperty("tunedValue").GetDouble():F4}");
        Console.WriteLine($"tuning: the version's own check: {info.GetProperty("metrics")}");
        return 0;
    }
}
