using System.Diagnostics;
using System.Text.Json;
using Attune.Demo;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Rules;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Serving;

/// <summary>
/// Live state follows the store's change feed, not the HTTP handlers: writes made straight to the store (an admin job, an
/// import through the store) reach the engine's answers by themselves, within a second.
/// </summary>
public sealed class ChangeFeedTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private SqliteStore _store = null!;
    private ServingEngine _engine = null!;
    private DemoShop _shop = null!;

    public async ValueTask InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, FullSync = false });
        _shop = DemoShop.Generate(new DemoOptions { Users = 300, Items = 200, Days = 10, Seed = 11, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(_store, _shop);
        _engine = new ServingEngine(_store, new ServingOptions { RetrainAfterEvents = 0, RetrainIntervalMinutes = 0, LogRecommendations = false }, _dir.Path);
        await _engine.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private static async Task<TimeSpan> Until(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "the change did not reach live state within 5 s");
            await Task.Delay(5);
        }
        return sw.Elapsed;
    }

    private List<string> ForYou(string anonymousId) =>
        _engine.Recommend(new RecommendationRequest { AnonymousId = anonymousId, Scenario = "for-you", Count = 10 }).Items.Select(i => i.Id).ToList();

    [Fact]
    public async Task EventsWrittenStraightToTheStoreChangeAnswersWithinASecond()
    {
        var before = ForYou("feed-visitor");
        string item = _shop.Items[17].Id;
        await _store.AppendEventsAsync([new Event { Type = "view", AnonymousId = "feed-visitor", ItemId = item, Timestamp = DateTimeOffset.UtcNow }]);

        var took = await Until(() => !ForYou("feed-visitor").SequenceEqual(before));
        Assert.True(took < TimeSpan.FromSeconds(1), $"took {took.TotalMilliseconds:F0} ms");
        Assert.DoesNotContain(item, ForYou("feed-visitor")); // the viewed item itself is an anchor now
    }

    [Fact]
    public async Task CatalogConsentLinksAndRulesFollowTheFeed()
    {
        // A new item, known to the engine without any call to it.
        await _store.UpsertItemsAsync([new Item { Id = "feed-new", Title = "Feed item", Categories = ["feed/new"], Price = 1 }]);
        await Until(() => _engine.State!.Catalog.IndexOf("feed-new") >= 0);

        // An exclude rule stored as a document by another writer.
        string top = ForYou("rules-visitor")[0];
        var rule = new BusinessRule { Id = "feed-rule", Action = RuleAction.Exclude, Filter = $"id = \"{top}\"" };
        await _store.PutDocumentAsync(ServingEngine.RuleKind, rule.Id, JsonSerializer.Serialize(rule, AttuneJson.Options));
        await Until(() => !ForYou("rules-visitor").Contains(top));

        // Identity: the visitor's live history becomes the user's.
        await _store.AppendEventsAsync([new Event { Type = "view", AnonymousId = "feed-anon", ItemId = _shop.Items[3].Id, Timestamp = DateTimeOffset.UtcNow }]);
        await _store.IdentifyAsync("feed-anon", "feed-user");
        await Until(() => _engine.Live.Owner(null, "feed-anon").Id == "feed-user");

        // Consent: opting out makes the answer non-personal.
        await _store.UpsertUsersAsync([new User { Id = "feed-user", Consent = new Consent { Personalization = false } }]);
        await Until(() => _engine.Recommend(new RecommendationRequest { UserId = "feed-user", Scenario = "for-you" }).Items[0].Reasons
            .Contains("Not personalized: you turned personalization off"));
    }

    [Fact]
    public async Task AWriteIsInLiveStateWhenCatchUpReturns()
    {
        for (int k = 0; k < 20; k++)
        {
            string visitor = $"catch-up-{k}";
            await _store.AppendEventsAsync([new Event { Type = "add_to_cart", AnonymousId = visitor, ItemId = _shop.Items[k].Id, Timestamp = DateTimeOffset.UtcNow }]);
            await _engine.CatchUpAsync();
            var cart = _engine.Recommend(new RecommendationRequest { AnonymousId = visitor, Scenario = "cart-recovery", Count = 5 });
            Assert.Contains(_shop.Items[k].Id, cart.Items.Select(i => i.Id));
        }
        Assert.True(_engine.AppliedChangeSeq >= _store.CommittedChangeSeq);
    }
}
