using Attune.Model;
using Attune.Storage;

namespace Attune.Tests.Storage;

/// <summary>
/// What every store must do. Each backend derives from this class and says how to open a fresh store;
/// the PostgreSQL store will run the same cases.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    protected IAttuneStore Store { get; set; } = null!;

    /// <summary>Opens a store over fresh, empty storage.</summary>
    protected abstract Task<IAttuneStore> OpenFreshAsync();

    /// <summary>Closes the store and opens it again over the same storage.</summary>
    protected abstract Task<IAttuneStore> ReopenAsync(IAttuneStore store);

    public async ValueTask InitializeAsync() => Store = await OpenFreshAsync();

    public async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static Event View(string? user, string item, int minutes, string? anonymous = null, string? recommendation = null) => new()
    {
        Type = "view", UserId = user, AnonymousId = anonymous, ItemId = item, Timestamp = T0.AddMinutes(minutes),
        RecommendationId = recommendation,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var x in source) list.Add(x);
        return list;
    }

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

    // ---------------------------------------------------------------- event replay and identity links

    [Fact]
    public async Task EveryEventReadCarriesAnIncreasingArrivalNumber()
    {
        await Store.AppendEventsAsync([View("u1", "a", 5), View("u2", "b", 0), View("u1", "c", 3)], Ct);
        await Store.AppendEventsAsync([View("u3", "d", 1)], Ct);
        var all = await ListAsync(Store.ReadEventsAsync(Ct));
        Assert.Equal(["a", "b", "c", "d"], all.Select(e => e.ItemId)); // arrival order, not event time
        Assert.True(all[0].Seq > 0);
        Assert.All(all.Zip(all.Skip(1)), pair => Assert.True(pair.Second.Seq > pair.First.Seq));
        Assert.Equal(all[^1].Seq, await Store.GetLastEventSeqAsync(Ct));
    }

    [Fact]
    public async Task RangedEventReadExcludesTheLowerBoundAndIncludesTheUpper()
    {
        await Store.AppendEventsAsync(
            [View("u1", "a", 0), View("u1", "b", 1), View("u2", "c", 2), View("u2", "d", 3), View("u3", "e", 4)], Ct);
        var all = await ListAsync(Store.ReadEventsAsync(Ct));
        long[] seq = all.Select(e => e.Seq).ToArray();

        var middle = await ListAsync(Store.ReadEventsAsync(seq[1], seq[3], Ct));
        Assert.Equal(["c", "d"], middle.Select(e => e.ItemId));
        Assert.Equal([seq[2], seq[3]], middle.Select(e => e.Seq));
        Assert.Equal(all[2], middle[0]); // same owner, type, time, value and seq as the full read

        Assert.Equal(all, await ListAsync(Store.ReadEventsAsync(0, seq[^1], Ct)));
        Assert.Equal(all, await ListAsync(Store.ReadEventsAsync(0, long.MaxValue, Ct)));
        Assert.Empty(await ListAsync(Store.ReadEventsAsync(seq[2], seq[2], Ct)));
        Assert.Empty(await ListAsync(Store.ReadEventsAsync(seq[^1], long.MaxValue, Ct)));
        Assert.Equal(["a"], (await ListAsync(Store.ReadEventsAsync(0, seq[0], Ct))).Select(e => e.ItemId));
    }

    [Fact]
    public async Task RangedEventReadResolvesOwnersToTheUnifiedProfileAfterIdentify()
    {
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "anon-1"), View(null, "b", 1, anonymous: "anon-2")], Ct);
        long watermark = await Store.GetLastEventSeqAsync(Ct);
        await Store.IdentifyAsync("anon-1", "alice", Ct);
        await Store.AppendEventsAsync([View(null, "c", 2, anonymous: "anon-1"), View("alice", "d", 3)], Ct);

        var before = await ListAsync(Store.ReadEventsAsync(0, watermark, Ct));
        Assert.Equal([("alice", false, "a"), ("anon-2", true, "b")], before.Select(e => (e.ProfileId, e.Anonymous, e.ItemId)));
        var after = await ListAsync(Store.ReadEventsAsync(watermark, long.MaxValue, Ct));
        Assert.Equal([("alice", false, "c"), ("alice", false, "d")], after.Select(e => (e.ProfileId, e.Anonymous, e.ItemId)));
        Assert.All(after, e => Assert.True(e.Seq > watermark));
    }

    [Fact]
    public async Task LastEventSeqIsZeroOnAnEmptyStoreAndGrowsWithEachAppend()
    {
        Assert.Equal(0, await Store.GetLastEventSeqAsync(Ct));
        await Store.AppendEventsAsync([View("u1", "a", 0)], Ct);
        long first = await Store.GetLastEventSeqAsync(Ct);
        Assert.True(first > 0);
        await Store.AppendEventsAsync([View("u1", "b", 1), View("u2", "c", 2)], Ct);
        long second = await Store.GetLastEventSeqAsync(Ct);
        Assert.True(second > first);
        Assert.Equal(2, (await ListAsync(Store.ReadEventsAsync(first, second, Ct))).Count);
    }

    [Fact]
    public async Task IdentityLinksListEveryIdentifiedAnonymousIdWithItsUser()
    {
        Assert.Empty(await ListAsync(Store.ReadIdentityLinksAsync(Ct)));
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "anon-1"), View(null, "b", 1, anonymous: "never-identified")], Ct);
        await Store.IdentifyAsync("anon-1", "alice", Ct);
        await Store.AppendEventsAsync([View("bob", "c", 2, anonymous: "phone")], Ct); // an event carrying both ids links them
        await Store.IdentifyAsync("tablet", "bob", Ct); // an anonymous id never seen in an event can be identified too

        var links = await ListAsync(Store.ReadIdentityLinksAsync(Ct));
        Assert.Equal([("anon-1", "alice"), ("phone", "bob"), ("tablet", "bob")], links.OrderBy(l => l.AnonymousId, StringComparer.Ordinal));

        await Store.IdentifyAsync("anon-1", "carol", Ct); // re-pointed: its future events go to carol
        links = await ListAsync(Store.ReadIdentityLinksAsync(Ct));
        Assert.Contains(("anon-1", "carol"), links);
        Assert.DoesNotContain(("anon-1", "alice"), links);
    }

    [Fact]
    public async Task StatedConsentsAreExactlyTheUsersWhoseRecordStatesOneWithEveryPurpose()
    {
        await Store.UpsertUsersAsync([
            new User { Id = "yes", Consent = new Consent { Personalization = true } },
            new User { Id = "no", Consent = new Consent { Personalization = false, Analytics = false } },
            new User { Id = "unsaid" },
        ], Ct);
        var stated = (await ListAsync(Store.ReadStatedConsentsAsync(Ct))).ToDictionary(x => x.UserId, x => x.Consent);
        Assert.Equal(["no", "yes"], stated.Keys.Order());
        Assert.Equal(new Consent { Personalization = false, Marketing = true, Analytics = false }, stated["no"]);
        Assert.Equal(new Consent(), stated["yes"]);
        await Store.UpsertUsersAsync([new User { Id = "no", Consent = new Consent { Marketing = false } }], Ct);
        stated = (await ListAsync(Store.ReadStatedConsentsAsync(Ct))).ToDictionary(x => x.UserId, x => x.Consent);
        Assert.Equal(new Consent { Marketing = false }, stated["no"]);
    }

    // ---------------------------------------------------------------- documents

    [Fact]
    public async Task DocumentsAreReplacedListedByIdAndKeptApartByKind()
    {
        var start = DateTimeOffset.UtcNow;
        await Store.PutDocumentAsync("rules", "b", """{"boost":1}""", Ct);
        await Store.PutDocumentAsync("rules", "c", """{"boost":3}""", Ct);
        await Store.PutDocumentAsync("rules", "a", """{"boost":2}""", Ct);
        await Store.PutDocumentAsync("settings", "a", """{"x":true}""", Ct);
        await Store.PutDocumentAsync("rules", "b", """{"boost":10}""", Ct); // replaces

        var rules = await Store.ListDocumentsAsync("rules", Ct);
        Assert.Equal(["a", "b", "c"], rules.Select(d => d.Id));
        Assert.All(rules, d => Assert.Equal("rules", d.Kind));
        Assert.Equal("""{"boost":10}""", rules[1].Json);
        Assert.All(rules, d => Assert.InRange(d.UpdatedAt, start.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1)));

        var settings = Assert.Single(await Store.ListDocumentsAsync("settings", Ct));
        Assert.Equal(("settings", "a", """{"x":true}"""), (settings.Kind, settings.Id, settings.Json));
        Assert.Empty(await Store.ListDocumentsAsync("unknown-kind", Ct));
    }

    [Fact]
    public async Task DeletingADocumentRemovesOnlyThatKindAndIdAndReportsWhetherItExisted()
    {
        await Store.PutDocumentAsync("rules", "a", "{}", Ct);
        await Store.PutDocumentAsync("rules", "b", "{}", Ct);
        await Store.PutDocumentAsync("settings", "a", "{}", Ct);

        Assert.True(await Store.DeleteDocumentAsync("rules", "a", Ct));
        Assert.False(await Store.DeleteDocumentAsync("rules", "a", Ct));
        Assert.False(await Store.DeleteDocumentAsync("other", "b", Ct));
        Assert.Equal(["b"], (await Store.ListDocumentsAsync("rules", Ct)).Select(d => d.Id));
        Assert.Equal(["a"], (await Store.ListDocumentsAsync("settings", Ct)).Select(d => d.Id));
    }

    // ---------------------------------------------------------------- recommendation log and attribution

    private static RecommendationRecord Shown(string id, string person, params string[] items) =>
        new(id, person, Anonymous: false, "home", "als-7", T0.AddSeconds(items.Length), items);

    [Fact]
    public async Task PurgeDeletesOnlyOldEventsOfTheTypeInBatchesAndSeqsStaySpent()
    {
        var events = new List<Event>();
        for (int m = 0; m < 7; m++) events.Add(View("u1", "a", m * 60)); // hourly views from T0
        events.Add(new Event { Type = "purchase", UserId = "u1", ItemId = "a", Value = 5, Timestamp = T0 });
        await Store.AppendEventsAsync(events, Ct);
        long lastSeq = await Store.GetLastEventSeqAsync(Ct);
        long before = T0.AddMinutes(150).ToUnixTimeMilliseconds(); // views at 0, 60 and 120 minutes are older

        int deleted = 0;
        long cursor = 0;
        int batches = 0;
        do
        {
            var (n, next) = await Store.PurgeEventsAsync("view", before, cursor, 2, Ct);
            deleted += n;
            cursor = next;
            batches++;
        }
        while (cursor != 0 && batches < 10);

        Assert.Equal(3, deleted);
        Assert.True(batches >= 2); // two per batch
        var stats = await Store.GetStatsAsync(Ct);
        Assert.Equal(4, stats.EventsByType["view"]);
        Assert.Equal(1, stats.EventsByType["purchase"]); // another type is kept
        Assert.Equal((0, 0L), await Store.PurgeEventsAsync("no-such-type", before, 0, 10, Ct));
        await Store.AppendEventsAsync([View("u1", "b", 500)], Ct);
        Assert.Equal(lastSeq + 1, await Store.GetLastEventSeqAsync(Ct)); // seqs are never handed out twice
    }

    [Fact]
    public async Task ActivityCountsPeopleAnswersAndAttributedEventsInTheWindowOnly()
    {
        await Store.LogRecommendationsAsync([Shown("rec-1", "alice", "a", "b", "c"), Shown("rec-2", "bob", "a")], Ct);
        await Store.AppendEventsAsync([
            View("alice", "a", 1, recommendation: "rec-1"),
            View("alice", "b", 2),
            View(null, "c", 3, anonymous: "visitor-1"),
            new Event { Type = "purchase", UserId = "alice", ItemId = "a", Value = 25, Timestamp = T0.AddMinutes(4), RecommendationId = "rec-1" },
            new Event { Type = "purchase", UserId = "bob", ItemId = "a", Value = 5, Timestamp = T0.AddMinutes(5), RecommendationId = "rec-2" },
            View("carol", "a", 120), // outside the window
        ], Ct);
        long from = T0.ToUnixTimeMilliseconds(), to = T0.AddMinutes(60).ToUnixTimeMilliseconds();

        var a = await Store.GetActivityAsync(from, to, Ct);

        Assert.Equal(5, a.Events);
        Assert.Equal(3, a.People); // alice, bob, visitor-1
        Assert.Equal(2, a.Answers);
        Assert.Equal(4, a.ItemsShown);
        Assert.Equal((1L, 0d), a.Attributed["view"]);
        Assert.Equal((2L, 30d), a.Attributed["purchase"]);
        var empty = await Store.GetActivityAsync(to + 7_200_000, to + 10_800_000, Ct);
        Assert.Equal(0, empty.Events);
        Assert.Empty(empty.Attributed);
    }

    [Fact]
    public async Task RecommendationLogKeepsRecipeExperimentAndVariant()
    {
        var record = Shown("rec-x", "alice", "a") with { Recipe = "pop-only", Experiment = "exp-1", Variant = "treatment" };
        await Store.LogRecommendationsAsync([record, Shown("rec-y", "bob", "b")], Ct);
        Assert.Equal(record, (await Store.GetRecommendationAsync("rec-x", Ct))! with { ItemIds = record.ItemIds });
        var plain = await Store.GetRecommendationAsync("rec-y", Ct);
        Assert.Equal((null, null, null), (plain!.Recipe, plain.Experiment, plain.Variant));
    }

    private static Exposure Exposed(string experiment, string person, string variant, long at, int phase = 1, bool anonymous = false) =>
        new(experiment, person, anonymous, phase, variant, at);

    [Fact]
    public async Task TheFirstExposureOfAPersonToAnExperimentIsKept()
    {
        await Store.RecordExposuresAsync([Exposed("e1", "u1", "control", 100), Exposed("e1", "u2", "treatment", 200),
            Exposed("e2", "u1", "b", 150, anonymous: true)], Ct);
        // Recorded again (another node, a later phase): the first stays.
        await Store.RecordExposuresAsync([Exposed("e1", "u1", "treatment", 300, phase: 2), Exposed("e1", "u3", "control", 50, phase: 2)], Ct);
        Assert.Equal([Exposed("e1", "u3", "control", 50, phase: 2), Exposed("e1", "u1", "control", 100), Exposed("e1", "u2", "treatment", 200)],
            await ListAsync(Store.ReadExposuresAsync("e1", Ct)));
        Assert.Equal([Exposed("e2", "u1", "b", 150, anonymous: true)], await ListAsync(Store.ReadExposuresAsync("e2", Ct)));
        Assert.Empty(await ListAsync(Store.ReadExposuresAsync("none", Ct)));
        Store = await ReopenAsync(Store);
        Assert.Equal(3, (await ListAsync(Store.ReadExposuresAsync("e1", Ct))).Count);
    }

    [Fact]
    public async Task AProfilesEventsReadByTimeRangeAndTypeIncludeItsIdentifiedHistory()
    {
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "anon-1"), View("u1", "b", 10), View("u1", "c", 20) with { Type = "purchase" },
            View("u2", "d", 15), View(null, "e", 16, anonymous: "anon-2"), View("u1", "f", 40)], Ct);
        await Store.IdentifyAsync("anon-1", "u1", Ct);
        long Ms(int minutes) => T0.AddMinutes(minutes).ToUnixTimeMilliseconds();
        Assert.Equal(["a", "b", "c"], (await ListAsync(Store.ReadProfileEventsAsync("u1", false, Ms(0), Ms(40), ct: Ct))).Select(e => e.ItemId));
        Assert.Equal(["c"], (await ListAsync(Store.ReadProfileEventsAsync("u1", false, Ms(0), Ms(60), [(int)EventType.Purchase], Ct))).Select(e => e.ItemId));
        Assert.Equal(["e"], (await ListAsync(Store.ReadProfileEventsAsync("anon-2", true, Ms(0), Ms(60), ct: Ct))).Select(e => e.ItemId));
        Assert.Empty(await ListAsync(Store.ReadProfileEventsAsync("anon-2", false, Ms(0), Ms(60), ct: Ct))); // no user of that id
        Assert.Empty(await ListAsync(Store.ReadProfileEventsAsync("nobody", false, Ms(0), Ms(60), ct: Ct)));
    }

    [Fact]
    public async Task SeveralProfilesEventsReadInOneGoEqualTheirReadsOneByOne()
    {
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "anon-1"), View("u1", "b", 10), View("u1", "c", 20) with { Type = "purchase" },
            View("u2", "d", 15), View(null, "e", 16, anonymous: "anon-2"), View("u1", "f", 40), View("u3", "g", 5)], Ct);
        await Store.IdentifyAsync("anon-1", "u1", Ct);
        long Ms(int minutes) => T0.AddMinutes(minutes).ToUnixTimeMilliseconds();
        (string, bool)[] people = [("u1", false), ("anon-2", true), ("u2", false), ("nobody", false), ("anon-2", false)];
        foreach (var types in new IReadOnlyList<int>?[] { null, [(int)EventType.Purchase, (int)EventType.View] })
        {
            var together = await ListAsync(Store.ReadProfilesEventsAsync(people, Ms(0), Ms(30), types, Ct));
            var oneByOne = new List<StoredEvent>();
            foreach (var (id, anonymous) in people) oneByOne.AddRange(await ListAsync(Store.ReadProfileEventsAsync(id, anonymous, Ms(0), Ms(30), types, Ct)));
            Assert.Equal(oneByOne.OrderBy(e => e.Seq), together.OrderBy(e => e.Seq));
            Assert.Equal(["a", "b", "c", "d", "e"], together.Select(e => e.ItemId).Order());
        }
        Assert.Empty(await ListAsync(Store.ReadProfilesEventsAsync([], Ms(0), Ms(30), ct: Ct)));
    }

    [Fact]
    public async Task ErasingAUserErasesTheirExposuresAndThoseOfTheirAnonymousIds()
    {
        await Store.AppendEventsAsync([View("u1", "a", 0, anonymous: "anon-1")], Ct);
        await Store.RecordExposuresAsync([Exposed("e1", "u1", "control", 1), Exposed("e1", "anon-1", "control", 2, anonymous: true),
            Exposed("e1", "u2", "treatment", 3)], Ct);
        Assert.True(await Store.DeleteUserAsync("u1", Ct));
        Assert.Equal(["u2"], (await ListAsync(Store.ReadExposuresAsync("e1", Ct))).Select(e => e.PersonId));
    }

    [Fact]
    public async Task AnErasureLeavesTheFeedWithoutThePersonOnceFinished()
    {
        await Store.UpsertUsersAsync([new User { Id = "u1" }, new User { Id = "u2" }], Ct);
        await Store.AppendEventsAsync([View("u1", "a", 0, anonymous: "anon-1"), View("u2", "a", 1, anonymous: "anon-2")], Ct);
        Assert.NotNull(await Store.ErasePersonAsync("u1", anonymous: false, Ct));
        // At once: the person's older upserts and links are gone; the deletion itself still names them for followers.
        var changes = await ChangesAfterAsync(0);
        Assert.DoesNotContain(changes, c => c.Kind is ChangeKind.UserUpserted or ChangeKind.IdentityLinked && (c.Id is "u1" or "anon-1" || c.Other is "u1" or "anon-1"));
        Assert.Contains(changes, c => c.Kind == ChangeKind.UserDeleted && c.Id == "u1" && c.Other == "anon-1");
        Assert.Contains(changes, c => c.Kind == ChangeKind.UserUpserted && c.Id == "u2"); // others keep theirs
        Assert.Contains(changes, c => c.Kind == ChangeKind.IdentityLinked && c.Id == "anon-2");

        Assert.True(await Store.FinishErasuresAsync(["u1", "anon-1"], Ct));
        changes = await ChangesAfterAsync(0);
        Assert.DoesNotContain(changes, c => c.Id is "u1" or "anon-1" || (c.Other ?? "").Contains("anon-1", StringComparison.Ordinal));
        Assert.Contains(changes, c => c.Kind == ChangeKind.UserUpserted && c.Id == "u2");
        Assert.True(await Store.FinishErasuresAsync([], Ct)); // nothing to forget: only the files' clean-up
    }

    [Fact]
    public async Task LoggedRecommendationReadsBackEqualAndUnknownIdIsNull()
    {
        var record = new RecommendationRecord("rec-1", "visitor-9", Anonymous: true, "item-page", ModelVersion: null,
            T0.AddMilliseconds(123), ["sku-3", "sku-1", "sku \"quoted\" é", "sku-2"]);
        await Store.LogRecommendationsAsync([record, Shown("rec-2", "alice", "x")], Ct);

        var read = await Store.GetRecommendationAsync("rec-1", Ct);
        Assert.NotNull(read);
        Assert.Equal(("rec-1", "visitor-9", true, "item-page", (string?)null, T0.AddMilliseconds(123)),
            (read.Id, read.PersonId, read.Anonymous, read.Scenario, read.ModelVersion, read.Timestamp));
        Assert.Equal(record.ItemIds, read.ItemIds); // order kept
        var second = await Store.GetRecommendationAsync("rec-2", Ct);
        Assert.Equal(("alice", false, "als-7"), (second!.PersonId, second.Anonymous, second.ModelVersion));
        Assert.Equal(["x"], second.ItemIds);
        Assert.Null(await Store.GetRecommendationAsync("rec-unknown", Ct));
    }

    [Fact]
    public async Task LoggingARecommendationIdAgainReplacesTheEarlierRecord()
    {
        await Store.LogRecommendationsAsync([Shown("rec-1", "alice", "a", "b")], Ct);
        await Store.LogRecommendationsAsync([Shown("rec-1", "alice", "c")], Ct);
        Assert.Equal(["c"], (await Store.GetRecommendationAsync("rec-1", Ct))!.ItemIds);
    }

    [Fact]
    public async Task ConcurrentRecommendationLogsOfAnySizeAllLand()
    {
        // Batches of 1 to 5 records, sent at once so the writer folds many of them into one commit.
        var tasks = Enumerable.Range(0, 100).Select(i => Store.LogRecommendationsAsync(
            Enumerable.Range(0, 1 + i % 5).Select(j => Shown($"rec-{i}-{j}", $"u{i}", $"i{j}")).ToList(), Ct));
        await Task.WhenAll(tasks);
        for (int i = 0; i < 100; i++)
        {
            for (int j = 0; j < 1 + i % 5; j++)
            {
                var read = await Store.GetRecommendationAsync($"rec-{i}-{j}", Ct);
                Assert.Equal(($"u{i}", $"i{j}"), (read!.PersonId, Assert.Single(read.ItemIds)));
            }
        }
    }

    [Fact]
    public async Task AttributedEventsAreExactlyThoseCarryingTheRecommendationId()
    {
        await Store.AppendEventsAsync([
            View("u1", "a", 0, recommendation: "rec-1"),
            View("u2", "b", 1, recommendation: "rec-2"),
            View("u1", "c", 2), // no extra at all
            new Event { Type = "view", UserId = "u3", ItemId = "d", Timestamp = T0.AddMinutes(3), Channel = "web" }, // extra, no id
            // A key of that name inside the context is not the event's recommendation id.
            new Event
            {
                Type = "view", UserId = "u3", ItemId = "e", Timestamp = T0.AddMinutes(4), ContextJson = """{"recommendationId":"rec-1"}""",
            },
            View(null, "f", 5, anonymous: "anon-1", recommendation: "rec-1"),
            View("u1", "g", 6, recommendation: "rec-10"), // an id that merely starts the same
            new Event
            {
                Type = "purchase", UserId = "u2", ItemId = "a", Value = 19.9, Timestamp = T0.AddMinutes(7), Channel = "app",
                RecommendationId = "rec-1", SessionId = "s1", ContextJson = """{"device":"mobile"}""",
            },
        ], Ct);
        await Store.IdentifyAsync("anon-1", "zoe", Ct);

        var attributed = await Store.GetAttributedEventsAsync("rec-1", Ct);
        Assert.Equal([("u1", "a"), ("zoe", "f"), ("u2", "a")], attributed.Select(e => (e.ProfileId, e.ItemId)));
        Assert.All(attributed.Zip(attributed.Skip(1)), pair => Assert.True(pair.Second.Seq > pair.First.Seq));
        var all = await ListAsync(Store.ReadEventsAsync(Ct));
        Assert.Equal(attributed, all.Where(e => e.ItemId is "a" or "f")); // same rows as replay reads
        Assert.Equal(19.9, attributed[^1].Value);

        Assert.Equal(["b"], (await Store.GetAttributedEventsAsync("rec-2", Ct)).Select(e => e.ItemId));
        Assert.Equal(["g"], (await Store.GetAttributedEventsAsync("rec-10", Ct)).Select(e => e.ItemId));
        Assert.Empty(await Store.GetAttributedEventsAsync("rec-unknown", Ct));
    }

    [Fact]
    public async Task DocumentsRecommendationLogAndAttributionSurviveReopen()
    {
        await Store.PutDocumentAsync("rules", "r1", """{"pin":["a"]}""", Ct);
        await Store.PutDocumentAsync("rules", "r2", "{}", Ct);
        await Store.DeleteDocumentAsync("rules", "r2", Ct);
        await Store.LogRecommendationsAsync([Shown("rec-1", "alice", "a", "b")], Ct);
        await Store.AppendEventsAsync([View("alice", "a", 0, recommendation: "rec-1"), View("alice", "c", 1)], Ct);
        long last = await Store.GetLastEventSeqAsync(Ct);

        Store = await ReopenAsync(Store);

        Assert.Equal([("r1", """{"pin":["a"]}""")], (await Store.ListDocumentsAsync("rules", Ct)).Select(d => (d.Id, d.Json)));
        Assert.Equal(["a", "b"], (await Store.GetRecommendationAsync("rec-1", Ct))!.ItemIds);
        Assert.Equal(["a"], (await Store.GetAttributedEventsAsync("rec-1", Ct)).Select(e => e.ItemId));
        Assert.Equal(last, await Store.GetLastEventSeqAsync(Ct));
        await Store.AppendEventsAsync([View("alice", "d", 2, recommendation: "rec-1")], Ct);
        Assert.True(await Store.GetLastEventSeqAsync(Ct) > last); // arrival numbers continue after reopen
        Assert.Equal(["a", "d"], (await Store.GetAttributedEventsAsync("rec-1", Ct)).Select(e => e.ItemId));
    }

    // ---------------------------------------------------------------- change feed

    private async Task<List<StoreChange>> ChangesAfterAsync(long afterSeq) => await ListAsync(Store.ReadChangesAsync(afterSeq, Ct));

    private static (ChangeKind, string?, string?) Shape(StoreChange c) => (c.Kind, c.Id, c.Other);

    private static InteractionBatch Batch(string user, params string[] items)
    {
        var batch = new InteractionBatch(items.Length);
        for (int i = 0; i < items.Length; i++) batch.Add(user, false, items[i], (int)EventType.View, T0.ToUnixTimeMilliseconds() + i, null);
        return batch;
    }

    [Fact]
    public async Task EveryKindOfWriteAppendsItsChangeInOrder()
    {
        Assert.Equal(0, await Store.GetLastChangeSeqAsync(Ct));
        Assert.Empty(await ChangesAfterAsync(0));
        var start = DateTimeOffset.UtcNow;

        await Store.UpsertItemsAsync([new Item { Id = "a" }, new Item { Id = "b" }], Ct);
        Assert.True(await Store.DeleteItemAsync("a", Ct));
        Assert.False(await Store.DeleteItemAsync("a", Ct)); // nothing deleted, no change
        await Store.UpsertUsersAsync([new User { Id = "u1" }], Ct);
        await Store.AppendEventsAsync([View(null, "a", 0, anonymous: "anon-1"), View(null, "b", 1, anonymous: "anon-1")], Ct);
        await Store.IdentifyAsync("anon-1", "u1", Ct);
        await Store.IdentifyAsync("anon-1", "u1", Ct); // already linked: no change
        await Store.AppendEventsAsync([View("bob", "c", 2, anonymous: "phone")], Ct); // an event carrying both ids links them
        await Store.IdentifyAsync("anon-1", "carol", Ct); // re-pointed
        await Store.PutDocumentAsync("rules", "r1", "{}", Ct);
        Assert.True(await Store.DeleteDocumentAsync("rules", "r1", Ct));
        Assert.False(await Store.DeleteDocumentAsync("rules", "r1", Ct));
        await Store.LogRecommendationsAsync([Shown("rec-1", "u1", "a")], Ct); // the recommendation log is not in the feed
        Assert.True(await Store.DeleteUserAsync("u1", Ct));
        Assert.False(await Store.DeleteUserAsync("nobody", Ct));
        await Store.BulkAppendAsync([Batch("u2", "x", "y"), Batch("u3", "z")], ct: Ct);
        await Store.AppendEventsAsync([], Ct); // nothing appended, no change

        var changes = await ChangesAfterAsync(0);
        Assert.Equal<(ChangeKind, string?, string?)>([
            (ChangeKind.ItemUpserted, "a", null), (ChangeKind.ItemUpserted, "b", null),
            (ChangeKind.ItemDeleted, "a", null),
            // (UserUpserted u1) and (IdentityLinked anon-1 → u1) were here: erasing u1 took them out of the feed.
            (ChangeKind.Events, null, null),
            (ChangeKind.IdentityLinked, "phone", "bob"), (ChangeKind.Events, null, null), // the link comes before its batch's events
            (ChangeKind.IdentityLinked, "anon-1", "carol"),
            (ChangeKind.DocumentPut, "r1", "rules"), (ChangeKind.DocumentDeleted, "r1", "rules"),
            (ChangeKind.UserDeleted, "u1", null),
            (ChangeKind.Events, null, null), (ChangeKind.Events, null, null), // one per bulk batch
        ], changes.Select(Shape));
        Assert.All(changes.Zip(changes.Skip(1)), pair => Assert.True(pair.Second.Seq > pair.First.Seq));
        Assert.Equal(changes[^1].Seq, await Store.GetLastChangeSeqAsync(Ct));
        Assert.All(changes, c => Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(c.AtMs), start.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.All(changes, c =>
        {
            if (c.Kind == ChangeKind.Events) Assert.True(c.ToEventSeq > c.FromEventSeq);
            else Assert.Equal((0, 0), (c.FromEventSeq, c.ToEventSeq));
        });
        var events = changes.Where(c => c.Kind == ChangeKind.Events).ToList();
        Assert.Equal([2, 1, 2, 1], events.Select(c => c.ToEventSeq - c.FromEventSeq));
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.True(pair.Second.FromEventSeq >= pair.First.ToEventSeq));
    }

    [Fact]
    public async Task ReadingChangesAfterAnySeqResumesExactlyThere()
    {
        await Store.UpsertItemsAsync([new Item { Id = "a" }], Ct);
        await Store.AppendEventsAsync([View("u1", "a", 0)], Ct);
        await Store.PutDocumentAsync("rules", "r1", "{}", Ct);
        await Store.IdentifyAsync("anon-1", "u1", Ct);
        await Store.UpsertUsersAsync([new User { Id = "u1" }, new User { Id = "u2" }], Ct);

        var all = await ChangesAfterAsync(0);
        Assert.Equal(6, all.Count);
        for (int k = 0; k < all.Count; k++) Assert.Equal(all.Skip(k + 1), await ChangesAfterAsync(all[k].Seq));
        Assert.Equal(all, await ChangesAfterAsync(-1));

        await Store.DeleteItemAsync("a", Ct);
        var next = Assert.Single(await ChangesAfterAsync(all[^1].Seq)); // a consumer that applied everything sees only the new one
        Assert.Equal((ChangeKind.ItemDeleted, "a", (string?)null), Shape(next));
    }

    [Fact]
    public async Task EventRangesOfTheFeedReadBackExactlyTheAppendedBatches()
    {
        // Sent at once, so the writer folds many of them into one commit; each keeps its own change and range.
        var batches = Enumerable.Range(0, 30)
            .Select(b => Enumerable.Range(0, 1 + b % 4).Select(j => View($"u{b % 5}", $"b{b}-{j}", j)).ToList()).ToList();
        await Task.WhenAll(batches.Select(b => Store.AppendEventsAsync(b, Ct)));
        await Store.BulkAppendAsync([Batch("u9", "bulk-0", "bulk-1"), Batch("u9", "bulk-2")], ct: Ct);

        var expected = batches.Select(b => string.Join(",", b.Select(e => e.ItemId))).Append("bulk-0,bulk-1").Append("bulk-2").ToHashSet();
        var changes = (await ChangesAfterAsync(0)).Where(c => c.Kind == ChangeKind.Events).ToList();
        Assert.Equal(32, changes.Count);
        var read = new List<string>();
        foreach (var c in changes)
            read.Add(string.Join(",", (await ListAsync(Store.ReadEventsAsync(c.FromEventSeq, c.ToEventSeq, Ct))).Select(e => e.ItemId)));
        Assert.Equal(expected.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
        Assert.Equal(["bulk-0,bulk-1", "bulk-2"], read.TakeLast(2)); // bulk batches in the order given
        // The ranges tile the event log: every stored event is in exactly one.
        Assert.Equal(await Store.GetLastEventSeqAsync(Ct), changes[^1].ToEventSeq);
        Assert.Equal((await ListAsync(Store.ReadEventsAsync(Ct))).Count, read.Sum(r => r.Split(',').Length));
    }

    [Fact]
    public async Task FeedReadsRightAfterEachWriteEqualTheSameReadsAfterReopen()
    {
        // A store may answer the reads of what it just wrote from memory (the SQLite store's tail): owners, values, extras, custom
        // types, links that move a history and erasures must read exactly as the stored rows do.
        var seen = new List<(StoreChange Change, List<StoredEvent> Events)>();
        long applied = 0;
        async Task FollowAsync()
        {
            await foreach (var c in Store.ReadChangesAsync(applied, Ct))
            {
                seen.Add((c, c.Kind == ChangeKind.Events ? await ListAsync(Store.ReadEventsAsync(c.FromEventSeq, c.ToEventSeq, Ct)) : []));
                applied = c.Seq;
            }
        }
        await Store.AppendEventsAsync([View("u1", "a", 0) with { Value = 2.5, SessionId = "s1", Channel = "app" }], Ct);
        await Store.AppendEventsAsync([View(null, "b", 1, anonymous: "anon-2"), View(null, null!, 2, anonymous: "anon-2") with { Type = "search" },
            new Event { Type = "wishlist_share", UserId = "u2", ItemId = "c", Timestamp = T0.AddMinutes(3) }], Ct);
        await FollowAsync();
        await Store.AppendEventsAsync([View(null, "d", 4, anonymous: "anon-1")], Ct);
        await Store.AppendEventsAsync([View("u3", "e", 5, anonymous: "anon-1")], Ct); // moves anon-1's history to u3
        await Store.AppendEventsAsync([View(null, "f", 6, anonymous: "anon-1")], Ct); // owned through the link
        await FollowAsync();
        await Store.AppendEventsAsync([View("u4", "g", 7)], Ct);
        await Store.AppendEventsAsync([View("u5", "h", 8)], Ct);
        Assert.True(await Store.DeleteUserAsync("u4", Ct)); // erased before the feed read its event
        await Store.BulkAppendAsync([Batch("u6", "i", "j")], ct: Ct);
        await Store.AppendEventsAsync([View("u7", "k", 9)], Ct);
        await FollowAsync();

        Store = await ReopenAsync(Store);
        foreach (var (change, events) in seen)
        {
            Assert.Contains(change, await ChangesAfterAsync(change.Seq - 1));
            if (change.Kind == ChangeKind.Events)
                Assert.Equal(await ListAsync(Store.ReadEventsAsync(change.FromEventSeq, change.ToEventSeq, Ct)), events);
        }
        Assert.Equal(await ChangesAfterAsync(0), seen.Select(s => s.Change));
        var owners = seen.SelectMany(s => s.Events).Select(e => (e.ProfileId, e.ItemId)).ToList();
        Assert.Equal([("u1", "a"), ("anon-2", "b"), ("anon-2", null), ("u2", "c"), ("u3", "d"), ("u3", "e"), ("u3", "f"), ("u5", "h"),
            ("u6", "i"), ("u6", "j"), ("u7", "k")], owners);
        Assert.Equal(2.5, seen[0].Events[0].Value);
    }

    [Fact]
    public async Task AFailingOpInAGroupLeavesNoChangeAndTheOthersKeepTheirs()
    {
        // A large append first, so the ops behind it queue up and share one group commit.
        var big = Store.AppendEventsAsync(Enumerable.Range(0, 5_000).Select(i => View("u0", $"i{i % 50}", i)).ToList(), Ct);
        var good = Enumerable.Range(0, 10).Select(i => Store.PutDocumentAsync("rules", $"r{i}", "{}", Ct)).ToList();
        // An event with no owner at all cannot be stored: the store fails that op (the HTTP layer never sends one).
        var bad = Store.AppendEventsAsync([new Event { Type = "view", ItemId = "lost", Timestamp = T0 }], Ct);
        var after = Store.AppendEventsAsync([View("u1", "kept", 0)], Ct);
        await Assert.ThrowsAnyAsync<Exception>(() => bad);
        await Task.WhenAll([big, after, .. good]);

        var changes = await ChangesAfterAsync(0);
        Assert.Equal(12, changes.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"r{i}"), changes.Where(c => c.Kind == ChangeKind.DocumentPut).Select(c => c.Id));
        var ranges = changes.Where(c => c.Kind == ChangeKind.Events).ToList();
        Assert.Equal(2, ranges.Count);
        Assert.Equal(5_000, (await ListAsync(Store.ReadEventsAsync(ranges[0].FromEventSeq, ranges[0].ToEventSeq, Ct))).Count);
        Assert.Equal(["kept"], (await ListAsync(Store.ReadEventsAsync(ranges[1].FromEventSeq, ranges[1].ToEventSeq, Ct))).Select(e => e.ItemId));
        Assert.DoesNotContain("lost", (await ListAsync(Store.ReadEventsAsync(Ct))).Select(e => e.ItemId));
    }

    [Fact]
    public async Task WaitingForChangesWakesOnACommitFromAnotherTaskAndHonoursCancellation()
    {
        long last = await Store.GetLastChangeSeqAsync(Ct);
        var wait = Store.WaitForChangesAsync(last, Ct);
        await Task.Delay(50, Ct);
        Assert.False(wait.IsCompleted);
        await Task.Run(() => Store.PutDocumentAsync("rules", "r1", "{}", Ct), Ct);
        await wait.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        // A change after the given seq is already there: no wait at all.
        await Store.WaitForChangesAsync(last, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        long now = await Store.GetLastChangeSeqAsync(Ct);
        using var cts = new CancellationTokenSource();
        var cancelled = Store.WaitForChangesAsync(now, cts.Token);
        await Task.Delay(50, Ct);
        Assert.False(cancelled.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(now, await Store.GetLastChangeSeqAsync(Ct));
    }

    [Fact]
    public async Task SeqsAreNeverHandedOutTwiceEvenAfterErasingTheNewestEventsAndReopening()
    {
        await Store.AppendEventsAsync([View("keep", "a", 0), View("keep", "b", 1)], Ct);
        await Store.AppendEventsAsync([View("gone", "c", 2), View("gone", "d", 3)], Ct); // the newest events
        long lastEvent = await Store.GetLastEventSeqAsync(Ct);
        Assert.True(await Store.DeleteUserAsync("gone", Ct));
        long lastChange = await Store.GetLastChangeSeqAsync(Ct);
        Assert.True(await Store.GetLastEventSeqAsync(Ct) < lastEvent); // the erased seqs are gone from the log...

        await Store.AppendEventsAsync([View("keep", "e", 4)], Ct);
        var e = Assert.Single(await ListAsync(Store.ReadEventsAsync(lastEvent, long.MaxValue, Ct))); // ...but not handed out again
        Assert.Equal("e", e.ItemId);
        Assert.True(await Store.DeleteUserAsync("keep", Ct)); // now the store holds no event at all
        lastEvent = e.Seq;
        lastChange = await Store.GetLastChangeSeqAsync(Ct);

        Store = await ReopenAsync(Store);
        Assert.Equal(0, await Store.GetLastEventSeqAsync(Ct));
        await Store.AppendEventsAsync([View("new", "f", 5)], Ct);
        await Store.BulkAppendAsync([Batch("new", "g", "h")], ct: Ct);
        var fresh = await ListAsync(Store.ReadEventsAsync(Ct));
        Assert.Equal(["f", "g", "h"], fresh.Select(x => x.ItemId));
        Assert.All(fresh, x => Assert.True(x.Seq > lastEvent));
        var changes = await ChangesAfterAsync(lastChange);
        Assert.Equal([ChangeKind.Events, ChangeKind.Events], changes.Select(c => c.Kind));
        Assert.All(changes, c => Assert.True(c.FromEventSeq >= lastEvent));
        Assert.Equal(["f"], (await ListAsync(Store.ReadEventsAsync(changes[0].FromEventSeq, changes[0].ToEventSeq, Ct))).Select(x => x.ItemId));
    }

    [Fact]
    public async Task CommittedChangeSeqCoversEveryWriteThatHasCompleted()
    {
        Assert.Equal(0, Store.CommittedChangeSeq);
        await Store.PutDocumentAsync("rules", "r0", "{}", Ct);
        Assert.Equal(await Store.GetLastChangeSeqAsync(Ct), Store.CommittedChangeSeq);

        // Concurrent writers: as each one's Task completes, the counter already covers its change.
        var seen = new long[20];
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            await Store.PutDocumentAsync("rules", $"r{i + 1}", "{}", Ct);
            seen[i] = Store.CommittedChangeSeq;
        }));
        var seqOf = (await ChangesAfterAsync(0)).ToDictionary(c => c.Id!, c => c.Seq);
        for (int i = 0; i < 20; i++) Assert.True(seen[i] >= seqOf[$"r{i + 1}"], $"r{i + 1}: {seen[i]} < {seqOf[$"r{i + 1}"]}");
        Assert.Equal(await Store.GetLastChangeSeqAsync(Ct), Store.CommittedChangeSeq);

        long before = Store.CommittedChangeSeq;
        Assert.False(await Store.DeleteDocumentAsync("rules", "unknown", Ct)); // a write with no change leaves it alone
        Assert.Equal(before, Store.CommittedChangeSeq);

        Store = await ReopenAsync(Store);
        Assert.Equal(0, Store.CommittedChangeSeq); // this instance has committed nothing yet
        await Store.AppendEventsAsync([View("u1", "a", 0)], Ct);
        Assert.True(Store.CommittedChangeSeq > before);
        Assert.Equal(await Store.GetLastChangeSeqAsync(Ct), Store.CommittedChangeSeq);
    }
}
