using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Attune.Tests.EndToEnd;

/// <summary>
/// Real-time serving against the real <c>attune serve</c> process over a small demo shop: filters, guardrails, consent,
/// sessions, identity, rules, attribution and hot swaps, all through HTTP. Each test has its own process and store.
/// </summary>
public sealed class ServingEndToEndTests
{
    private static async Task<(AttuneProcess Server, TempDirectory Dir)> StartAsync()
    {
        var dir = TestPaths.NewTempDirectory();
        var (code, output) = await AttuneProcess.RunAsync("demo", "--data", dir.Path, "--users", "1500", "--items", "400", "--days", "30");
        Assert.True(code == 0, output);
        return (await AttuneProcess.ServeAsync(dir.Path), dir);
    }

    private static async Task<JsonElement> RecommendAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/v1/recommendations", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static List<string> Ids(JsonElement answer) => answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();

    private static async Task PostEventsAsync(HttpClient client, params object[] events)
    {
        var response = await client.PostAsJsonAsync("/v1/events", events);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<List<JsonElement>> CatalogAsync(HttpClient client)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/items?limit=1000{(cursor is null ? "" : "&cursor=" + cursor)}");
            items.AddRange(page.GetProperty("data").EnumerateArray().Select(e => e.Clone()));
            cursor = page.TryGetProperty("nextCursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        } while (cursor is not null);
        return items;
    }

    /// <summary>One generated filter: its text and an independent check of an item's JSON.</summary>
    private sealed record GeneratedFilter(string Text, Func<JsonElement, double, bool> Accepts);

    private static GeneratedFilter Generate(Random rng, string[] departments, string[] brands, string[] tags)
    {
        var parts = new List<GeneratedFilter>();
        int n = rng.Next(1, 4);
        for (int k = 0; k < n; k++)
        {
            switch (rng.Next(6))
            {
                case 0:
                {
                    double max = Math.Round(10 + rng.NextDouble() * 300, 2);
                    parts.Add(new($"price <= {max.ToString(CultureInfo.InvariantCulture)}", (i, _) => Price(i) is { } p && p <= max));
                    break;
                }
                case 1:
                {
                    string d = departments[rng.Next(departments.Length)];
                    parts.Add(new($"categories startsWith \"{d}\"", (i, _) => Categories(i).Any(c => c == d || c.StartsWith(d + "/", StringComparison.Ordinal))));
                    break;
                }
                case 2:
                {
                    var chosen = brands.OrderBy(_ => rng.Next()).Take(rng.Next(2, 6)).ToArray();
                    parts.Add(new($"brand in [{string.Join(", ", chosen.Select(b => $"\"{b}\""))}]",
                        (i, _) => i.TryGetProperty("brand", out var b) && chosen.Contains(b.GetString(), StringComparer.OrdinalIgnoreCase)));
                    break;
                }
                case 3:
                    parts.Add(new("inStock", (i, _) => !i.TryGetProperty("inStock", out var s) || s.GetBoolean()));
                    break;
                case 4:
                {
                    string t = tags[rng.Next(tags.Length)];
                    parts.Add(new($"not tags contains \"{t}\"", (i, _) => !Tags(i).Contains(t, StringComparer.OrdinalIgnoreCase)));
                    break;
                }
                default:
                    parts.Add(new("price <= context.budget", (i, budget) => Price(i) is { } p && p <= budget));
                    break;
            }
        }
        bool or = n > 1 && rng.Next(3) == 0;
        string text = string.Join(or ? " or " : " and ", parts.Select(p => $"({p.Text})"));
        return new GeneratedFilter(text, (i, budget) => or ? parts.Any(p => p.Accepts(i, budget)) : parts.All(p => p.Accepts(i, budget)));

        static double? Price(JsonElement i) => i.TryGetProperty("price", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
        static IEnumerable<string> Categories(JsonElement i) =>
            i.TryGetProperty("categories", out var c) ? c.EnumerateArray().Select(x => x.GetString()!) : [];
        static IEnumerable<string> Tags(JsonElement i) => i.TryGetProperty("tags", out var c) ? c.EnumerateArray().Select(x => x.GetString()!) : [];
    }

    [Fact]
    public async Task EveryResultPassesItsFilterAndFullListsComeBackWhenEnoughItemsPass()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var catalog = await CatalogAsync(server.Client);
        var byId = catalog.ToDictionary(i => i.GetProperty("id").GetString()!);
        string[] departments = catalog.SelectMany(i => i.GetProperty("categories").EnumerateArray().Select(c => c.GetString()!.Split('/')[0])).Distinct().ToArray();
        string[] brands = catalog.Where(i => i.TryGetProperty("brand", out _)).Select(i => i.GetProperty("brand").GetString()!).Distinct().ToArray();
        string[] tags = catalog.Where(i => i.TryGetProperty("tags", out _)).SelectMany(i => i.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)).Distinct().ToArray();
        var rng = new Random(20261127);
        string[] scenarios = ["for-you", "similar", "trending", "new-arrivals", "because-you-viewed"];
        int checkedItems = 0, fullLists = 0;
        for (int k = 0; k < 150; k++)
        {
            var filter = Generate(rng, departments, brands, tags);
            double budget = Math.Round(20 + rng.NextDouble() * 200, 2);
            string scenario = scenarios[k % scenarios.Length];
            string user = $"u{rng.Next(1, 1500):D5}";
            var answer = await RecommendAsync(server.Client, new
            {
                userId = user, scenario, count = 20, filter = filter.Text, context = new { budget }, explain = false,
                itemId = scenario == "similar" ? catalog[rng.Next(catalog.Count)].GetProperty("id").GetString() : null,
            });
            var ids = Ids(answer);
            foreach (string id in ids)
            {
                Assert.True(filter.Accepts(byId[id], budget), $"{id} fails '{filter.Text}' (budget {budget}) in {scenario}");
                checkedItems++;
            }
            // Candidates are the whole catalog for for-you: when plenty of items pass, the list is full.
            int passing = catalog.Count(i => filter.Accepts(i, budget) && !(i.TryGetProperty("hidden", out var h) && h.GetBoolean()));
            if (scenario == "for-you" && passing >= 100)
            {
                Assert.True(ids.Count == 20, $"'{filter.Text}': {passing} items pass but {ids.Count} came back");
                fullLists++;
            }
        }
        Assert.True(checkedItems > 1000, $"only {checkedItems} items checked");
        Assert.True(fullLists > 5);
    }

    [Fact]
    public async Task FrequencyCapSuppressesAnItemShownThreeTimesWithoutEngagement()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var first = await RecommendAsync(server.Client, new { anonymousId = "cap-visitor", count = 10 });
        string shown = Ids(first)[0];
        for (int k = 0; k < 3; k++)
            await PostEventsAsync(server.Client, new { type = "impression", anonymousId = "cap-visitor", itemId = shown, recommendationId = first.GetProperty("recommendationId").GetString() });
        var after = await RecommendAsync(server.Client, new { anonymousId = "cap-visitor", count = 10 });
        Assert.DoesNotContain(shown, Ids(after));
        // Someone else still gets it: the cap is per person.
        Assert.Contains(shown, Ids(await RecommendAsync(server.Client, new { anonymousId = "other-visitor", count = 10 })));
    }

    [Fact]
    public async Task APurchasedItemIsNotRecommendedAgain()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var similar = await RecommendAsync(server.Client, new { userId = "u00007", scenario = "similar", itemId = "i00010", count = 10 });
        string bought = Ids(similar)[0];
        await PostEventsAsync(server.Client, new { type = "purchase", userId = "u00007", itemId = bought, value = 1 });
        Assert.DoesNotContain(bought, Ids(await RecommendAsync(server.Client, new { userId = "u00007", scenario = "similar", itemId = "i00010", count = 10 })));
        Assert.DoesNotContain(bought, Ids(await RecommendAsync(server.Client, new { userId = "u00007", count = 50 })));
        // Another person viewing the same page still sees it.
        Assert.Contains(bought, Ids(await RecommendAsync(server.Client, new { anonymousId = "a-stranger", scenario = "similar", itemId = "i00010", count = 10 })));
    }

    [Fact]
    public async Task ConsentOffGivesNonPersonalizedResultsExplainedAsSuch()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var before = await RecommendAsync(server.Client, new { userId = "u00011", count = 10 });
        Assert.True(before.GetProperty("personalized").GetBoolean());

        var response = await server.Client.PostAsJsonAsync("/v1/users", new { id = "u00011", consent = new { personalization = false } });
        Assert.True(response.IsSuccessStatusCode);
        var after = await RecommendAsync(server.Client, new { userId = "u00011", count = 10 });
        var anonymous = await RecommendAsync(server.Client, new { anonymousId = "someone-new", count = 10 });

        Assert.False(after.GetProperty("personalized").GetBoolean());
        Assert.All(after.GetProperty("items").EnumerateArray(), i =>
            Assert.Contains(i.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("personalization off")));
        // The same list a stranger gets: nothing of the person's history was used.
        Assert.Equal(Ids(anonymous), Ids(after));
        Assert.NotEqual(Ids(before), Ids(after));
    }

    /// <remarks>Through the typed client (<c>Attune.Client</c>), as a shop's back end would call it.</remarks>
    [Fact]
    public async Task AnAnonymousSessionChangesAfterEachViewAndIdentifyCarriesItToTheUser()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var attune = server.Api;
        var cold = await attune.RecommendAsync(new RecommendationInput(AnonymousId: "sess-1", Count: 10, Context: new() { ["device"] = "mobile" }));
        Assert.False(cold.Personalized);

        await attune.SendEventAsync(new EventInput("view", AnonymousId: "sess-1", ItemId: "i00042"));
        var one = await attune.RecommendAsync(new RecommendationInput(AnonymousId: "sess-1", Count: 10));
        Assert.True(one.Personalized);
        Assert.NotEqual(Ids(cold), Ids(one));
        Assert.DoesNotContain("i00042", Ids(one));

        await attune.SendEventAsync(new EventInput("view", AnonymousId: "sess-1", ItemId: "i00300"));
        var two = await attune.RecommendAsync(new RecommendationInput(AnonymousId: "sess-1", Count: 10));
        Assert.NotEqual(Ids(one), Ids(two));
        string title = (await attune.GetItemAsync("i00300"))!.Title!;
        Assert.Contains(two.Items, i => i.Reasons.Any(r => r.Contains(title)));

        // Sign-in: a brand-new user gets the session's history.
        var identify = await attune.IdentifyAsync("sess-1", "fresh-user");
        Assert.Equal(2, identify.MovedEvents);
        var user = await attune.RecommendAsync(new RecommendationInput(UserId: "fresh-user", Count: 10));
        Assert.True(user.Personalized);
        Assert.True(Ids(two).Intersect(Ids(user)).Count() >= 7, $"{string.Join(",", Ids(two))} vs {string.Join(",", Ids(user))}");
        // Events that still carry only the anonymous id land on the user too.
        await attune.SendEventAsync(new EventInput("purchase", AnonymousId: "sess-1", ItemId: Ids(user)[0]));
        Assert.DoesNotContain(Ids(user)[0], Ids(await attune.RecommendAsync(new RecommendationInput(UserId: "fresh-user", Count: 10))));
    }

    private static List<string> Ids(RecommendationOutput answer) => answer.Items.Select(i => i.Id).ToList();

    [Fact]
    public async Task AReasonNamingAnItemWhoseTitleAnotherItemSharesNamesItsId()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var attune = server.Api;
        var anchor = (await attune.GetItemAsync("i00300"))!;
        await attune.SendEventAsync(new EventInput("view", AnonymousId: "twin-sess", ItemId: "i00300"));
        var before = await attune.RecommendAsync(new RecommendationInput(AnonymousId: "twin-sess", Count: 10));
        Assert.Contains(before.Items, i => i.Reasons.Any(r => r.Contains(anchor.Title!) && !r.Contains("(i00300)")));
        // Whatever the text, the items a reason names are listed by id.
        Assert.All(before.Items.Where(i => i.Reasons.Any(r => r.Contains(anchor.Title!))), i => Assert.Contains("i00300", i.ReasonItems ?? []));

        // Another item with the same title: "Because you viewed <title>" would not say which one.
        var twin = await server.Client.PostAsJsonAsync("/v1/items", new { id = "twin-of-300", title = anchor.Title!.ToUpperInvariant() });
        Assert.True(twin.IsSuccessStatusCode, await twin.Content.ReadAsStringAsync());
        var after = await attune.RecommendAsync(new RecommendationInput(AnonymousId: "twin-sess", Count: 10));
        var naming = after.Items.SelectMany(i => i.Reasons).Where(r => r.Contains(anchor.Title!, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(naming);
        Assert.All(naming, r => Assert.Contains($"{anchor.Title} (i00300)", r));
    }

    [Fact]
    public async Task RulesPinBoostAndBlockTakeEffectWithoutRestart()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        object Ask() => new { userId = "u00020", scenario = "similar", itemId = "i00100", count = 10, fields = new[] { "brand" } };
        var baseline = await RecommendAsync(server.Client, Ask());
        var ids = Ids(baseline);

        // Pin an item that was not in the list at position 2.
        var elsewhere = Ids(await RecommendAsync(server.Client, new { userId = "u00020", scenario = "similar", itemId = "i00200", count = 20 }));
        string pinned = elsewhere.First(id => !ids.Contains(id) && id != "i00100");
        var put = await server.Client.PutAsJsonAsync("/v1/rules/pin-1", new { action = "pin", itemId = pinned, position = 2, scenarios = new[] { "similar" } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var withPin = await RecommendAsync(server.Client, Ask());
        Assert.Equal(pinned, Ids(withPin)[1]);
        // A pinned item is there because of the rule, and says so (issue 11: not "Picked for you from your activity").
        Assert.Equal(new[] { "Promoted: pinned by a merchandising rule" },
            withPin.GetProperty("items")[1].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToArray());
        Assert.DoesNotContain(withPin.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("id").GetString() != pinned),
            i => i.GetProperty("reasons").EnumerateArray().Any(r => r.GetString()!.StartsWith("Promoted", StringComparison.Ordinal)));

        // Block the first item.
        put = await server.Client.PostAsJsonAsync("/v1/rules", new { id = "block-1", action = "exclude", filter = $"id = \"{ids[0]}\"" });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.DoesNotContain(ids[0], Ids(await RecommendAsync(server.Client, Ask())));

        // Boost the brand of the last item strongly: its items move up.
        string brand = baseline.GetProperty("items").EnumerateArray().Last().GetProperty("brand").GetString()!;
        double MeanPosition(JsonElement answer) => answer.GetProperty("items").EnumerateArray()
            .Select((i, p) => (Brand: i.GetProperty("brand").GetString(), p)).Where(x => x.Brand == brand).Select(x => (double)x.p).DefaultIfEmpty(99).Average();
        double before = MeanPosition(await RecommendAsync(server.Client, Ask()));
        put = await server.Client.PutAsJsonAsync("/v1/rules/boost-1", new { action = "boost", filter = $"brand = \"{brand}\"", weight = 5 });
        Assert.True(put.IsSuccessStatusCode);
        var afterBoost = await RecommendAsync(server.Client, Ask());
        double boosted = MeanPosition(afterBoost);
        Assert.True(boosted < before, $"brand {brand}: mean position {before} before, {boosted} boosted");
        // Boosted items say first that they are promoted, then why the sources chose them; the others do not.
        foreach (var item in afterBoost.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("id").GetString() != pinned))
        {
            var reasons = item.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList();
            bool promoted = reasons[0] == "Promoted by a merchandising rule";
            Assert.True(promoted == (item.GetProperty("brand").GetString() == brand), $"{item}");
            if (promoted) Assert.True(reasons.Count >= 2, $"{item}");
        }

        // Rules are listed and persist; deleting the pin removes it.
        var rules = await server.Client.GetFromJsonAsync<JsonElement>("/v1/rules");
        Assert.Equal(3, rules.GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync("/v1/rules/pin-1")).StatusCode);
        Assert.NotEqual(pinned, Ids(await RecommendAsync(server.Client, Ask()))[1]);
    }

    [Fact]
    public async Task HotSwapsUnderLoadFailNoRequest()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        using var cts = new CancellationTokenSource();
        int ok = 0, failed = 0;
        var versions = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var load = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            int k = 0;
            while (!cts.IsCancellationRequested)
            {
                var r = await client.GetAsync($"/v1/recommendations?userId=u{(w * 300 + k++ % 300) + 1:D5}&count=20&filter=inStock");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref ok);
                    var body = await r.Content.ReadFromJsonAsync<JsonElement>();
                    versions[body.GetProperty("modelVersion").GetString()!] = 0;
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    errors.Enqueue($"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
                }
            }
        })).ToArray();

        for (int round = 0; round < 2; round++)
        {
            var trained = await server.Client.PostAsync("/v1/models/train?wait=true", null);
            Assert.True(trained.IsSuccessStatusCode, await trained.Content.ReadAsStringAsync());
        }
        var rollback = await server.Client.PostAsync("/v1/models/v1/activate", null);
        Assert.True(rollback.IsSuccessStatusCode, await rollback.Content.ReadAsStringAsync());
        await Task.Delay(500);
        cts.Cancel();
        await Task.WhenAll(load);

        Assert.True(failed == 0, string.Join("\n", errors.Take(5)));
        Assert.True(ok > 100, $"only {ok} requests");
        Assert.True(versions.Count >= 2, string.Join(", ", versions.Keys));
        var models = await server.Client.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("v1", models.GetProperty("active").GetString());
        Assert.Equal(3, models.GetProperty("versions").GetArrayLength());
    }

    /// <remarks>Through the typed client (<c>Attune.Client</c>).</remarks>
    [Fact]
    public async Task ClicksCarryingTheRecommendationIdAreAttributedToWhatWasShown()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var attune = server.Api;
        var answer = await attune.RecommendAsync(new RecommendationInput(UserId: "u00030", Count: 5));
        string id = answer.RecommendationId;
        string clicked = Ids(answer)[2];
        var sent = await attune.SendEventsAsync([
            new EventInput("click", UserId: "u00030", ItemId: clicked, RecommendationId: id),
            new EventInput("purchase", UserId: "u00030", ItemId: clicked, RecommendationId: id, Value: 1)]);
        Assert.Equal(2, sent.Accepted);
        LoggedRecommendation? logged = null;
        for (int attempt = 0; attempt < 50 && logged is null; attempt++)
        {
            logged = await attune.GetRecommendationAsync(id);
            if (logged is null) await Task.Delay(100);
        }
        Assert.NotNull(logged);
        Assert.Equal(Ids(answer), logged.Items);
        Assert.Equal(1, logged.Clicks);
        Assert.Equal(1, logged.Purchases);
        Assert.All(logged.Events, e => Assert.Equal(3, e.Position));
    }

    [Fact]
    public async Task HomeRowsRankAndTheOtherScenariosAnswerSensibly()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var home = await RecommendAsync(server.Client, new { userId = "u00005", scenario = "home-rows", count = 6 });
        var rows = home.GetProperty("rows").EnumerateArray().ToList();
        Assert.True(rows.Count >= 4, home.ToString());
        var all = rows.SelectMany(r => r.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString())).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("title").GetString())));

        var some = Ids(await RecommendAsync(server.Client, new { anonymousId = "x", scenario = "trending", count = 3 }));
        var rank = await server.Client.PostAsJsonAsync("/v1/rank", new { userId = "u00005", candidates = some.Append("nope-item").ToArray() });
        var ranked = await rank.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(some.Order().ToList(), Ids(ranked).Order().ToList());
        Assert.Equal("nope-item", ranked.GetProperty("unknown")[0].GetString());

        foreach (string scenario in new[] { "trending", "new-arrivals", "because-you-viewed", "cart-recovery" })
        {
            var answer = await RecommendAsync(server.Client, new { userId = "u00005", scenario, count = 5 });
            Assert.All(answer.GetProperty("items").EnumerateArray(), i => Assert.NotEmpty(i.GetProperty("reasons").EnumerateArray()));
        }
        var complementary = await RecommendAsync(server.Client, new { scenario = "complementary", itemIds = new[] { "i00001" }, count = 5, fields = new[] { "categories" } });
        var anchor = await server.Client.GetFromJsonAsync<JsonElement>("/v1/items/i00001");
        string category = anchor.GetProperty("categories")[0].GetString()!;
        Assert.All(complementary.GetProperty("items").EnumerateArray(), i => Assert.NotEqual(category, i.GetProperty("categories")[0].GetString()));
    }

    [Fact]
    public async Task ANewItemIsRecommendableByContentBeforeAnyoneTouchesIt()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        var anchor = await server.Client.GetFromJsonAsync<JsonElement>("/v1/items/i00042");
        var created = await server.Client.PostAsJsonAsync("/v1/items", new
        {
            id = "brand-new-sku",
            title = anchor.GetProperty("title").GetString(),
            categories = anchor.GetProperty("categories"),
            brand = "Brandnew",
            price = 10.0,
        });
        Assert.True(created.IsSuccessStatusCode);
        // The content model is refit in the background within seconds of the catalog growing.
        JsonElement found = default;
        for (int attempt = 0; attempt < 50 && found.ValueKind != JsonValueKind.Object; attempt++)
        {
            var answer = await RecommendAsync(server.Client, new { scenario = "similar", itemId = "i00042", count = 1, filter = "brand = \"Brandnew\"" });
            var items = answer.GetProperty("items");
            if (items.GetArrayLength() == 1 && items[0].GetProperty("reasons").EnumerateArray().Any(r => r.GetString()!.StartsWith("Similar to", StringComparison.Ordinal)))
                found = items[0].Clone();
            else await Task.Delay(200);
        }
        Assert.Equal(JsonValueKind.Object, found.ValueKind);
        Assert.Equal("brand-new-sku", found.GetProperty("id").GetString());
        // And as a product page of its own it has similar items at once.
        var own = await RecommendAsync(server.Client, new { scenario = "similar", itemId = "brand-new-sku", count = 5 });
        Assert.Equal(5, own.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task NoCategoryOrBrandFillsAListWhenOthersAreAvailable()
    {
        var (server, dir) = await StartAsync();
        await using var serverScope = server;
        using var dirScope = dir;
        for (int u = 1; u <= 30; u++)
        {
            var answer = await RecommendAsync(server.Client, new { userId = $"u{u:D5}", count = 20, fields = new[] { "categories", "brand" } });
            var items = answer.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(20, items.Count);
            // Shipped caps: a third of the list per category (7 of 20), half per brand (10 of 20).
            Assert.True(items.GroupBy(i => i.GetProperty("categories")[0].GetString()).Max(g => g.Count()) <= 7);
            Assert.True(items.GroupBy(i => i.GetProperty("brand").GetString()).Max(g => g.Count()) <= 10);
        }
    }
}
