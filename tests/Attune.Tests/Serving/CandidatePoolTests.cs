using Attune.Demo;
using Attune.Serving;
using Attune.Serving.Filtering;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Serving;

/// <summary>
/// Large catalogs are scored on a candidate pool instead of whole. The same demo shop served both ways (the pool forced with
/// <see cref="ServingOptions.DenseCatalogLimit"/> = 0) must agree closely and keep every guarantee.
/// </summary>
public sealed class CandidatePoolTests
{
    [Fact]
    public async Task PoolScoringAgreesWithWholeCatalogScoringAndKeepsFiltersAndFullLists()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 3000, Items = 6000, Days = 30, Seed = 5, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        ServingOptions Options(int limit) => new() { DenseCatalogLimit = limit, LogRecommendations = false, RetrainIntervalMinutes = 0, RetrainAfterEvents = 0 };
        await using var dense = new ServingEngine(store, Options(1_000_000), Path.Combine(dir.Path, "dense"));
        await dense.StartAsync(ct);
        await using var pooled = new ServingEngine(store, Options(0), Path.Combine(dir.Path, "pooled"));
        await pooled.StartAsync(ct);

        double overlap = 0, similarOverlap = 0;
        int people = 0;
        var prices = shop.Items.ToDictionary(i => i.Id, i => i.Price ?? 0);
        var filter = ItemFilter.Parse("price <= 60");
        foreach (var user in shop.Users.Take(60))
        {
            RecommendationRequest Ask(string scenario, ItemFilter? f = null) => new()
            {
                UserId = user.Id, Scenario = scenario, Count = 10, Filter = f, ItemIds = [shop.Items[people % shop.Items.Count].Id],
            };
            var a = dense.Recommend(Ask("for-you")).Items.Select(i => i.Id).ToList();
            var b = pooled.Recommend(Ask("for-you")).Items.Select(i => i.Id).ToList();
            Assert.Equal(10, b.Count);
            overlap += a.Intersect(b).Count() / 10.0;
            people++;

            var similarDense = dense.Recommend(Ask("similar")).Items.Select(i => i.Id).ToList();
            var similarPooled = pooled.Recommend(Ask("similar")).Items.Select(i => i.Id).ToList();
            similarOverlap += similarDense.Intersect(similarPooled).Count() / 10.0;

            var filtered = pooled.Recommend(Ask("for-you", filter)).Items;
            Assert.Equal(10, filtered.Count);
            Assert.All(filtered, i => Assert.True(prices[i.Id] <= 60));
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"OVERLAP for-you {overlap / people:P0} similar {similarOverlap / people:P0}");
        Assert.True(overlap / people >= 0.6, $"for-you: mean overlap of pooled and whole-catalog top-10: {overlap / people:P0}");
        Assert.True(similarOverlap / people >= 0.7, $"similar: mean overlap of pooled and whole-catalog top-10: {similarOverlap / people:P0}");

        // A filter few items pass: the pool falls back to the whole catalog and still fills the list.
        string brand = shop.Items.GroupBy(i => i.Brand).OrderBy(g => g.Count()).First(g => g.Count() >= 12).Key!;
        var rare = pooled.Recommend(new RecommendationRequest
        {
            UserId = shop.Users[0].Id, Scenario = "for-you", Count = 10, Filter = ItemFilter.Parse($"brand = \"{brand}\""),
        }).Items;
        Assert.Equal(10, rare.Count);
    }
}
