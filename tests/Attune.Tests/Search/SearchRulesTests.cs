using System.Text.Json;
using Attune.Demo;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Rules;
using Attune.Serving.Search;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Search;

/// <summary>Rules for some search queries only: "for 'gift' pin item X", a boost for one query.</summary>
public sealed class SearchRulesTests
{
    private static readonly Item[] s_items =
    [
        new() { Id = "kettle-1", Title = "Zephyr glass kettle", Brand = "Zephyr", Categories = ["home/kitchen"], Price = 40 },
        new() { Id = "kettle-2", Title = "Steel kettle", Brand = "Northway", Categories = ["home/kitchen"], Price = 25 },
        new() { Id = "gift-card", Title = "Gift card", Brand = "Attune", Categories = ["gifts"], Price = 50 },
        new() { Id = "gift-box", Title = "Gift box of teas", Brand = "Leafy", Categories = ["gifts"], Price = 30 },
    ];

    [Fact]
    public async Task APinOrBoostForSomeQueriesAppliesToThoseSearchesOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 300, Items = 200, Days = 10, Seed = 9, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        await store.UpsertItemsAsync(s_items, ct);
        await using var engine = new ServingEngine(store, new ServingOptions
        {
            RetrainIntervalMinutes = 0, RetrainAfterEvents = 0, SemanticSearch = SemanticSearch.Off,
        }, dir.Path);
        await engine.StartAsync(ct);
        string[] Search(string q) => [.. engine.Recommend(new RecommendationRequest { UserId = "u00001", Scenario = "search", Query = q, Count = 10 })
            .Items.Select(i => i.Id)];

        // "for 'gift' pin the kettle": every search holding the word gift, and no other.
        await engine.PutRuleAsync(new BusinessRule
        {
            Id = "gift-kettle", Action = RuleAction.Pin, ItemId = "kettle-1", Position = 1, Queries = ["Gift"],
        }, ct);
        Assert.Equal("kettle-1", Search("gift")[0]);
        Assert.Equal("kettle-1", Search("gift ideas for dad!")[0]);
        Assert.DoesNotContain("kettle-1", Search("giftwrap")); // whole words only
        Assert.NotEqual("kettle-1", Search("kettle steel")[0]);
        // A rule for some queries never applies to a request without one, whatever its scenario.
        var forYou = engine.Recommend(new RecommendationRequest { UserId = "u00001", Scenario = "for-you", Count = 10 });
        Assert.NotEqual("kettle-1", forYou.Items[0].Id);

        // Exact: only the whole query.
        await engine.PutRuleAsync(new BusinessRule
        {
            Id = "gift-kettle", Action = RuleAction.Pin, ItemId = "kettle-1", Position = 1, Scenarios = ["search"], Queries = ["gift"], QueryMatch = "exact",
        }, ct);
        Assert.Equal("kettle-1", Search(" GIFT ")[0]);
        Assert.NotEqual("kettle-1", Search("gift ideas")[0]);
        await engine.DeleteRuleAsync("gift-kettle", ct);

        // A boost for one query: "kettle" lifts the other brand's kettle; "kettles" (another word, the same items) keeps its order.
        string before = Search("kettle")[0], beforeKettles = Search("kettles")[0];
        string other = before == "kettle-1" ? "kettle-2" : "kettle-1";
        string brand = other == "kettle-1" ? "Zephyr" : "Northway";
        await engine.PutRuleAsync(new BusinessRule
        {
            Id = "kettle-brand", Action = RuleAction.Boost, Filter = $"brand == \"{brand}\"", Weight = 5, Queries = ["kettle"],
        }, ct);
        Assert.Equal(other, Search("kettle")[0]);
        Assert.Equal(beforeKettles, Search("kettles")[0]);
        await engine.DeleteRuleAsync("kettle-brand", ct);
        Assert.Equal(before, Search("kettle")[0]);
    }

    [Theory]
    [InlineData("""{"id": "r", "action": "pin", "itemId": "a", "position": 1, "queries": "gift"}""", "queries")]
    [InlineData("""{"id": "r", "action": "pin", "itemId": "a", "position": 1, "queries": [""]}""", "queries")]
    [InlineData("""{"id": "r", "action": "pin", "itemId": "a", "position": 1, "queries": ["!!"]}""", "queries")]
    [InlineData("""{"id": "r", "action": "pin", "itemId": "a", "position": 1, "queries": [3]}""", "queries")]
    [InlineData("""{"id": "r", "action": "pin", "itemId": "a", "position": 1, "queries": ["gift"], "queryMatch": "fuzzy"}""", "queryMatch")]
    [InlineData("""{"id": "r", "action": "pin", "itemId": "a", "position": 1, "queryMatch": "exact"}""", "queryMatch")]
    public void BadQueryConditionsNameTheirField(string json, string field)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Assert.Null(BusinessRule.Read(JsonDocument.Parse(json).RootElement, null, errors));
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void AQueryConditionRoundTripsThroughItsDocument()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var rule = BusinessRule.Read(JsonDocument.Parse("""
            {"id": "r", "action": "boost", "filter": "inStock", "queries": ["gift", "gifts for dad"], "queryMatch": "exact"}
            """).RootElement, null, errors)!;
        Assert.Empty(errors);
        var back = JsonSerializer.Deserialize<BusinessRule>(JsonSerializer.Serialize(rule))!;
        Assert.Equal(["gift", "gifts for dad"], back.Queries);
        Assert.Equal("exact", back.QueryMatch);
    }
}
