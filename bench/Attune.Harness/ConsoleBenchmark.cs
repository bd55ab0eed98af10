using System.Diagnostics;
using Microsoft.Playwright;

namespace Attune.Harness;

/// <summary>
/// The console's cost against `attune serve --demo` (no keys: the console is open on loopback): first each page's
/// server-side render (a GET returns the page prerendered with its data, so its time is the server's render time), then
/// <c>for-you</c> under load without a browser and with the console's live pages open in Debian's Chromium (the Overview
/// refreshes every 5 s over its circuit; a People page holds a circuit too).
/// </summary>
internal static class ConsoleBenchmark
{
    private static readonly string[] Pages =
        ["/", "/people/u00001", "/catalog", "/catalog/i00001", "/merchandising", "/recipes", "/models", "/experiments"];

    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int renders = o.Int("renders", 50), seconds = o.Int("seconds", 15), concurrency = o.Int("concurrency", 16);
        await using var server = await ServerProcess.StartAsync("--demo");
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        {
            foreach (string page in Pages)
            {
                for (int i = 0; i < 5; i++) (await http.GetAsync(page)).EnsureSuccessStatusCode(); // JIT, first reads
                var times = new List<double>(renders);
                for (int i = 0; i < renders; i++)
                {
                    long started = Stopwatch.GetTimestamp();
                    using var response = await http.GetAsync(page, HttpCompletionOption.ResponseContentRead);
                    response.EnsureSuccessStatusCode();
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                times.Sort();
                Console.WriteLine($"console: render {page}: p50 {P(times, 0.5):F1} ms, p99 {P(times, 0.99):F1} ms, max {times[^1]:F1} ms ({renders} GETs)");
            }
        }

        string? chromium = Environment.GetEnvironmentVariable("PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH") is { Length: > 0 } configured ? configured
            : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null;
        if (chromium is null)
        {
            Console.WriteLine("console: no Chromium (install Debian's chromium): for-you with the console open not measured");
            return 0;
        }
        // Closed, open, closed, open: the first runs also warm the process up (tiered JIT), so each state is read twice and the
        // browser's effect against the runs beside it. Chromium runs on the same machine as the server and the load.
        int failed = 0;
        using var playwright = await Playwright.CreateAsync();
        for (int round = 1; round <= 2; round++)
        {
            Console.WriteLine($"console: round {round}: for-you, no browser");
            failed += await ForYouAsync(server.BaseAddress, seconds, concurrency);
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
            foreach (string path in new[] { "/", "/people/u00001" })
            {
                var page = await browser.NewPageAsync(new() { BaseURL = server.BaseAddress.ToString() });
                await page.GotoAsync(path);
                await page.Locator("#console[data-interactive=true]").WaitForAsync(new() { Timeout = 30_000 });
            }
            Console.WriteLine($"console: round {round}: for-you with the Overview (live, 5 s refresh) and a People page open in Chromium");
            failed += await ForYouAsync(server.BaseAddress, seconds, concurrency);
        }
        return failed > 0 ? 1 : 0;
    }

    private static async Task<int> ForYouAsync(Uri address, int seconds, int concurrency)
    {
        using var http = ClosedLoop.Client(address, concurrency);
        string filter = Uri.EscapeDataString("inStock and price <= context.budget");
        var r = await ClosedLoop.RunAsync(http, concurrency, seconds, warmup: 200, async (client, n) =>
        {
            using var response = await client.GetAsync(
                $"/v1/recommendations?userId=u{n * 7919 % 20_000 + 1:D5}&scenario=for-you&count=20&filter={filter}&context.budget=150",
                HttpCompletionOption.ResponseContentRead);
            return response.StatusCode;
        });
        Console.WriteLine($"console:   for-you count=20 + filter: {r.Rate:N0} req/s, p50 {r.P(0.5):F2} ms, p99 {r.P(0.99):F2} ms, p99.9 {r.P(0.999):F2} ms, {r.Failures} failed");
        return r.Failures;
    }

    private static double P(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
