using Attune.Demo;
using Attune.Evaluation.Search;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Search;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Search;

/// <summary>A demo shop served with sentence vectors on (all-MiniLM-L6-v2, from the package), shared by the tests of one class.</summary>
public sealed class SemanticShopFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private SqliteStore? _store;

    public DemoShop Shop { get; } = DemoShop.Generate(new DemoOptions
    {
        Users = 3_000, Items = 1_500, Days = 60, Seed = 11, End = DemoOptions.DefaultEnd(TimeProvider.System),
    });

    public ServingEngine Engine { get; private set; } = null!;
    public SqliteStore Store => _store!;

    public async ValueTask InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, FullSync = false });
        await DemoLoader.LoadAsync(_store, Shop);
        Engine = new ServingEngine(_store, new ServingOptions
        {
            RetrainIntervalMinutes = 0, RetrainAfterEvents = 0, SemanticSearch = SemanticSearch.AtStart, LogRecommendations = false,
        }, _dir.Path);
        await Engine.StartAsync();
        await Engine.Search.WhenVectorsReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Engine is not null) await Engine.DisposeAsync();
        if (_store is not null) await _store.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>
/// Search by meaning through the engine: what an item is for (its description) answers a need phrased in other words, a
/// request with no word in common with the catalog still finds what is related, nonsense finds nothing, and the same query
/// is ordered by each person's tastes.
/// </summary>
public sealed class SemanticSearchTests(SemanticShopFixture fixture) : IClassFixture<SemanticShopFixture>
{
    private Recommendation Search(string q, string? userId = null, int count = 10, string? recipe = null) => fixture.Engine.Recommend(new RecommendationRequest
    {
        UserId = userId, AnonymousId = userId is null ? "visitor-1" : null, Scenario = "search", Query = q, Count = count, Recipe = recipe,
    });

    private Item ItemOf(string id) => fixture.Shop.Items.First(i => i.Id == id);

    [Fact]
    public void RunningShoesForFlatFeetFindsStabilityRunningShoesFirst()
    {
        Assert.Null(fixture.Engine.Search.Semantic!.Failure);
        Assert.True(fixture.Engine.Search.Semantic.Count > 1_000);
        var answer = Search("running shoes for flat feet");
        var first = ItemOf(answer.Items[0].Id);
        Assert.Equal("shoes/running", first.Categories[0]);
        Assert.Equal("stability", first.Properties["use"]);
        // Most of the first five too (the catalog has many more; popularity may lift another running shoe among them).
        int stability = fixture.Shop.Items.Count(i => !i.Hidden && !i.Blocked && i.Properties.GetValueOrDefault("use") as string == "stability");
        Assert.True(stability >= 5, $"{stability} stability shoes");
        Assert.True(answer.Items.Take(5).Count(hit => ItemOf(hit.Id).Properties.GetValueOrDefault("use") as string == "stability") >= 3,
            string.Join(" | ", answer.Items.Take(5).Select(hit => $"{ItemOf(hit.Id).Title} ({ItemOf(hit.Id).Properties.GetValueOrDefault("use")}) {hit.Score}")));
    }

    [Fact]
    public void WordsTheCatalogNeverUsesStillFindWhatTheyMean()
    {
        // "jogging footwear": no title says jogging or footwear.
        var jogging = Search("jogging footwear");
        Assert.NotEmpty(jogging.Items);
        Assert.All(jogging.Items.Take(5), hit => Assert.StartsWith("shoes/", ItemOf(hit.Id).Categories[0], StringComparison.Ordinal));
        Assert.Equal("shoes/running", ItemOf(jogging.Items[0].Id).Categories[0]);

        var knitwear = Search("knitwear");
        Assert.Equal("clothing/sweaters", ItemOf(knitwear.Items[0].Id).Categories[0]);

        // BM25 alone finds nothing for these; the hybrid search does not leave the page empty.
        foreach (string q in (string[])["jogging footwear", "footwear for icy pavements"])
        {
            Assert.Empty(fixture.Engine.Search.Find(q, 100, Attune.Search.SearchMode.Lexical));
            Assert.NotEmpty(Search(q).Items);
        }

        // Only words too common to search for find nothing. A query none of whose words the catalog holds is answered by
        // meaning (zero-result recovery): all-MiniLM-L6-v2 cannot tell a rare word ("rucksack") from nonsense ("qwerty asdf"
        // sits as close to its nearest item), so both get the nearest items, and the answer says they are related only.
        Assert.Empty(Search("the").Items);
        foreach (string q in (string[])["qwerty asdf", "xyzzy plugh", "rucksack"])
        {
            Assert.False(fixture.Engine.Search.MatchesWords(q));
            Assert.NotEmpty(Search(q).Items);
        }
        Assert.True(fixture.Engine.Search.MatchesWords("jogging shoes"));
    }

    [Fact]
    public void TheSameQueryIsOrderedByEachPersonsTaste()
    {
        // Two shoe lovers whose hidden tastes in shoes differ most (their truth's best ten shoes overlap least).
        var truth = fixture.Shop.Truth;
        var shoes = fixture.Shop.Items.Where(i => !i.Hidden && !i.Blocked && i.Categories[0].StartsWith("shoes/", StringComparison.Ordinal)).ToList();
        var events = fixture.Shop.Events().Where(e => e.UserId is not null).GroupBy(e => e.UserId!).ToDictionary(g => g.Key, g => g.Count());
        var lovers = fixture.Shop.Users
            .Where(u => truth.Tastes[u.Id].DepartmentAffinity.GetValueOrDefault("shoes") >= 0.5 && events.GetValueOrDefault(u.Id) >= 30)
            .Take(40).ToList();
        Assert.True(lovers.Count >= 10, $"{lovers.Count} shoe lovers");
        var best = lovers.ToDictionary(u => u.Id, u => truth.TopItems(u.Id, shoes, 10).ToHashSet());
        var (a, b) = (from x in lovers from y in lovers where string.CompareOrdinal(x.Id, y.Id) < 0
                      orderby best[x.Id].Intersect(best[y.Id]).Count(), x.Id, y.Id select (x.Id, y.Id)).First();

        var forA = Search("shoes", a, count: 10).Items.Select(i => i.Id).ToList();
        var forB = Search("shoes", b, count: 10).Items.Select(i => i.Id).ToList();
        Assert.NotEqual(forA, forB);

        // Each order suits its own person better than the other's order does (graded by their hidden taste).
        Dictionary<string, int> Grades(string user) => truth.TopItems(user, shoes, 60)
            .Select((id, rank) => (id, grade: rank < 10 ? 3 : rank < 30 ? 2 : 1)).ToDictionary(x => x.id, x => x.grade);
        var gradesA = Grades(a);
        var gradesB = Grades(b);
        Assert.True(SearchMetrics.NdcgAt(10, forA, gradesA) > SearchMetrics.NdcgAt(10, forB, gradesA), "A's order suits A better than B's");
        Assert.True(SearchMetrics.NdcgAt(10, forB, gradesB) > SearchMetrics.NdcgAt(10, forA, gradesB), "B's order suits B better than A's");
        // And the reasons say why: the match, and something of the person beside it.
        var reasons = Search("shoes", a, count: 10).Items.Select(i => i.Reasons).ToList();
        Assert.All(reasons, r => Assert.StartsWith("Matches", r[0], StringComparison.Ordinal));
        Assert.True(reasons.Any(r => r.Count > 1), string.Join(" / ", reasons.Select(r => string.Join("; ", r))));
    }

    [Fact]
    public void APriceRangeFiltersAndANamedBrandLeads()
    {
        // The brand with the most running shoes a shopper can buy for 100 or less in this shop.
        string brand = fixture.Shop.Items
            .Where(i => !i.Hidden && !i.Blocked && i.Categories[0] == "shoes/running" && i.Price <= 100)
            .GroupBy(i => i.Brand!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        string q = $"{brand.ToLowerInvariant()} running shoes under 100";
        var answer = Search(q, count: 20);
        Assert.NotEmpty(answer.Items);
        Assert.All(answer.Items, hit => Assert.True(ItemOf(hit.Id).Price <= 100, $"{hit.Id} costs {ItemOf(hit.Id).Price}"));
        Assert.Equal((brand, "shoes/running"), (ItemOf(answer.Items[0].Id).Brand, ItemOf(answer.Items[0].Id).Categories[0]));
        var meaning = fixture.Engine.Search.Interpret(q);
        Assert.Equal((brand, "shoes/running", 100.0), (meaning.Brand, meaning.Category, meaning.MaxPrice));
    }

    [Fact]
    public async Task ItemsAddedChangedOrHiddenReachTheVectors()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = fixture.Engine;
        var throne = new Item
        {
            Id = "throne-1", Title = "Obelisk 9000", Categories = ["home/furniture"], Price = 399,
            Description = "An office chair with lumbar support and adjustable armrests for long days at the desk.",
        };
        await fixture.Store.UpsertItemsAsync([throne], ct);
        await engine.CatchUpAsync(ct);
        await engine.Search.WhenVectorsReadyAsync(ct);
        Assert.Contains("throne-1", engine.Search.Find("comfortable seat for working from home", 20, Attune.Search.SearchMode.Semantic).Select(h => h.ItemId));

        // Hidden: gone from both halves at once.
        await fixture.Store.UpsertItemsAsync([throne with { Hidden = true }], ct);
        await engine.CatchUpAsync(ct);
        Assert.DoesNotContain("throne-1", engine.Search.Find("comfortable seat for working from home", 100, Attune.Search.SearchMode.Semantic).Select(h => h.ItemId));
        Assert.DoesNotContain(Search("office chair lumbar support").Items, i => i.Id == "throne-1");
    }
}
