using System.Text.Json;
using Attune.Client;
using Attune.Tests.Console;
using Attune.Tests.EndToEnd;
using Microsoft.Playwright;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Attune.Tests.Tracker;

/// <summary>
/// <c>/sdk/attune.js</c> in a real browser (Debian's Chromium) on a small fake shop against the real <c>attune serve</c> with
/// keys. The shop's pages are fulfilled by Playwright at the Attune origin (<c>/shop/…</c>, which the server does not serve),
/// as when a reverse proxy serves the shop and Attune under one host; and on another origin (a second small Kestrel) with a
/// <c>client</c> key that lists it (CORS).
/// </summary>
public sealed class TrackerBrowserTests(TrackerBrowserTests.Fixture fixture) : IClassFixture<TrackerBrowserTests.Fixture>
{
    private const string AdminKey = "tracker-admin-key-0123456789";
    private const string IngestKey = "tracker-ingest-key-0123456789";
    private const string TokenSecret = "tracker-token-secret-0123456789-0123456789";

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
        internal AttuneProcess? Server { get; private set; }
        public IPlaywright? Playwright { get; private set; }
        public IBrowser? Browser { get; private set; }
        public AttuneClient Admin { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            if (Console.Browser.ChromiumPath is null) return;
            var (code, output) = await AttuneProcess.RunAsync("demo", "--data", _dir.Path, "--users", "300", "--items", "150", "--days", "14");
            Assert.True(code == 0, output);
            Server = await AttuneProcess.ServeAsync(_dir.Path, new Dictionary<string, string>
            {
                ["ATTUNE__APIKEYS__0__NAME"] = "ops", ["ATTUNE__APIKEYS__0__KEY"] = AdminKey, ["ATTUNE__APIKEYS__0__SCOPES__0"] = "admin",
                ["ATTUNE__APIKEYS__1__NAME"] = "web", ["ATTUNE__APIKEYS__1__KEY"] = IngestKey, ["ATTUNE__APIKEYS__1__SCOPES__0"] = "ingest",
                ["ATTUNE__USERTOKENSECRETS__0"] = TokenSecret,
            });
            Admin = new AttuneClient(Server.BaseAddress, AdminKey);
            (Playwright, Browser) = await Console.Browser.LaunchAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (Browser is not null) await Browser.DisposeAsync();
            Playwright?.Dispose();
            Admin?.Dispose();
            if (Server is not null) await Server.DisposeAsync();
            _dir.Dispose();
        }
    }

    /// <summary>A shop page that loads the tracker from Attune and records its page view.</summary>
    private static string ShopPage(string pageCall, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Shop</title><script src="/sdk/attune.js"></script></head>
        <body>
        <script>Attune.init({ key: '{{IngestKey}}', flushInterval: 200, retryDelay: 200 }); {{pageCall}}</script>
        {{body}}
        </body></html>
        """;

    private async Task<(IBrowserContext Context, IPage Page, List<string> Problems, List<string> Warnings)> OpenAsync()
    {
        if (fixture.Browser is null) Assert.Skip(Console.Browser.SkipReason);
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.Server!.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        var warnings = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error") problems.Add(m.Text);
            if (m.Type == "warning") warnings.Add(m.Text);
        };
        page.PageError += (_, e) => problems.Add(e);
        page.Response += (_, r) => { if (r.Status >= 400) problems.Add($"{r.Status} {r.Url}"); };
        return (context, page, problems, warnings);
    }

    [Fact]
    public async Task PageViewsAClickOnARecommendationAndSignInLandWithTheirIds()
    {
        var (context, page, problems, _) = await OpenAsync();
        await using var _ = context;
        RecommendationOutput? recommended = null;
        await context.RouteAsync("**/shop/**", async route =>
        {
            string path = new Uri(route.Request.Url).AbsolutePath;
            string html = path switch
            {
                "/shop/" => ShopPage("Attune.page();", "<h1>Home</h1>"),
                "/shop/product" => ShopPage("Attune.page({ itemId: 'i00042' });",
                    $"<h1>Product i00042</h1><ul id=\"recs\" data-attune-recommendation=\"{recommended!.RecommendationId}\">" +
                    string.Concat(recommended.Items.Select((item, i) => $"<li><a id=\"rec-{i}\" href=\"/shop/item/{item.Id}\" data-attune-item=\"{item.Id}\">{item.Id}</a></li>")) +
                    "</ul>"),
                _ => ShopPage($"Attune.page({{ itemId: '{path["/shop/item/".Length..]}' }});",
                    "<button id=\"signin\" onclick=\"Attune.identify('shop-user-1').then(function () { document.body.dataset.identified = 'yes'; })\">Sign in</button>"),
            };
            await route.FulfillAsync(new() { Status = 200, ContentType = "text/html; charset=utf-8", Body = html });
        });

        // A first visit: the tracker makes an anonymous id and keeps it in a first-party cookie.
        await page.GotoAsync("/shop/");
        await page.EvaluateAsync("Attune.flush()");
        string anonymousId = await page.EvaluateAsync<string>("Attune.anonymousId()");
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "attune_aid");
        Assert.Equal(anonymousId, Uri.UnescapeDataString(cookie.Value));
        Assert.Equal(SameSiteAttribute.Lax, cookie.SameSite);
        Assert.Equal(anonymousId, await page.EvaluateAsync<string>("localStorage.getItem('attune_aid')"));

        // The shop's back end asks Attune what to show on a product page for this visitor: a real answer with its id.
        recommended = await fixture.Admin.RecommendAsync(new RecommendationInput(AnonymousId: anonymousId, Scenario: "similar", ItemId: "i00042", Count: 4));
        Assert.Equal(4, recommended.Items.Length);
        await page.GotoAsync("/shop/product");
        Assert.Equal(anonymousId, await page.EvaluateAsync<string>("Attune.anonymousId()")); // the same visitor on the next page

        // A click on the second recommended item (a link: the page goes away, the click must still be sent).
        string clicked = recommended.Items[1].Id;
        await page.ClickAsync("#rec-1");
        await page.WaitForURLAsync($"**/shop/item/{clicked}");
        await page.ClickAsync("#signin");
        await Assertions.Expect(page.Locator("body[data-identified=yes]")).ToBeVisibleAsync();
        await page.EvaluateAsync("Attune.flush()");
        Assert.Equal(0, await page.EvaluateAsync<int>("Attune.pending()"));

        // The click is attributed to the answer, at the position it was shown.
        LoggedRecommendation? logged = null;
        for (int i = 0; i < 300 && (logged is null || logged.Events.Count == 0); i++) // up to 30 s: the whole suite loads the 2 cores
        {
            logged = await fixture.Admin.GetRecommendationAsync(recommended.RecommendationId);
            if (logged is null || logged.Events.Count == 0) await Task.Delay(100);
        }
        Assert.NotNull(logged);
        var click = Assert.Single(logged.Events);
        Assert.Equal(("click", clicked, 2), (click.Type, click.ItemId, click.Position));
        Assert.Equal(1, logged.Clicks);

        // Identify joined the visitor's page views and click to the user.
        var profile = await fixture.Admin.GetProfileAsync("shop-user-1");
        Assert.NotNull(profile);
        Assert.Contains(anonymousId, profile.AnonymousIds);
        Assert.Equal(2, profile.EventCounts["view"]); // the product page and the clicked item's page
        Assert.Equal(1, profile.EventCounts["click"]);
        Assert.Equal(1, profile.EventCounts.Where(kv => kv.Key.Contains("page_view")).Sum(kv => kv.Value));
        Assert.Contains("web", profile.Channels);
        Assert.Contains("desktop", profile.Devices);
        Assert.Contains(profile.RecentItems, r => r.ItemId == clicked);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task FailedSendsAreRetriedUntilTheyLandOnceAndRejectedOnesAreDroppedWithAWarning()
    {
        var (context, page, _, warnings) = await OpenAsync();
        await using var _ = context;
        await context.RouteAsync("**/shop/**", route => route.FulfillAsync(new() { Status = 200, ContentType = "text/html", Body = ShopPage("", "<h1>Retry</h1>") }));
        int eventPosts = 0, unavailable = 2;
        await context.RouteAsync("**/v1/events", async route =>
        {
            eventPosts++;
            if (unavailable-- > 0) await route.FulfillAsync(new() { Status = 503, ContentType = "application/problem+json", Body = """{"title":"Unavailable","status":503}""" });
            else await route.ContinueAsync();
        });
        await page.GotoAsync("/shop/");
        string visitor = await page.EvaluateAsync<string>("Attune.anonymousId()");

        await page.EvaluateAsync("['i00001', 'i00002', 'i00003'].forEach(function (id) { Attune.track('custom.wishlist_add', { itemId: id, list: 'summer' }); })");
        await page.WaitForFunctionAsync("Attune.pending() === 0", null, new() { Timeout = 20_000 });
        Assert.Equal(3, eventPosts); // two 503s, then the batch went through
        var profile = await fixture.Admin.GetProfileAsync(visitor, anonymous: true);
        Assert.Equal(3, profile!.EventCount); // stored once, not once per attempt

        // A batch the server rejects (a misspelt type) is not sent again: dropped with a warning.
        await page.EvaluateAsync("Attune.track('purchse', { itemId: 'i00001' }); Attune.flush()");
        await page.WaitForFunctionAsync("Attune.pending() === 0");
        await Task.Delay(1000);
        Assert.Equal(4, eventPosts);
        Assert.Contains(warnings, w => w.Contains("events dropped: 400"));
        Assert.Equal(3, (await fixture.Admin.GetProfileAsync(visitor, anonymous: true))!.EventCount);
    }

    [Fact]
    public async Task APageOnAnotherOriginSendsEventsAndSignsInWithAClientKeyAndAUserToken()
    {
        var (context, page, problems, warnings) = await OpenAsync();
        await using var _ = context;
        string attune = fixture.Server!.BaseAddress.GetLeftPart(UriPartial.Authority);
        // The shop: a second tiny Kestrel on two loopback ports, one listed by the key and one not (a page Playwright fulfils has
        // no address, so Chromium's local-network rules would refuse its calls to loopback; a real server's pages are loopback).
        string? html = null;
        var shopBuilder = WebApplication.CreateSlimBuilder();
        shopBuilder.WebHost.ConfigureKestrel(k => { k.Listen(System.Net.IPAddress.Loopback, 0); k.Listen(System.Net.IPAddress.Loopback, 0); });
        await using var shop = shopBuilder.Build();
        shop.Run(c => { c.Response.ContentType = "text/html; charset=utf-8"; return c.Response.WriteAsync(html!.Replace("ORIGIN", $"http://{c.Request.Host}")); });
        await shop.StartAsync();
        var ports = shop.Urls.Select(u => new Uri(u).Port).ToArray();
        string shopOrigin = $"http://127.0.0.1:{ports[0]}", otherOrigin = $"http://127.0.0.1:{ports[1]}";
        // A client key for the shop's origin, made as an operator would (POST /v1/keys with origins).
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        var created = await http.PostAsync("/v1/keys", new StringContent(
            $$"""{"name": "shop-client", "scopes": ["client"], "origins": ["{{shopOrigin}}"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        string clientKey = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
        string token = AttuneClient.ComputeUserToken(TokenSecret, "shop-user-2", DateTimeOffset.UtcNow.AddHours(1));
        // The shop's back end rendered the page with the signed-in user's token.
        string Page(string origin) => $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Shop</title><script src="{{attune}}/sdk/attune.js"></script></head>
            <body><h1>{{origin}}</h1>
            <script>
              Attune.init({ key: '{{clientKey}}', flushInterval: 200, retryDelay: 200 });
              Attune.page({ itemId: 'i00007' });
              window.signIn = function () { return Attune.identify('shop-user-2', { token: '{{token}}' }); };
            </script>
            </body></html>
            """;
        html = Page("ORIGIN");

        await page.GotoAsync(shopOrigin + "/shop/product");
        Assert.True(await page.EvaluateAsync<bool>("!!window.Attune"), "the tracker did not load: " + string.Join("; ", problems));
        string anonymousId = await page.EvaluateAsync<string>("Attune.anonymousId()");
        await page.EvaluateAsync("Attune.flush()");
        await page.EvaluateAsync("window.signIn()");
        await page.EvaluateAsync("Attune.track('add_to_cart', { itemId: 'i00007', value: 1 }); Attune.flush()");
        Assert.Equal(0, await page.EvaluateAsync<int>("Attune.pending()"));

        var profile = await fixture.Admin.GetProfileAsync("shop-user-2");
        Assert.NotNull(profile);
        Assert.Contains(anonymousId, profile.AnonymousIds);
        Assert.Equal(1, profile.EventCounts["view"]);
        Assert.Equal(1, profile.EventCounts["add_to_cart"]); // sent with the user id and its token
        Assert.Empty(problems);
        Assert.DoesNotContain(warnings, w => w.Contains("rejected") || w.Contains("failed"));

        // A site the key does not list: the browser's preflight finds no CORS headers, nothing is stored.
        // (Another browser context: cookies do not tell ports apart, so this one would reuse the signed-in visitor's id.)
        var (otherContext, other, _, _) = await OpenAsync();
        await using var __ = otherContext;
        await other.GotoAsync(otherOrigin + "/shop/");
        string stranger = await other.EvaluateAsync<string>("Attune.anonymousId()");
        await other.EvaluateAsync("Attune.flush().catch(function () { })");
        await Task.Delay(500);
        Assert.True(await other.EvaluateAsync<int>("Attune.pending()") > 0); // kept for a retry that cannot succeed
        Assert.Null(await fixture.Admin.GetProfileAsync(stranger, anonymous: true));
    }
}
