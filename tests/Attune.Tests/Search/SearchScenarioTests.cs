using Attune.Demo;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Filtering;
using Attune.Serving.Search;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Search;

/// <summary>
/// The <c>search</c> scenario through the engine: the catalog search follows the catalog (loaded, changed, deleted, hidden),
/// answers are restricted to what matches, and filters, exclusions and explanations apply as to recommendations.
/// </summary>
public sealed class SearchScenarioTests
{
    private static readonly Item[] s_items =
    [
        new() { Id = "kettle-1", Title = "Zephyr glass kettle", Brand = "Zephyr", Categories = ["home/kitchen"], Price = 40,
            Description = "Boils a litre in three minutes." },
        new() { Id = "kettle-2", Title = "Steel kettle", Brand = "Northway", Categories = ["home/kitchen"], Price = 25,
            Description = "A whistling stovetop kettle." },
        new() { Id = "mug-1", Title = "Zephyr mug", Brand = "Zephyr", Categories = ["home/kitchen"], Price = 8 },
    ];

    [Fact]
    public async Task SearchAnswersWhatMatchesFollowsTheCatalogAndAppliesFilters()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 300, Items = 200, Days = 10, Seed = 9, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        await store.UpsertItemsAsync(s_items, ct);
        await using var engine = new ServingEngine(store, new ServingOptions
        {
            RetrainIntervalMinutes = 0, RetrainAfterEvents = 0, SemanticSearch = SemanticSearch.Off, // words only: meaning is SemanticSearchTests'
        }, dir.Path);
        await engine.StartAsync(ct);

        Recommendation Search(string q, ItemFilter? filter = null, IReadOnlyList<string>? exclude = null) => engine.Recommend(new RecommendationRequest
        {
            UserId = "u00001", Scenario = "search", Query = q, Count = 10, Filter = filter, Exclude = exclude ?? [],
        });

        var kettles = Search("kettles");
        Assert.Equal(["kettle-1", "kettle-2"], kettles.Items.Select(i => i.Id).Order());
        Assert.Contains(kettles.Items[0].Reasons, r => r.Contains("Matches “kettles”", StringComparison.Ordinal));
        Assert.Equal("kettle-1", Search("zephyr kettle").Items[0].Id);
        Assert.Equal("kettle-1", Search("zephir kettel").Items[0].Id); // typos
        Assert.Empty(Search("xyzzy plugh").Items);

        // Filters and exclusions apply as to recommendations.
        Assert.True(ItemFilter.TryParse("price < 30", out var cheap, out _));
        Assert.Equal(["kettle-2"], Search("kettle", cheap).Items.Select(i => i.Id));
        Assert.Equal(["kettle-2"], Search("kettle", exclude: ["kettle-1"]).Items.Select(i => i.Id));

        // A query is required.
        var missing = Assert.Throws<RecommendationException>(() => Search(" "));
        Assert.Equal("q", missing.Field);

        // Changes reach search as soon as the engine applies them.
        await store.UpsertItemsAsync([new Item { Id = "kettle-3", Title = "Travel kettle", Categories = ["home/kitchen"], Price = 19 }], ct);
        await store.UpsertItemsAsync([s_items[1] with { Hidden = true }], ct);
        await store.DeleteItemAsync("mug-1", ct);
        await engine.CatchUpAsync(ct);
        Assert.Equal(["kettle-1", "kettle-3"], Search("kettle").Items.Select(i => i.Id).Order());
        Assert.Empty(Search("mug").Items);
    }
}
