using System.Net;
using System.Text;
using Attune.Model;
using Attune.Search.Understanding;
using Attune.Serving.Search;
using Attune.Tests.Server;

namespace Attune.Tests.Search;

/// <summary>Synonyms: a file in the Solr format, variants of a query, and synonyms learned from people's rewordings.</summary>
public sealed class SynonymTests
{
    private static Item Item(string id, string title, string category) => new() { Id = id, Title = title, Categories = [category] };

    private static CatalogSearch Catalog()
    {
        var search = new CatalogSearch(SemanticSearch.Off);
        search.Upsert([
            Item("b1", "Summit Hiking Backpack 40 l", "outdoor/backpacks"),
            Item("b2", "City Backpack", "bags/backpacks"),
            Item("s1", "Stride Running Shoes", "shoes/running"),
            Item("r1", "Rucksack Cover", "outdoor/accessories"),
        ]);
        return search;
    }

    [Fact]
    public void AFileOfSynonymsWidensWhatAQueryFinds()
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "synonyms.txt");
        File.WriteAllText(file, """
            # outdoor words
            rucksack, backpack, knapsack
            trainers => running shoes
            """);
        using var search = Catalog();
        Assert.Empty(search.Find("knapsack", 10, Attune.Search.SearchMode.Lexical));
        Assert.False(search.MatchesWords("trainers"));

        search.LoadSynonyms(file);
        Assert.Equal(file, search.Synonyms.Source);
        // Equivalent: every word of the group finds the others; the query's own words rank first.
        var knapsack = search.Find("knapsack", 10, Attune.Search.SearchMode.Lexical).Select(h => h.ItemId).ToList();
        Assert.Equal(["b1", "b2", "r1"], knapsack.Order());
        var rucksack = search.Find("rucksack", 10, Attune.Search.SearchMode.Lexical);
        Assert.Equal("r1", rucksack[0].ItemId);
        Assert.Contains(rucksack, h => h.ItemId == "b2");
        // One way: "trainers" finds running shoes, "running shoes" does not find what "trainers" says.
        Assert.True(search.MatchesWords("trainers"));
        Assert.Equal("s1", search.Find("trainers", 10, Attune.Search.SearchMode.Lexical)[0].ItemId);
        Assert.Equal(["Trainers", "running shoes"], search.Synonyms.Variants("Trainers"));
        Assert.Equal(["running shoes"], search.Synonyms.Variants("running shoes"));
        // Reasons name the word that matched.
        Assert.Equal(["running", "shoes"], search.MatchedWords("trainers", new Item { Id = "s1", Title = "Stride Running Shoes" }).Order());
        // A phrase inside a longer query is replaced in place.
        Assert.Contains("hiking backpack", search.Synonyms.Variants("hiking rucksack"));
    }

    [Fact]
    public void AMalformedFileIsRefusedNamingItsLine()
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "synonyms.txt");
        File.WriteAllText(file, "rucksack, backpack\nlonely\n");
        var e = Assert.Throws<FormatException>(() => new Synonyms().Load(file));
        Assert.Contains("line 2", e.Message);
        File.WriteAllText(file, "a => b => c\n");
        Assert.Contains("line 1", Assert.Throws<FormatException>(() => new Synonyms().Load(file)).Message);
    }

    [Fact]
    public void ARewordingManyPeopleMakeIsLearned()
    {
        using var search = Catalog();
        var reformulations = new Reformulations(search.MatchesWords, search.LearnSynonym);
        long t = 1_000_000;
        // Two people search "knapsack", find nothing, and search "backpack" next: not yet enough.
        foreach (string person in (string[])["p1", "p2"])
        {
            reformulations.Observe(person, "knapsack", t);
            reformulations.Observe(person, "backpack", t + 10_000);
        }
        // Rewordings that do not count: too late, from a query that found something, the same person again.
        reformulations.Observe("p4", "knapsack", t);
        reformulations.Observe("p4", "backpack", t + Reformulations.WindowMs + 1);
        reformulations.Observe("p5", "city", t);
        reformulations.Observe("p5", "backpack", t + 1_000);
        reformulations.Observe("p1", "knapsack", t + 20_000);
        reformulations.Observe("p1", "backpack", t + 21_000);
        Assert.False(search.MatchesWords("knapsack"));
        Assert.Equal(0, reformulations.Learned);

        reformulations.Observe("p3", "Knapsack", t);
        reformulations.Observe("p3", "backpack", t + 5_000);
        Assert.Equal(1, reformulations.Learned);
        Assert.Equal(["backpack"], search.Synonyms.Learned["knapsack"]);
        Assert.True(search.MatchesWords("knapsack"));
        Assert.Equal(["b1", "b2"], search.Find("knapsack", 10, Attune.Search.SearchMode.Lexical).Select(h => h.ItemId).Order());
    }

    [Fact]
    public async Task TheServerReadsTheConfiguredFileAndLearnsFromSearchEvents()
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "synonyms.txt");
        File.WriteAllText(file, "tee, t-shirt\n");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Attune:Serving:SynonymsFile"] = file }, dir.Path);
        await server.WaitReadyAsync();
        var client = server.Client;
        StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
        await HttpAssert.Ok(await client.PostAsync("/v1/items", Json("""
            [{"id": "t1", "title": "Organic Cotton T-Shirt", "categories": ["clothing/tops"]},
             {"id": "k1", "title": "Canvas Backpack", "categories": ["bags/backpacks"]}]
            """)));
        var events = new StringBuilder("[");
        for (int p = 1; p <= 3; p++)
            events.Append($$"""{"type": "search", "userId": "w{{p}}", "query": "knapsack", "timestamp": "2026-12-01T10:00:00Z"},""")
                .Append($$"""{"type": "search", "userId": "w{{p}}", "query": "backpack", "timestamp": "2026-12-01T10:00:20Z"},""");
        events.Length--;
        events.Append(']');
        // The items first (a rewording counts only when its second query matches the catalog).
        for (int i = 0; i < 100 && (await HttpAssert.Ok(await client.GetAsync("/v1/search?q=backpack"))).GetProperty("items").GetArrayLength() == 0; i++)
            await Task.Delay(50);
        await HttpAssert.Ok(await client.PostAsync("/v1/events", Json(events.ToString())));

        System.Text.Json.JsonElement synonyms = default;
        for (int i = 0; i < 100; i++)
        {
            synonyms = await HttpAssert.Ok(await client.GetAsync("/v1/search/synonyms"));
            if (synonyms.GetProperty("learned").TryGetProperty("knapsack", out _)) break;
            await Task.Delay(50);
        }
        Assert.Equal(file, synonyms.GetProperty("source").GetString());
        Assert.Equal("t-shirt", synonyms.GetProperty("configured").GetProperty("tee")[0].GetString());
        Assert.Equal("backpack", synonyms.GetProperty("learned").GetProperty("knapsack")[0].GetString());
        var tee = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=tee"));
        Assert.Equal("t1", tee.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.False(tee.TryGetProperty("relatedOnly", out _));
        var knapsack = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=knapsack"));
        Assert.Equal("k1", knapsack.GetProperty("items")[0].GetProperty("id").GetString());
    }
}
