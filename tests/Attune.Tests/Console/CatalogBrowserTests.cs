using System.Text.Json;
using Microsoft.Playwright;

namespace Attune.Tests.Console;

/// <summary>The console's catalog in a real browser: search, an item's neighbours, and blocking an item for every answer.</summary>
public sealed class CatalogBrowserTests : ConsoleJourney
{
    [Fact]
    public async Task AnAdminFindsAnItemSeesItsNeighboursAndBlocksItFromEveryAnswer()
    {
        using var api = Api();
        var (page, errors) = await SignedInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Catalog" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Catalog");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("#catalog-count")).ToContainTextAsync("150 items match");

        // The most popular item is listed first; searching for its id finds it.
        string top = (await page.Locator("#catalog-items a[data-item]").First.GetAttributeAsync("data-item"))!;
        await page.FillAsync("#catalog-query", top);
        await page.ClickAsync("#catalog-search");
        await Assertions.Expect(page.Locator("#catalog-items a[data-item]").First).ToHaveAttributeAsync("data-item", top);
        await page.FillAsync("#catalog-query", "no-such-thing-anywhere");
        await page.ClickAsync("#catalog-search");
        await Assertions.Expect(page.Locator("#catalog-count")).ToContainTextAsync("0 items match");

        // Its page: facts, similar items and items bought with it, each answered by the engine.
        await page.GotoAsync($"/catalog/{top}");
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("#item-title")).ToContainTextAsync(top);
        await Assertions.Expect(page.Locator("#item-state")).ToHaveTextAsync("shown");
        await Assertions.Expect(page.Locator("#similar li").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#complementary li").First).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator($"#similar li[data-item='{top}']").CountAsync()); // never itself
        await page.Locator("#catalog-item").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Browser.Screenshot("catalog"), FullPage = true });
        await Browser.AccessibleAsync(page, "catalog");

        // A newcomer sees best sellers; once the item is blocked no answer carries it, and unblocking brings it back.
        const string popular = "/v1/recommendations?anonymousId=catalog-visitor&scenario=for-you&recipe=non-personal&count=10";
        Assert.Contains(top, Ids(await api.GetStringAsync(popular)));
        await page.ClickAsync("#toggle-blocked");
        await Assertions.Expect(page.Locator("#item-state")).ToHaveTextAsync("blocked");
        Assert.DoesNotContain(top, Ids(await api.GetStringAsync(popular)));
        var stored = JsonDocument.Parse(await api.GetStringAsync($"/v1/items/{top}")).RootElement;
        Assert.True(stored.GetProperty("blocked").GetBoolean());
        await page.ClickAsync("#toggle-blocked");
        await Assertions.Expect(page.Locator("#item-state")).ToHaveTextAsync("shown");
        Assert.Contains(top, Ids(await api.GetStringAsync(popular)));
        NoErrors(errors);
    }

    [Fact]
    public async Task AViewerBrowsesTheCatalogButCannotHideItems()
    {
        var (page, errors) = await SignedInAsync(ViewerKey);
        await page.GotoAsync("/catalog");
        await InteractiveAsync(page);
        string first = (await page.Locator("#catalog-items a[data-item]").First.GetAttributeAsync("data-item"))!;
        await page.Locator("#catalog-items a[data-item]").First.ClickAsync();
        await Assertions.Expect(page.Locator("#item-title")).ToContainTextAsync(first);
        Assert.Equal(0, await page.Locator("#toggle-hidden").CountAsync());
        Assert.Equal(0, await page.Locator("#toggle-blocked").CountAsync());
        await page.GotoAsync("/catalog/not-an-item");
        await Assertions.Expect(page.Locator("#catalog-missing")).ToBeVisibleAsync();
        NoErrors(errors);
    }

    private static List<string> Ids(string answer)
    {
        var ids = new List<string>();
        foreach (var item in JsonDocument.Parse(answer).RootElement.GetProperty("items").EnumerateArray()) ids.Add(item.GetProperty("id").GetString()!);
        return ids;
    }
}
