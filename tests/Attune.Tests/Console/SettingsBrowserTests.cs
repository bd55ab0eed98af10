using System.Net;
using Attune.Tests.EndToEnd;
using Microsoft.Playwright;

namespace Attune.Tests.Console;

/// <summary>
/// The console's Settings page in a real browser (Debian's Chromium) against the real <c>attune serve</c>: an admin creates a
/// key by keyboard, reads it once, the API takes it, the admin revokes it and the API refuses it; a viewer reads without
/// changing; an open console's first key switches sign-in on. Screenshot: <c>artifacts/console/settings.png</c>.
/// </summary>
public sealed class SettingsBrowserTests : IAsyncLifetime
{
    private const string AdminKey = "settings-admin-key-0123456789";
    private const string ViewerKey = "settings-viewer-key-0123456789";
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private AttuneProcess? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        if (Browser.ChromiumPath is null) return;
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>An empty store (the page needs no data) served with an admin and a viewer key, or with none.</summary>
    private async Task<(IPage Page, List<string> Errors)> OpenAsync(bool keys = true)
    {
        if (_browser is null) Assert.Skip(Browser.SkipReason);
        _server = await AttuneProcess.ServeAsync(_dir.Path, keys ? new Dictionary<string, string>
        {
            ["ATTUNE__APIKEYS__0__NAME"] = "ops", ["ATTUNE__APIKEYS__0__KEY"] = AdminKey, ["ATTUNE__APIKEYS__0__SCOPES__0"] = "admin",
            ["ATTUNE__APIKEYS__1__NAME"] = "wall", ["ATTUNE__APIKEYS__1__KEY"] = ViewerKey, ["ATTUNE__APIKEYS__1__SCOPES__0"] = "viewer",
        } : null);
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _server.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);
        page.Response += (_, response) => { if (response.Status >= 400) errors.Add($"{response.Status} {response.Url}"); };
        return (page, errors);
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/signin");
        await page.FillAsync("#key", key);
        await page.ClickAsync("#signin");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
    }

    private static Task InteractiveAsync(IPage page) =>
        Assertions.Expect(page.Locator("#console[data-interactive=true]")).ToBeVisibleAsync(new() { Timeout = 15_000 });

    private async Task<HttpStatusCode> ServeWithAsync(string key)
    {
        using var api = new HttpClient { BaseAddress = _server!.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return (await api.GetAsync("/v1/items")).StatusCode;
    }

    [Fact]
    public async Task AnAdminCreatesAServeKeyTheApiTakesItThenRevokesItAndTheApiRefusesIt()
    {
        var (page, errors) = await OpenAsync();
        await SignInAsync(page, AdminKey);
        await InteractiveAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Settings");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("#keys")).ToContainTextAsync("from configuration");

        // A missing name is named before anything is stored.
        await page.ClickAsync("#create-key");
        await Assertions.Expect(page.Locator("#key-errors")).ToContainTextAsync("name");

        // By keyboard alone: the name, Tab to the scopes (admin, ingest, serve), Space, Tab to the button, Enter.
        await page.FocusAsync("#key-name");
        await page.Keyboard.TypeAsync("shop-app");
        for (int i = 0; i < 3; i++) await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("#scope-serve")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.Locator("#scope-serve")).ToBeCheckedAsync();
        for (int i = 0; i < 2; i++) await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("#create-key")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");

        // The key, once, in a read-only field, with the warning; the API takes it.
        await Assertions.Expect(page.Locator("#new-key")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#new-key-panel")).ToContainTextAsync("will not be shown again");
        Assert.NotNull(await page.Locator("#new-key").GetAttributeAsync("readonly"));
        string key = await NewKeyAsync(page);
        Assert.StartsWith("atk_", key);
        Assert.Equal(HttpStatusCode.OK, await ServeWithAsync(key));
        await Assertions.Expect(page.Locator("[data-key-status=shop-app]")).ToHaveTextAsync("active");
        // The console's body scrolls inside the layout: a tall window shows the whole page, retention and consent included.
        await page.SetViewportSizeAsync(1280, 1600);
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("settings"), FullPage = true });
        await Browser.AccessibleAsync(page, "settings");
        await page.SetViewportSizeAsync(1280, 900);
        await page.ClickAsync("#hide-key");
        Assert.Equal(0, await page.Locator("#new-key").CountAsync());
        Assert.DoesNotContain(key, await page.ContentAsync());

        // Revoke, confirmed (the confirmation takes the focus): the API refuses the key at once.
        await page.ClickAsync("#revoke-shop-app");
        await Assertions.Expect(page.Locator("#confirm-revoke-yes")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#keys-message")).ToContainTextAsync("revoked");
        await Assertions.Expect(page.Locator("[data-key-status=shop-app]")).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, await ServeWithAsync(key));
        Assert.Equal(0, await page.Locator("#revoke-ops").CountAsync()); // configured keys are read-only
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task RevokingAKeyEndsTheConsoleSessionsSignedInWithIt()
    {
        var (page, errors) = await OpenAsync();
        await SignInAsync(page, AdminKey);
        await page.GotoAsync("/settings");
        await InteractiveAsync(page);
        await page.FillAsync("#key-name", "deputy");
        await page.CheckAsync("#scope-admin");
        await page.ClickAsync("#create-key");
        string deputyKey = await NewKeyAsync(page);

        // The deputy signs in elsewhere, then the first admin revokes the deputy's key: the deputy's next page asks for a key.
        var deputy = await (await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = _server!.BaseAddress.ToString() })).NewPageAsync();
        await SignInAsync(deputy, deputyKey);
        await page.ClickAsync("#revoke-deputy");
        await page.ClickAsync("#confirm-revoke-yes");
        await Assertions.Expect(page.Locator("[data-key-status=deputy]")).ToContainTextAsync("revoked");
        try
        {
            await deputy.GotoAsync("/settings");
        }
        catch (PlaywrightException e) when (e.Message.Contains("ERR_ABORTED", StringComparison.Ordinal))
        {
            // The deputy's open page may be sent to sign-in by its own circuit while this navigation is on its way.
        }
        await deputy.WaitForURLAsync("**/signin**");
        Assert.DoesNotContain((await deputy.Context.CookiesAsync()), c => c.Name == "attune.console");
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task AViewerSeesTheKeysAndRetentionButNoCreateForm()
    {
        var (page, errors) = await OpenAsync();
        await SignInAsync(page, ViewerKey);
        await page.GotoAsync("/settings");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Settings");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("#keys")).ToContainTextAsync("ops");
        await Assertions.Expect(page.Locator("#keys-read-only")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("#create-key-form").CountAsync());
        Assert.Equal(0, await page.Locator("[id^=revoke-]").CountAsync());
        await Assertions.Expect(page.Locator("#retention-events")).ToContainTextAsync("No retention limit");
        await Assertions.Expect(page.Locator("#retention-models")).ToContainTextAsync("5 versions");
        await Assertions.Expect(page.Locator("#opted-out")).ToHaveTextAsync("0");
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task AnOpenConsolesFirstKeyMustBeAdminAndThenTheConsoleAsksForIt()
    {
        var (page, errors) = await OpenAsync(keys: false);
        await page.GotoAsync("/settings");
        await Assertions.Expect(page.Locator("#keys-status")).ToContainTextAsync("No key exists");
        await InteractiveAsync(page);
        await page.FillAsync("#key-name", "first");
        await page.CheckAsync("#scope-serve");
        await page.ClickAsync("#create-key");
        await Assertions.Expect(page.Locator("#key-errors")).ToContainTextAsync("must include admin");

        await page.UncheckAsync("#scope-serve");
        await page.CheckAsync("#scope-admin");
        await page.ClickAsync("#create-key");
        await Assertions.Expect(page.Locator("#sign-in-now")).ToBeVisibleAsync();
        string key = await NewKeyAsync(page);
        // The open circuit may no longer change anything: the form is gone.
        Assert.Equal(0, await page.Locator("#create-key-form").CountAsync());

        await page.ClickAsync("#sign-in-with-key");
        await page.WaitForURLAsync("**/signin**");
        await page.FillAsync("#key", key);
        await page.ClickAsync("#signin");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await page.GotoAsync("/settings");
        await Assertions.Expect(page.Locator("#keys")).ToContainTextAsync("(open server)");
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    /// <summary>The key the page shows once after "Create key"; fails with the page's own words when it refused.</summary>
    private static async Task<string> NewKeyAsync(IPage page)
    {
        await Assertions.Expect(page.Locator("#new-key, #key-errors").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        if (await page.Locator("#key-errors").CountAsync() > 0) Assert.Fail("the key was refused: " + await page.Locator("#key-errors").InnerTextAsync());
        return await page.Locator("#new-key").InputValueAsync();
    }
}
