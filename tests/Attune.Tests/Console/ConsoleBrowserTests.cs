using Attune.Tests.EndToEnd;
using Microsoft.Playwright;

namespace Attune.Tests.Console;

/// <summary>
/// The console in a real browser (Debian's Chromium through Playwright) against the real <c>attune serve</c> process with
/// API keys configured: sign-in, the overview's figures and live chart, models, people, rules and experiments, no console
/// errors. Screenshots go to <c>artifacts/console/</c>.
/// </summary>
public sealed class ConsoleBrowserTests : ConsoleJourney
{
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
        // Today's figures come from a background read of the store, shared by every open console.
        await Assertions.Expect(page.Locator("#people-today")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[\d,]+$"), new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#figures-at")).ToContainTextAsync("Store figures as of");
        // The chart renders (Radzen draws SVG) once the circuit is up.
        await Assertions.Expect(page.Locator(".rz-chart svg").First).ToBeVisibleAsync();
        // The session cookie is HttpOnly and SameSite=Strict.
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "attune.console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        // Answers served through the API show up live (the page refreshes every 5 s).
        using var api = new HttpClient { BaseAddress = Server!.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        for (int i = 0; i < 5; i++) (await api.GetAsync("/v1/recommendations?userId=u00001&count=3")).EnsureSuccessStatusCode();
        await Assertions.Expect(page.Locator("#answers")).Not.ToHaveTextAsync("0", new() { Timeout = 15_000 });
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("overview"), FullPage = true });
        await Browser.AccessibleAsync(page, "overview");
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task AViewerKeySignsInAndSignOutEndsTheSession()
    {
        var (page, errors) = await OpenAsync();
        await page.GotoAsync("/signin");
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("signin"), FullPage = true });
        await Browser.AccessibleAsync(page, "signin");
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
        await Assertions.Expect(page.Locator("#tune")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#tunings-none")).ToContainTextAsync("no tuning has run yet");

        await page.ClickAsync("#train");
        await Assertions.Expect(page.Locator("#active-version")).ToHaveTextAsync("v2", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#versions")).ToContainTextAsync("v2 (active)");

        // Roll back: v1 is active again, here and in the API.
        await page.ClickAsync("#activate-v1");
        await Assertions.Expect(page.Locator("#active-version")).ToHaveTextAsync("v1", new() { Timeout = 30_000 });
        using var api = new HttpClient { BaseAddress = Server!.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        var answer = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/v1/recommendations?userId=u00001&count=3")).RootElement;
        Assert.Equal("v1", answer.GetProperty("modelVersion").GetString());
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("models"), FullPage = true });
        await Browser.AccessibleAsync(page, "models");
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
            await InteractiveAsync(page);
            await Browser.AccessibleAsync(page, name);
        }
        // A viewer reads the models page but has nothing to press.
        await page.GotoAsync("/models");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Models");
        Assert.Equal(0, await page.Locator("#train").CountAsync());
        Assert.Equal(0, await page.Locator("#tune").CountAsync());
        // The self-tuning section says what the active version's tuning chose, or that none ran.
        Assert.Equal(1, await page.Locator("#tunings, #tunings-none").CountAsync());
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
        await Browser.AccessibleAsync(page, "people");

        // What-if a budget: every item shown is priced within it.
        await page.FillAsync("#whatif-budget", "40");
        await page.Locator("#whatif-budget").BlurAsync();
        // The answers re-render over the circuit: wait until the for-you list is there and every item shown is within budget.
        await page.WaitForFunctionAsync("""
            () => document.querySelectorAll('ol[data-scenario=for-you] li').length > 0
               && [...document.querySelectorAll('#answers li')].every(li => li.dataset.price !== undefined && parseFloat(li.dataset.price) <= 40)
            """, null, new() { Timeout = 15_000 });

        // A visitor found by their anonymous id.
        using (var api = Api())
            (await api.PostAsync("/v1/events", new StringContent("""[{"type": "view", "anonymousId": "console-visitor-7", "itemId": "i00003"}]""",
                System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await page.FillAsync("#person-id", "console-visitor-7");
        await page.CheckAsync("#person-anonymous");
        await page.ClickAsync("#find");
        await Assertions.Expect(page.Locator("#person-via")).ToContainTextAsync("not linked to a user yet");
        await Assertions.Expect(page.Locator("#timeline")).ToContainTextAsync("i00003");
        await page.UncheckAsync("#person-anonymous");

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
        await Browser.AccessibleAsync(page, "merchandising");

        await page.ClickAsync("#save-rule");
        await Assertions.Expect(page.Locator("#rule-message")).ToContainTextAsync("saved");
        await Assertions.Expect(page.Locator("#rules")).ToContainTextAsync("pin-fifth");
        // The rule's history shows who made it, from where.
        await Assertions.Expect(page.Locator("#rule-history")).ToContainTextAsync("created");
        await Assertions.Expect(page.Locator("#rule-history")).ToContainTextAsync("ops (console)");
        using var api = new HttpClient { BaseAddress = Server!.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        var answer = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/v1/recommendations?userId=u00001&scenario=for-you&count=10&recipe=default")).RootElement;
        Assert.Equal(fifth, answer.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task ARecipeAndAnExperimentWithItCreatedInTheConsoleShowResultsWithIntervals()
    {
        using var api = Api();
        var (page, errors) = await SignedInAsync();

        // The recipe, written in the console's editor: checked as typed, previewed beside the default, saved.
        await page.GetByRole(AriaRole.Link, new() { Name = "Recipes" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Recipes");
        await InteractiveAsync(page);
        await page.FillAsync("#recipe-name", "pop-only");
        await page.FillAsync("#recipe-json", """{"scenarios": {"for-you": {"sources": {"popularity": 1, "nonsense": 2}}}}""");
        await Assertions.Expect(page.Locator("#recipe-errors")).ToContainTextAsync("nonsense");
        await page.FillAsync("#recipe-json", """{"description": "Best sellers only", "scenarios": {"for-you": {"sources": {"popularity": 1}}}}""");
        await Assertions.Expect(page.Locator("#recipe-valid")).ToBeVisibleAsync();
        await page.ClickAsync("#preview");
        await Assertions.Expect(page.Locator("#preview-left li").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#preview-right li").First).ToBeVisibleAsync();
        await page.Locator("#preview-left").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("recipes"), FullPage = true });
        await Browser.AccessibleAsync(page, "recipes");
        await page.ClickAsync("#save-recipe");
        await Assertions.Expect(page.Locator("#recipe-message")).ToContainTextAsync("version 1");
        await Assertions.Expect(page.Locator("#recipes")).ToContainTextAsync("pop-only");
        var stored = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/v1/recipes/pop-only")).RootElement;
        Assert.Equal("Best sellers only", stored.GetProperty("description").GetString());
        // The draft's preview is what the saved recipe answers.
        var popular = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/v1/recommendations?userId=u00001&scenario=for-you&count=10&recipe=pop-only")).RootElement;
        Assert.Equal(popular.GetProperty("items")[0].GetProperty("id").GetString(), await page.Locator("#preview-left li").First.GetAttributeAsync("data-item"));

        await InteractiveAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Experiments" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Experiments");
        // A missing id is named before anything is stored.
        await page.ClickAsync("#create-experiment");
        await Assertions.Expect(page.Locator("#experiment-errors")).ToContainTextAsync("id");
        await page.FillAsync("#exp-id", "console-ab");
        await page.FillAsync("#exp-name", "Popularity against personalization");
        await page.SelectOptionAsync("#variant-recipe-0", "pop-only");
        await page.SelectOptionAsync("#variant-recipe-1", "default");
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
        // Snapshots are kept while it runs (every 3 s here): the API lists them and the page charts the lift over time.
        int snapshots = 0;
        for (int i = 0; i < 60 && snapshots < 2; i++, await Task.Delay(500))
            snapshots = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/v1/experiments/console-ab/history")).RootElement.GetArrayLength();
        Assert.True(snapshots >= 2, $"{snapshots} results snapshots after 30 s");
        await Assertions.Expect(page.Locator("#lift-over-time svg").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await page.Locator(".attune-results").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("experiment-results"), FullPage = true });
        await Browser.AccessibleAsync(page, "experiment-results");

        await page.ClickAsync("#stop-experiment");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("stopped");
        Assert.True(errors.Count == 0, "browser console errors:\n" + string.Join("\n", errors));
    }
}
