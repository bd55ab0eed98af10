namespace Attune.Harness;

/// <summary>Peak resident memory of `attune serve --demo` once the demo shop is loaded (Linux /proc).</summary>
internal static class MemoryBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        var started = DateTime.UtcNow;
        await using var server = await ServerProcess.StartAsync("--demo");
        var ready = DateTime.UtcNow - started;
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        string stats = await http.GetStringAsync("/v1/stats");
        string status = await File.ReadAllTextAsync($"/proc/{server.Process.Id}/status");
        string Field(string name) => status.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim();
        Console.WriteLine($"memory: serve --demo ready in {ready.TotalSeconds:F1} s; peak RSS (VmHWM) {Field("VmHWM")}, RSS now {Field("VmRSS")}");
        Console.WriteLine($"  stats: {stats}");
        return 0;
    }
}
