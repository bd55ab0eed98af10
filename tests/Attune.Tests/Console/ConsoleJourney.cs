using Attune.Tests.EndToEnd;
using Microsoft.Playwright;

namespace Attune.Tests.Console;

/// <summary>
/// What every console journey starts from: a small demo shop served by the real <c>attune serve</c> process with three keys
/// (admin, viewer, serve), and Debian's Chromium (the journeys skip with the reason without it). Each test class instance
/// (one per test) has its own data folder and server, so journeys never see each other's changes.
/// </summary>
public abstract class ConsoleJourney : IAsyncLifetime
{
    protected const string AdminKey = "console-admin-key-0123456789";
    protected const string ViewerKey = "console-viewer-key-0123456789";
    protected const string ServeKey = "console-serve-key-0123456789";
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private protected AttuneProcess? Server { get; private set; }
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Whether the journey starts on the demo shop with the three keys (Settings starts its own server, empty).</summary>
    protected virtual bool StartsOnDemoShop => true;

    public async ValueTask InitializeAsync()
    {
        if (Browser.ChromiumPath is null) return;
        if (StartsOnDemoShop)
        {
            var (code, output) = await AttuneProcess.RunAsync("demo", "--data", _dir.Path, "--users", "300", "--items", "150", "--days", "14");
            Assert.True(code == 0, output);
            await StartServerAsync(keys: true);
        }
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    /// <summary>Serves the journey's data folder, with the three keys or with none (an open console, loopback only).</summary>
    private protected async Task StartServerAsync(bool keys)
    {
        if (Browser.ChromiumPath is null) Assert.Skip(Browser.SkipReason);
        var environment = new Dictionary<string, string>
        {
            // Experiments' results snapshots every 3 s instead of hourly, so the lift over time has points within a test.
            ["ATTUNE__SERVING__EXPERIMENTSNAPSHOTMINUTES"] = "0.05",
        };
        if (keys)
        {
            environment["ATTUNE__APIKEYS__0__NAME"] = "ops"; environment["ATTUNE__APIKEYS__0__KEY"] = AdminKey; environment["ATTUNE__APIKEYS__0__SCOPES__0"] = "admin";
            environment["ATTUNE__APIKEYS__1__NAME"] = "wall"; environment["ATTUNE__APIKEYS__1__KEY"] = ViewerKey; environment["ATTUNE__APIKEYS__1__SCOPES__0"] = "viewer";
            environment["ATTUNE__APIKEYS__2__NAME"] = "app"; environment["ATTUNE__APIKEYS__2__KEY"] = ServeKey; environment["ATTUNE__APIKEYS__2__SCOPES__0"] = "serve";
        }
        Server = await AttuneProcess.ServeAsync(_dir.Path, environment);
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        _dir.Dispose();
    }

    protected async Task<(IPage Page, List<string> Errors)> OpenAsync()
    {
        if (_browser is null) Assert.Skip(Browser.SkipReason);
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server!.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);
        page.Response += (_, response) => { if (response.Status >= 400) errors.Add($"{response.Status} {response.Url}"); };
        return (page, errors);
    }

    protected static async Task SignInAsync(IPage page, string key)
    {
        await page.FillAsync("#key", key);
        await page.ClickAsync("#signin");
    }

    /// <summary>Pages render first on the server, then connect their circuit: controls act only after that.</summary>
    protected static Task InteractiveAsync(IPage page) =>
        Assertions.Expect(page.Locator("#console[data-interactive=true]")).ToBeVisibleAsync(new() { Timeout = 15_000 });

    /// <summary>An HTTP client for the server's API with <paramref name="key"/>.</summary>
    protected HttpClient Api(string key = AdminKey)
    {
        var api = new HttpClient { BaseAddress = Server?.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return api;
    }

    /// <summary>Signs in with <paramref name="key"/> and waits for the circuit.</summary>
    protected async Task<(IPage Page, List<string> Errors)> SignedInAsync(string key = AdminKey)
    {
        var (page, errors) = await OpenAsync();
        await page.GotoAsync("/signin");
        await SignInAsync(page, key);
        await InteractiveAsync(page);
        return (page, errors);
    }

    protected static void NoErrors(List<string> errors) =>
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
}
