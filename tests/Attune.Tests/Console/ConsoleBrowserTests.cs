using Attune.Tests.EndToEnd;
using Microsoft.Playwright;

namespace Attune.Tests.Console;

/// <summary>
/// The console in a real browser (Debian's Chromium through Playwright) against the real <c>attune serve</c> process with
/// API keys configured: sign-in, the overview's figures and live chart, no console errors. Screenshots go to
/// <c>artifacts/console/</c>.
/// </summary>
public sealed class ConsoleBrowserTests : IAsyncLifetime
{
    private const string AdminKey = "console-admin-key-0123456789";
    private const string ViewerKey = "console-viewer-key-0123456789";
    private const string ServeKey = "console-serve-key-0123456789";
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private AttuneProcess? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        if (Browser.ChromiumPath is null) return;
        var (code, output) = await AttuneProcess.RunAsync("demo", "--data", _dir.Path, "--users", "300", "--items", "150", "--days", "14");
        Assert.True(code == 0, output);
        _server = await AttuneProcess.ServeAsync(_dir.Path, new Dictionary<string, string>
        {
            ["ATTUNE__APIKEYS__0__NAME"] = "ops", ["ATTUNE__APIKEYS__0__KEY"] = AdminKey, ["ATTUNE__APIKEYS__0__SCOPES__0"] = "admin",
            ["ATTUNE__APIKEYS__1__NAME"] = "wall", ["ATTUNE__APIKEYS__1__KEY"] = ViewerKey, ["ATTUNE__APIKEYS__1__SCOPES__0"] = "viewer",
            ["ATTUNE__APIKEYS__2__NAME"] = "app", ["ATTUNE__APIKEYS__2__KEY"] = ServeKey, ["ATTUNE__APIKEYS__2__SCOPES__0"] = "serve",
        });
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<(IPage Page, List<string> Errors)> OpenAsync()
    {
        if (_browser is null) Assert.Skip(Browser.SkipReason);
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _server!.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);
        page.Response += (_, response) => { if (response.Status >= 400) errors.Add($"{response.Status} {response.Url}"); };
        return (page, errors);
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.FillAsync("#key", key);
        await page.ClickAsync("#signin");
    }

    /// <summary>Pages render first on the server, then connect their circuit: controls act only after that.</summary>
    private static Task InteractiveAsync(IPage page) =>
        Assertions.Expect(page.Locator("#console[data-interactive=true]")).ToBeVisibleAsync(new() { Timeout = 15_000 });

    [Fact]
    public async Task AnAdminKeySignsInAWrongKeyIsRefusedAndTheOverviewShowsLiveFigures()
    {
        var (page, errors) = await OpenAsync();
        // Nothing is shown without a key: the overview sends to sign-in.
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/signin**");
        Assert.DoesNotContain("events stored", await page.ContentAsync());

        await SignInAsync(page, "not-a-key-at-all-0000");
        await Assertions.Expect(page.Locator("#signin-error")).ToContainTextAsync("not one this server knows");
        await SignInAsync(page, ServeKey); // a key without the admin or viewer scope
        await Assertions.Expect(page.Locator("#signin-error")).ToBeVisibleAsync();

        await SignInAsync(page, AdminKey);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await Assertions.Expect(page.Locator("#model-version")).ToHaveTextAsync("v1");
        // The figures come from the engine and the store (the demo shop's 300 users).
        await Assertions.Expect(page.Locator(".attune-figure", new() { HasText = "users" })).ToContainTextAsync("300");
        // The chart renders (Radzen draws SVG) once the circuit is up.
        await Assertions.Expect(page.Locator(".rz-chart svg").First).ToBeVisibleAsync();
        // The session cookie is HttpOnly and SameSite=Strict.
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "attune.console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        // Answers served through the API show up live (the page refreshes every 5 s).
        using var api = new HttpClient { BaseAddress = _server!.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        for (int i = 0; i < 5; i++) (await api.GetAsync("/v1/recommendations?userId=u00001&count=3")).EnsureSuccessStatusCode();
        await Assertions.Expect(page.Locator("#answers")).Not.ToHaveTextAsync("0", new() { Timeout = 15_000 });
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("overview"), FullPage = true });
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task AViewerKeySignsInAndSignOutEndsTheSession()
    {
        var (page, errors) = await OpenAsync();
        await page.GotoAsync("/signin");
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("signin"), FullPage = true });
        await SignInAsync(page, ViewerKey);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await Assertions.Expect(page.GetByText("wall (viewer)")).ToBeVisibleAsync();
        await page.ClickAsync("text=Sign out");
        await page.WaitForURLAsync("**/signin**");
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/signin**");
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task AnAdminTrainsAVersionAndRollsBackToTheFirst()
    {
        var (page, errors) = await OpenAsync();
        await page.GotoAsync("/signin");
        await SignInAsync(page, AdminKey);
        await InteractiveAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Models" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Models");
        await Assertions.Expect(page.Locator("#active-version")).ToHaveTextAsync("v1");
        await InteractiveAsync(page);

        await page.ClickAsync("#train");
        await Assertions.Expect(page.Locator("#active-version")).ToHaveTextAsync("v2", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#versions")).ToContainTextAsync("v2 (active)");

        // Roll back: v1 is active again, here and in the API.
        await page.ClickAsync("#activate-v1");
        await Assertions.Expect(page.Locator("#active-version")).ToHaveTextAsync("v1", new() { Timeout = 30_000 });
        using var api = new HttpClient { BaseAddress = _server!.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        var answer = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/v1/recommendations?userId=u00001&count=3")).RootElement;
        Assert.Equal("v1", answer.GetProperty("modelVersion").GetString());
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("models"), FullPage = true });
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task EveryPageInTheNavigationRendersWithoutErrorsAndAViewerCannotChangeModels()
    {
        var (page, errors) = await OpenAsync();
        await page.GotoAsync("/signin");
        await SignInAsync(page, ViewerKey);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        var links = await page.Locator("nav a").AllAsync();
        var names = new List<string>();
        foreach (var link in links) names.Add((await link.InnerTextAsync()).Trim());
        Assert.Contains("Models", names);
        foreach (string name in names)
        {
            await InteractiveAsync(page);
            await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
        }
        // A viewer reads the models page but has nothing to press.
        await page.GotoAsync("/models");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Models");
        Assert.Equal(0, await page.Locator("#train").CountAsync());
        Assert.Equal(0, await page.Locator("[id^=activate-]").CountAsync());
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task APersonsProfileTimelineAndWhatTheySeeNow()
    {
        var (page, errors) = await OpenAsync();
        await page.GotoAsync("/signin");
        await SignInAsync(page, ViewerKey);
        await InteractiveAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "People" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("People");
        await page.FillAsync("#person-id", "u00001");
        await page.ClickAsync("#find");
        await Assertions.Expect(page.Locator("#person")).ToHaveTextAsync("u00001");
        // The timeline lists their events, newest first; each scenario answers with reasons.
        Assert.True(await page.Locator("#timeline tbody tr").CountAsync() > 0);
        await Assertions.Expect(page.Locator("ol[data-scenario=for-you] li").First).ToBeVisibleAsync();
        Assert.True(await page.Locator("ol[data-scenario=trending] li").CountAsync() > 0);
        // What-if: another recipe answers (the items come from it).
        await page.SelectOptionAsync("#whatif-recipe", "non-personal");
        await Assertions.Expect(page.Locator("#answers")).ToContainTextAsync("non-personal");
        await page.Locator("#answers").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("people"), FullPage = true });

        await page.FillAsync("#person-id", "nobody-here");
        await page.ClickAsync("#find");
        await Assertions.Expect(page.Locator("#not-found")).ToBeVisibleAsync();
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task APinRuleShowsFirstInThePreviewAndThenInTheApisAnswer()
    {
        var (page, errors) = await OpenAsync();
        await page.GotoAsync("/signin");
        await SignInAsync(page, AdminKey);
        await InteractiveAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Merchandising" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Merchandising");

        // Bad input is named by field before anything is stored.
        await page.FillAsync("#rule-id", "pin-fifth");
        await page.ClickAsync("#preview");
        await Assertions.Expect(page.Locator("#rule-errors")).ToContainTextAsync("itemId");

        // The fifth item of u00001's for-you list, pinned first: the preview shows it, then the API answers with it.
        await page.FillAsync("#rule-item", "placeholder");
        await page.ClickAsync("#preview");
        await Assertions.Expect(page.Locator("#preview-before li").Nth(4)).ToBeVisibleAsync();
        string fifth = (await page.Locator("#preview-before li").Nth(4).GetAttributeAsync("data-item"))!;
        await page.FillAsync("#rule-item", fifth);
        await page.ClickAsync("#preview");
        await Assertions.Expect(page.Locator("#preview-after li").First).ToHaveAttributeAsync("data-item", fifth);
        Assert.NotEqual(fifth, await page.Locator("#preview-before li").First.GetAttributeAsync("data-item"));
        await page.Locator("#preview-after").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("merchandising"), FullPage = true });

        await page.ClickAsync("#save-rule");
        await Assertions.Expect(page.Locator("#rule-message")).ToContainTextAsync("saved");
        await Assertions.Expect(page.Locator("#rules")).ToContainTextAsync("pin-fifth");
        using var api = new HttpClient { BaseAddress = _server!.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        var answer = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/v1/recommendations?userId=u00001&scenario=for-you&count=10&recipe=default")).RootElement;
        Assert.Equal(fifth, answer.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task AnExperimentCreatedInTheConsoleShowsResultsWithIntervals()
    {
        using var api = new HttpClient { BaseAddress = _server is null ? null : _server.BaseAddress };
        var (page, errors) = await OpenAsync();
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        (await api.PutAsync("/v1/recipes/pop-only", new StringContent("""{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""",
            System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        await page.GotoAsync("/signin");
        await SignInAsync(page, AdminKey);
        await InteractiveAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Experiments" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Experiments");
        // A missing id is named before anything is stored.
        await page.ClickAsync("#create-experiment");
        await Assertions.Expect(page.Locator("#experiment-errors")).ToContainTextAsync("id");
        await page.FillAsync("#exp-id", "console-ab");
        await page.FillAsync("#exp-name", "Popularity against personalization");
        await page.SelectOptionAsync("#exp-control", "pop-only");
        await page.SelectOptionAsync("#exp-treatment", "default");
        await page.ClickAsync("#create-experiment");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Experiment console-ab");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("running");

        // Shoppers arrive through the API; the treatment's buy more often.
        var rng = new Random(4);
        var events = new List<object>();
        for (int u = 1; u <= 240; u++)
        {
            string user = $"u{u:D5}";
            var answer = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync($"/v1/recommendations?userId={user}&scenario=for-you&count=3")).RootElement;
            string variant = answer.GetProperty("experiment").GetProperty("variant").GetString()!;
            if (rng.NextDouble() < (variant == "treatment" ? 0.6 : 0.3))
                events.Add(new { type = "purchase", userId = user, itemId = answer.GetProperty("items")[0].GetProperty("id").GetString(), value = 20 + rng.Next(80) });
        }
        (await api.PostAsync("/v1/events", new StringContent(System.Text.Json.JsonSerializer.Serialize(events), System.Text.Encoding.UTF8, "application/json")))
            .EnsureSuccessStatusCode();

        // The page refreshes itself: per metric and variant, the lift with its interval drawn as a bar.
        await Assertions.Expect(page.Locator("svg.attune-ci").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator(".attune-results")).ToContainTextAsync("conversion");
        await Assertions.Expect(page.Locator("#verdict-1")).Not.ToBeEmptyAsync();
        await page.Locator(".attune-results").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("experiment-results"), FullPage = true });

        await page.ClickAsync("#stop-experiment");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("stopped");
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }
}
