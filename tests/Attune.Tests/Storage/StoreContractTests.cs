using Attune.Model;
using Attune.Storage;

namespace Attune.Tests.Storage;

/// <summary>
/// What every store must do. Each backend derives from this class and says how to open a fresh store;
/// the PostgreSQL store will run the same cases.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    protected IAttuneStore Store { get; private set; } = null!;

    /// <summary>Opens a store over fresh, empty storage.</summary>
    protected abstract Task<IAttuneStore> OpenFreshAsync();

    /// <summary>Closes the store and opens it again over the same storage.</summary>
    protected abstract Task<IAttuneStore> ReopenAsync(IAttuneStore store);

    public async ValueTask InitializeAsync() => Store = await OpenFreshAsync();

    public async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static Event View(string? user, string item, int minutes, string? anonymous = null) => new()
    {
        Type = "view", UserId = user, AnonymousId = anonymous, ItemId = item, Timestamp = T0.AddMinutes(minutes),
    };

    [Fact]
    public async Task UpsertedItemReadsBackEqualAndReplacesOnSecondUpsert()
    {
        var item = new Item
        {
            Id = "sku-1", Title = "Trail shoe", Categories = ["shoes/running"], Brand = "Acme", Price = 89.5, Currency = "EUR",
            Tags = ["waterproof"], Properties = new Dictionary<string, object> { ["color"] = "red", ["sizes"] = new[] { "42", "43" } },
        };
        await Store.UpsertItemsAsync([item]);
        var read = await Store.GetItemAsync("sku-1");
        Assert.NotNull(read);
        Assert.Equal("Trail shoe", read.Title);
        Assert.Equal(["shoes/running"], read.Categories);
        Assert.Equal(89.5, read.Price);
        Assert.Equal("red", read.Properties["color"].ToString());

        await Store.UpsertItemsAsync([item with { Title = "Trail shoe v2", Price = 79 }]);
        read = await Store.GetItemAsync("sku-1");
        Assert.Equal("Trail shoe v2", read!.Title);
        Assert.Equal(79, read.Price);
    }

    [Fact]
    public async Task ListingPagesThroughEveryItemOnceWithCursor()
    {
        await Store.UpsertItemsAsync(Enumerable.Range(0, 25).Select(i => new Item { Id = $"i{i:D2}" }).ToList());
        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await Store.ListItemsAsync(cursor, 10);
            seen.AddRange(page.Data.Select(i => i.Id));
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"i{i:D2}"), seen);
    }

    [Fact]
    public async Task DeletedItemIsGoneButEventsNamingItStay()
    {
        await Store.UpsertItemsAsync([new Item { Id = "a" }]);
        await Store.AppendEventsAsync([View("u1", "a", 0)]);
        Assert.True(await Store.DeleteItemAsync("a"));
        Assert.Null(await Store.GetItemAsync("a"));
        Assert.False(await Store.DeleteItemAsync("a"));
        var profile = await Store.GetProfileAsync("u1");
        Assert.Equal(1, profile!.EventCounts["view"]);
    }

    [Fact]
    public async Task EventsAndCatalogSurviveReopen()
    {
        await Store.UpsertItemsAsync([new Item { Id = "a", Title = "A" }]);
        await Store.AppendEventsAsync([View("u1", "a", 0), View("u1", "b", 1), new Event { Type = "purchase", UserId = "u1", ItemId = "a", Value = 10, Timestamp = T0.AddMinutes(2) }]);
        Store = await ReopenAsync(Store);
        var stats = await Store.GetStatsAsync();
        Assert.Equal(3, stats.Events);
        Assert.Equal("A", (await Store.GetItemAsync("a"))!.Title);
        // Interning continues after reopen: a new item gets a new index, old ones keep theirs.
        await Store.AppendEventsAsync([View("u1", "c", 3), View("u2", "a", 4)]);
        var profile = await Store.GetProfileAsync("u1");
        Assert.Equal(3, profile!.EventCounts["view"]);
        Assert.Equal(["c", "a", "b"], profile.RecentItems.Select(r => r.ItemId));
    }

    [Fact]
    public async Task IdentifyMovesAnonymousHistoryAndRoutesLaterEvents()
    {
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "anon-1"), View(null, "b", 1, anonymous: "anon-1")]);
        Assert.Equal(2, await Store.IdentifyAsync("anon-1", "alice"));
        Assert.Equal(0, await Store.IdentifyAsync("anon-1", "alice")); // idempotent
        await Store.AppendEventsAsync([View(null, "c", 2, anonymous: "anon-1")]); // late event of the anonymous id
        var profile = await Store.GetProfileAsync("alice");
        Assert.Equal(3, profile!.EventCounts["view"]);
        Assert.Equal(["anon-1"], profile.AnonymousIds);
        // The anonymous id resolves to the same unified profile.
        var viaAnonymous = await Store.GetProfileAsync("anon-1", anonymous: true);
        Assert.Equal("alice", viaAnonymous!.UserId);
    }

    [Fact]
    public async Task EventWithBothIdsLinksAndSeveralDevicesChainIntoOneProfile()
    {
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "phone"), View(null, "b", 1, anonymous: "laptop")]);
        await Store.AppendEventsAsync([View("bob", "c", 2, anonymous: "phone")]); // implicit link
        await Store.IdentifyAsync("laptop", "bob");
        var profile = await Store.GetProfileAsync("bob");
        Assert.Equal(3, profile!.EventCount);
        Assert.Equal(["phone", "laptop"], profile.AnonymousIds);
    }

    [Fact]
    public async Task LinkInsideOneBatchMovesTheEarlierEventsOfThatSameBatch()
    {
        var batch = Enumerable.Range(0, 40).Select(i => View(null, $"i{i}", i, anonymous: "tab-1"))
            .Append(View("zoe", "x", 50, anonymous: "tab-1")).ToList();
        await Store.AppendEventsAsync(batch);
        Assert.Equal(41, (await Store.GetProfileAsync("zoe"))!.EventCount);
        Assert.Equal(0, (await Store.GetStatsAsync()).AnonymousVisitors);
    }

    [Fact]
    public async Task AnonymousIdLinkedToAnotherUserKeepsPastHistoryWithTheFirst()
    {
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "shared-tablet")]);
        await Store.IdentifyAsync("shared-tablet", "carol");
        await Store.IdentifyAsync("shared-tablet", "dave");
        await Store.AppendEventsAsync([View(null, "b", 1, anonymous: "shared-tablet")]);
        Assert.Equal(1, (await Store.GetProfileAsync("carol"))!.EventCount);
        Assert.Equal(1, (await Store.GetProfileAsync("dave"))!.EventCount);
    }

    [Fact]
    public async Task ProfileSummarisesCountsChannelsDevicesAndTastes()
    {
        await Store.UpsertItemsAsync([
            new Item { Id = "shoe", Categories = ["shoes/running"], Brand = "Acme" },
            new Item { Id = "tv", Categories = ["electronics/tv"], Brand = "Voltz" },
        ]);
        await Store.UpsertUsersAsync([new User { Id = "erin", Attributes = new Dictionary<string, string> { ["country"] = "DE" } }]);
        await Store.AppendEventsAsync([
            new Event { Type = "view", UserId = "erin", ItemId = "shoe", Timestamp = T0, Channel = "web", ContextJson = """{"device":"mobile"}""" },
            new Event { Type = "purchase", UserId = "erin", ItemId = "shoe", Timestamp = T0.AddMinutes(5), Channel = "app", ContextJson = """{"device":"mobile"}""" },
            new Event { Type = "view", UserId = "erin", ItemId = "tv", Timestamp = T0.AddMinutes(6), Channel = "web", ContextJson = """{"device":"desktop"}""" },
            new Event { Type = "email_open", UserId = "erin", Timestamp = T0.AddMinutes(7), Channel = "email" },
        ]);
        var p = await Store.GetProfileAsync("erin");
        Assert.NotNull(p);
        Assert.Equal("DE", p.Attributes["country"]);
        Assert.True(p.Consent.Personalization);
        Assert.Equal(4, p.EventCount);
        Assert.Equal(2, p.EventCounts["view"]);
        Assert.Equal(1, p.EventCounts["purchase"]);
        Assert.Equal(T0, p.FirstSeen);
        Assert.Equal(T0.AddMinutes(7), p.LastSeen);
        Assert.Equal(["app", "email", "web"], p.Channels);
        Assert.Equal(["desktop", "mobile"], p.Devices);
        Assert.Equal("shoes/running", p.TopCategories[0].Name); // a view and a purchase outweigh one view
        Assert.Equal("Acme", p.TopBrands[0].Name);
        Assert.Equal(1.0, p.TopCategories.Sum(c => c.Weight), 3);
    }

    [Fact]
    public async Task UserUpdateWithoutConsentKeepsTheOptOut()
    {
        await Store.UpsertUsersAsync([new User { Id = "frank", Consent = new Consent { Personalization = false } }]);
        await Store.UpsertUsersAsync([new User { Id = "frank", Attributes = new Dictionary<string, string> { ["city"] = "Oslo" } }]);
        var user = await Store.GetUserAsync("frank");
        Assert.False(user!.Consent!.Personalization);
        Assert.Equal("Oslo", user.Attributes["city"]);
    }

    [Fact]
    public async Task DeleteUserErasesRecordEventsAndLinks()
    {
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "g1"), View("gina", "b", 1), View("hal", "b", 2)]);
        await Store.IdentifyAsync("g1", "gina");
        Assert.True(await Store.DeleteUserAsync("gina"));
        Assert.Null(await Store.GetUserAsync("gina"));
        Assert.Null(await Store.GetProfileAsync("gina"));
        Assert.Null(await Store.GetProfileAsync("g1", anonymous: true));
        Assert.Equal(1, (await Store.GetStatsAsync()).Events); // only hal's
    }

    [Fact]
    public async Task CustomEventTypesGetStableNames()
    {
        await Store.AppendEventsAsync([new Event { Type = "custom.wishlist_add", UserId = "ivy", ItemId = "x", Timestamp = T0 }]);
        Store = await ReopenAsync(Store);
        await Store.AppendEventsAsync([new Event { Type = "custom.wishlist_add", UserId = "ivy", ItemId = "y", Timestamp = T0 }]);
        Assert.Equal(2, (await Store.GetProfileAsync("ivy"))!.EventCounts["custom.wishlist_add"]);
    }

    [Fact]
    public async Task ConcurrentWritersAllLand()
    {
        var tasks = Enumerable.Range(0, 200).Select(i => Store.AppendEventsAsync([View($"u{i % 7}", $"i{i % 13}", i)])).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(200, (await Store.GetStatsAsync()).Events);
    }

    [Fact]
    public async Task BulkAppendInternsIdsAndKeepsAnonymousApart()
    {
        var batch = new InteractionBatch(4);
        batch.Add("u1", false, "a", (int)EventType.Rating, T0.ToUnixTimeMilliseconds(), 4);
        batch.Add("u1", false, "b", (int)EventType.View, T0.ToUnixTimeMilliseconds() + 1, null);
        batch.Add("u1", true, "a", (int)EventType.View, T0.ToUnixTimeMilliseconds() + 2, null);
        long n = await Store.BulkAppendAsync([batch]);
        Assert.Equal(3, n);
        var stats = await Store.GetStatsAsync();
        Assert.Equal(1, stats.Users);
        Assert.Equal(1, stats.AnonymousVisitors);
        Assert.Equal(2, (await Store.GetProfileAsync("u1"))!.EventCount);
    }
}
