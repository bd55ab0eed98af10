using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Attune.Tests.Console;

/// <summary>
/// Debian's Chromium for the console's browser tests (never a downloaded browser): <c>PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH</c>
/// or <c>/usr/bin/chromium</c>. Without it the browser tests are skipped with this reason (<c>.ci/run</c> installs it).
/// </summary>
internal static class Browser
{
    public static string? ChromiumPath
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable("PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH");
            if (!string.IsNullOrEmpty(configured) && File.Exists(configured)) return configured;
            return File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null;
        }
    }

    public const string SkipReason = "no Chromium: install Debian's chromium package or set PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        return (playwright, browser);
    }

    /// <summary>Where screenshots go: <c>artifacts/console/</c> at the repository root.</summary>
    public static string Screenshot(string name)
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "artifacts", "console");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name + ".png");
    }

    /// <summary>
    /// Runs axe-core (Deque's engine, injected into the page) over what is on screen and fails on any serious or critical
    /// violation, naming the rule and the elements.
    /// </summary>
    public static async Task AccessibleAsync(IPage page, string what)
    {
        var result = await page.RunAxe();
        var serious = new List<string>();
        foreach (var v in result.Violations)
        {
            if (v.Impact is not ("serious" or "critical")) continue;
            var targets = new List<string>();
            foreach (var node in v.Nodes) targets.Add(node.Target?.ToString() ?? "?");
            serious.Add($"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", targets)}");
        }
        Assert.True(serious.Count == 0, $"{what}: axe-core found serious violations:\n" + string.Join("\n", serious));
    }
}
