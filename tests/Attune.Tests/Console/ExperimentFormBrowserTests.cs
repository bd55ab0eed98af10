using System.Text.Json;
using Microsoft.Playwright;

namespace Attune.Tests.Console;

/// <summary>The console's experiment form beyond an A/B test: more variants, scenarios, coverage, targeting and custom metrics.</summary>
public sealed class ExperimentFormBrowserTests : ConsoleJourney
{
    [Fact]
    public async Task AThreeWayTargetedExperimentWithACustomMetricIsCreatedAsADraftThenStarted()
    {
        using var api = Api();
        var (page, errors) = await SignedInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Experiments" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Experiments");
        await InteractiveAsync(page);

        await page.FillAsync("#exp-id", "three-way");
        await page.FillAsync("#exp-name", "Three recipes for French shoppers");
        await page.ClickAsync("#add-variant");
        await page.SelectOptionAsync("#variant-recipe-2", "non-personal");
        await page.CheckAsync("#exp-scenario-similar");
        await page.FillAsync("#exp-coverage", "0.8");
        // Bad JSON is named by its field before anything is stored.
        await page.FillAsync("#exp-targeting", "{\"country\": ");
        await page.ClickAsync("#create-draft");
        await Assertions.Expect(page.Locator("#experiment-errors")).ToContainTextAsync("targeting");
        await page.FillAsync("#exp-targeting", """{"country": "FR"}""");
        await page.FillAsync("#exp-custom", """[{"id": "carts", "kind": "binomial", "eventTypes": ["add_to_cart"]}]""");
        await page.CheckAsync("#exp-guardrail-empty-rate");
        await Browser.AccessibleAsync(page, "experiment form");
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("experiment-form"), FullPage = true });
        await page.ClickAsync("#create-draft");

        try
        {
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Experiment three-way");
        }
        catch (PlaywrightException)
        {
            string refused = await page.Locator("#experiment-errors").CountAsync() > 0 ? await page.Locator("#experiment-errors").InnerTextAsync() : "";
            Assert.Fail("the experiment was not created; the form says: " + refused);
        }
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("draft");
        var stored = JsonDocument.Parse(await api.GetStringAsync("/v1/experiments/three-way")).RootElement;
        Assert.Equal(3, stored.GetProperty("variants").GetArrayLength());
        Assert.Equal("non-personal", stored.GetProperty("variants")[2].GetProperty("recipe").GetString());
        Assert.Equal(0.8, stored.GetProperty("coverage").GetDouble(), 6);
        Assert.Equal("FR", stored.GetProperty("targeting").GetProperty("country").GetString());
        Assert.Equal(["for-you", "similar"], stored.GetProperty("scenarios").EnumerateArray().Select(s => s.GetString()!).ToArray());
        Assert.Contains("carts", stored.GetProperty("metrics").GetProperty("secondary").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("empty-rate", stored.GetProperty("metrics").GetProperty("guardrails").EnumerateArray().Select(s => s.GetString()));

        await page.ClickAsync("#start-experiment");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("running");
        NoErrors(errors);
    }

    [Fact]
    public async Task ARolloutStartedInTheConsoleIsRolledBackFromIt()
    {
        var (page, errors) = await SignedInAsync(); // first: it skips the test without Chromium
        using var api = Api();
        (await api.PutAsync("/v1/recipes/pop-only", new StringContent("""{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""",
            System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await page.GotoAsync("/experiments");
        await InteractiveAsync(page);

        await page.FillAsync("#rollout-id", "pop-ramp");
        await page.SelectOptionAsync("#rollout-what", "recipe:pop-only");
        await page.FillAsync("#rollout-steps", "10, 200");
        await page.ClickAsync("#start-rollout");
        await Assertions.Expect(page.Locator("#rollout-errors")).ToContainTextAsync("steps");
        await page.FillAsync("#rollout-steps", "10, 50, 100");
        await page.ClickAsync("#start-rollout");
        await Assertions.Expect(page.Locator("#rollout-message")).ToContainTextAsync("started at 10 %");
        await Assertions.Expect(page.Locator("[data-rollout-status=pop-ramp]")).ToHaveTextAsync("running");
        // People are routed by it at once.
        var answer = JsonDocument.Parse(await api.GetStringAsync("/v1/recommendations?userId=u00001&scenario=for-you&count=3")).RootElement;
        Assert.Equal("rollout:pop-ramp", answer.GetProperty("experiment").GetProperty("id").GetString());

        await page.ClickAsync("#rollback-pop-ramp");
        await Assertions.Expect(page.Locator("[data-rollout-status=pop-ramp]")).ToHaveTextAsync("rolled back");
        var stored = JsonDocument.Parse(await api.GetStringAsync("/v1/rollouts/pop-ramp")).RootElement;
        Assert.Equal("rolled-back", stored.GetProperty("status").GetString());
        Assert.Contains("console", stored.GetProperty("reason").GetString());
        await Browser.AccessibleAsync(page, "rollouts");
        NoErrors(errors);
    }
}
