using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Model;
using Attune.Search.Suggest;
using Attune.Tests.Server;

namespace Attune.Tests.Search;

/// <summary>Autocomplete: <see cref="SuggestionIndex"/> on its own, and <c>GET /v1/search/suggest</c> through the real server
/// with past queries sent as <c>search</c> events.</summary>
public sealed class SuggestTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static Item Item(string id, string title, string? brand = null, string? category = null, bool hidden = false) => new()
    {
        Id = id, Title = title, Brand = brand, Categories = category is null ? [] : [category], Hidden = hidden,
    };

    [Fact]
    public void EveryTypedWordBeginsAWordOfTheSuggestion()
    {
        var index = new SuggestionIndex();
        index.Upsert([
            Item("a", "Stride Trail Running Shoe", "Stride", "shoes/running"),
            Item("b", "Running Socks", "Stride", "clothing/socks"),
            Item("c", "Trail Mix", "Nutty", "food/snacks"),
            Item("d", "Secret Prototype Shoe", "Stride", "shoes/running", hidden: true),
        ]);
        index.SetItemWeights([new("b", 5), new("a", 1)]);
        index.Rebuild();

        var found = index.Find("run sho", 10);
        Assert.Equal(["a"], found[SuggestionKind.Item].Select(m => m.Key));
        Assert.Equal(["shoes/running"], found[SuggestionKind.Category].Select(m => m.Key));
        Assert.Equal("Shoes › Running", found[SuggestionKind.Category][0].Text);

        // Those beginning with the typed text first ("Running Socks"), then further in by weight.
        var run = index.Find("RUN", 10)[SuggestionKind.Item];
        Assert.Equal(["b", "a"], run.Select(m => m.Key));
        Assert.True(run[0].Leading);
        Assert.False(run[1].Leading);

        // Brands count their visible items; a hidden item is never suggested.
        var stride = index.Find("str", 10);
        Assert.Equal(2, stride[SuggestionKind.Brand].Single().Weight);
        Assert.Empty(index.Find("secret", 10)[SuggestionKind.Item]);
        Assert.Empty(index.Find("xyz", 10)[SuggestionKind.Item]);

        // Removing an item takes its category away once no visible item is left in it.
        index.Remove("c");
        index.Rebuild();
        Assert.Empty(index.Find("snack", 10)[SuggestionKind.Category]);
    }

    [Fact]
    public void APastQueryIsOfferedToOthersOnlyOnceSeveralPeopleSearchedIt()
    {
        var index = new SuggestionIndex();
        index.AddQuery("p1", "Glass  Kettle");
        index.AddQuery("p2", "glass kettle");
        index.AddQuery("p1", "my private thing");
        index.Rebuild();
        Assert.Empty(index.Find("gla", 10)[SuggestionKind.Query]);
        Assert.Equal(["glass kettle"], index.Recent("p2", "gla", 3));
        Assert.Equal(["my private thing", "glass kettle"], index.Recent("p1", "", 3));
        Assert.Empty(index.Recent("p2", "priv", 3));

        index.AddQuery("p3", "glass kettle");
        index.Rebuild();
        var query = Assert.Single(index.Find("kett", 10)[SuggestionKind.Query]);
        Assert.Equal("glass kettle", query.Text);
        Assert.Equal(3, query.Weight);
        Assert.Equal(["glass kettle"], index.Find("", 10)[SuggestionKind.Query].Select(m => m.Text));

        // An erased person's queries go, and a query they made public is private again without them.
        index.Forget("p3");
        index.Rebuild();
        Assert.Empty(index.Find("kett", 10)[SuggestionKind.Query]);
        Assert.Empty(index.Recent("p3", "", 3));

        // A visitor who turns out to be a user brings their queries along.
        index.AddQuery("anon-1", "red scarf");
        index.Link("anon-1", "p9");
        Assert.Equal(["red scarf"], index.Recent("p9", "", 3));
        Assert.Empty(index.Recent("anon-1", "", 3));

        Assert.Null(SuggestionIndex.Normalize(" x "));
        Assert.Null(SuggestionIndex.Normalize(new string('a', SuggestionIndex.MaxQueryLength + 1)));
    }

    [Fact]
    public async Task SuggestCompletesFromTheCatalogAndPastQueriesThePersonsFirst()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using var server = await TestServer.StartAsync(dataDirectory: dir.Path);
        await server.WaitReadyAsync();
        var client = server.Client;
        await HttpAssert.Ok(await client.PostAsync("/v1/items", Json("""
            [{"id": "k1", "title": "Zephyr Glass Kettle", "brand": "Zephyr", "categories": ["home/kitchen"], "price": 40},
             {"id": "k2", "title": "Steel Kettle", "brand": "Forge", "categories": ["home/kitchen"], "price": 25},
             {"id": "k3", "title": "Kettlebell 12 kg", "brand": "Forge", "categories": ["sports/weights"], "price": 30}]
            """)));
        await HttpAssert.Ok(await client.PostAsync("/v1/events", Json("""
            [{"type": "search", "userId": "s1", "query": "glass kettle"},
             {"type": "search", "userId": "s2", "query": "Glass kettle"},
             {"type": "search", "userId": "s3", "query": "glass kettle"},
             {"type": "search", "userId": "s4", "query": "kettle descaler"},
             {"type": "view", "userId": "s4", "itemId": "k3"},
             {"type": "purchase", "userId": "s4", "itemId": "k3", "value": 30}]
            """)));

        // The events reach the suggestions through the change feed; the lookup snapshot is rebuilt within a second.
        JsonElement answer = default;
        for (int i = 0; i < 100; i++)
        {
            answer = await HttpAssert.Ok(await client.GetAsync("/v1/search/suggest?q=kett"));
            if (answer.GetProperty("suggestions").EnumerateArray().Any(s => s.GetProperty("type").GetString() == "query")) break;
            await Task.Delay(100);
        }
        Assert.Equal("kett", answer.GetProperty("q").GetString());
        var suggestions = answer.GetProperty("suggestions").EnumerateArray().ToList();
        Assert.Equal(("glass kettle", "query"), (suggestions[0].GetProperty("text").GetString(), suggestions[0].GetProperty("type").GetString()));
        // One person's query is theirs alone.
        Assert.DoesNotContain(suggestions, s => s.GetProperty("text").GetString() == "kettle descaler");
        Assert.Contains(suggestions, s => s.GetProperty("type").GetString() == "item" && s.GetProperty("itemId").GetString() == "k2");
        var kitchen = await HttpAssert.Ok(await client.GetAsync("/v1/search/suggest?q=kitch"));
        var category = Assert.Single(kitchen.GetProperty("suggestions").EnumerateArray());
        Assert.Equal(("Home › Kitchen", "category", "home/kitchen"),
            (category.GetProperty("text").GetString(), category.GetProperty("type").GetString(), category.GetProperty("category").GetString()));
        Assert.All(suggestions, s => Assert.False(s.GetProperty("personal").GetBoolean()));

        // The person's own query first, then their usual category and brand before others.
        var own = await HttpAssert.Ok(await client.GetAsync("/v1/search/suggest?q=kett&userId=s4"));
        var first = own.GetProperty("suggestions")[0];
        Assert.Equal("kettle descaler", first.GetProperty("text").GetString());
        Assert.True(first.GetProperty("personal").GetBoolean());
        var forge = await HttpAssert.Ok(await client.GetAsync("/v1/search/suggest?q=f&userId=s4"));
        Assert.Contains(forge.GetProperty("suggestions").EnumerateArray(), s => s.GetProperty("type").GetString() == "brand"
            && s.GetProperty("brand").GetString() == "Forge" && s.GetProperty("personal").GetBoolean());

        // Nothing typed: the person's recent queries, then what many searched.
        var empty = await HttpAssert.Ok(await client.GetAsync("/v1/search/suggest?q=&userId=s4&count=5"));
        Assert.Equal(["kettle descaler", "glass kettle"], empty.GetProperty("suggestions").EnumerateArray().Select(s => s.GetProperty("text").GetString()));

        // Bad input names its field.
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search/suggest?q=k&count=0"), HttpStatusCode.BadRequest, "count");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search/suggest?q=k&count=ten"), HttpStatusCode.BadRequest, "count");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search/suggest?q=" + new string('k', 201)), HttpStatusCode.BadRequest, "q");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search/suggest?q=k&colour=red"), HttpStatusCode.BadRequest, "colour");
        var odd = await HttpAssert.Ok(await client.GetAsync("/v1/search/suggest?q=" + Uri.EscapeDataString("\"(kett*")));
        Assert.Contains(odd.GetProperty("suggestions").EnumerateArray(), s => s.GetProperty("type").GetString() == "item");
    }

    [Fact]
    public async Task PastQueriesAreReadBackAtStart()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using (var first = await TestServer.StartAsync(dataDirectory: dir.Path))
        {
            await first.WaitReadyAsync();
            await HttpAssert.Ok(await first.Client.PostAsync("/v1/events", Json("""
                [{"type": "search", "userId": "a", "query": "wool socks"},
                 {"type": "search", "userId": "b", "query": "wool socks"},
                 {"type": "search", "userId": "c", "query": "wool socks"}]
                """)));
        }
        await using var second = await TestServer.StartAsync(dataDirectory: dir.Path);
        await second.WaitReadyAsync();
        JsonElement answer = default;
        for (int i = 0; i < 50; i++)
        {
            answer = await HttpAssert.Ok(await second.Client.GetAsync("/v1/search/suggest?q=wo"));
            if (answer.GetProperty("suggestions").GetArrayLength() > 0) break;
            await Task.Delay(100);
        }
        var s = Assert.Single(answer.GetProperty("suggestions").EnumerateArray());
        Assert.Equal(("wool socks", "query"), (s.GetProperty("text").GetString(), s.GetProperty("type").GetString()));
    }
}
