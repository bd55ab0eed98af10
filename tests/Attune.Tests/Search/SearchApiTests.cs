using System.Net;
using System.Text;
using Attune.Tests.Server;

namespace Attune.Tests.Search;

/// <summary><c>GET|POST /v1/search</c> through the real server: results, paging, attribution, and every bad input a 400 naming
/// its field (never a 500, never Lucene's query syntax).</summary>
public sealed class SearchApiTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task SearchAnswersPagesAndAttributesAndNamesBadFields()
    {
        using var dir = TestPaths.NewTempDirectory();
        await TestServer.LoadDemoShopAsync(dir.Path, users: 200, items: 150, days: 10, seed: 4);
        await using var server = await TestServer.StartAsync(dataDirectory: dir.Path);
        await server.WaitReadyAsync();
        var client = server.Client;
        await HttpAssert.Ok(await client.PostAsync("/v1/items", Json("""
            [{"id": "kettle-1", "title": "Zephyr glass kettle", "brand": "Zephyr", "categories": ["home/kitchen"], "price": 40,
              "publishedAt": "2026-01-01T00:00:00Z"},
             {"id": "kettle-2", "title": "Steel kettle", "categories": ["home/kitchen"], "price": 25, "publishedAt": "2026-03-01T00:00:00Z"},
             {"id": "kettle-3", "title": "Travel kettle", "categories": ["home/kitchen"], "price": 19, "publishedAt": "2026-02-01T00:00:00Z"}]
            """)));

        // Written items are searchable once the engine applies them (the feed follows the store).
        System.Text.Json.JsonElement found = default;
        for (int i = 0; i < 100; i++)
        {
            found = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=kettles&userId=u00001&fields=title,price"));
            if (found.GetProperty("items").GetArrayLength() == 3) break;
            await Task.Delay(50);
        }
        var items = found.GetProperty("items");
        Assert.Equal(3, items.GetArrayLength());
        Assert.Equal("kettles", found.GetProperty("query").GetString());
        string searchId = found.GetProperty("searchId").GetString()!;
        Assert.StartsWith("rec_", searchId);
        Assert.Contains("kettle", items[0].GetProperty("title").GetString()!, StringComparison.OrdinalIgnoreCase);

        // Pages: the second and third of three, then past the end.
        var page = await HttpAssert.Ok(await client.PostAsync("/v1/search", Json("""{"q": "kettle", "count": 2, "offset": 1, "anonymousId": "v-1"}""")));
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
        Assert.Equal(2, page.GetProperty("items")[0].GetProperty("position").GetInt32());
        var past = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=kettle&offset=150"));
        Assert.Equal(0, past.GetProperty("items").GetArrayLength());

        // Other orders than relevance: the relevant matches re-sorted, then paged. "kettle" also finds a kettlebell (a prefix
        // match, far less relevant): sorted by price it would come first, so weak matches are left out of other orders.
        var relevance = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=kettle&count=200"));
        Assert.Equal(4, relevance.GetProperty("items").GetArrayLength());
        string[] Ids(System.Text.Json.JsonElement r) => [.. r.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
        Assert.Equal(["kettle-3", "kettle-2", "kettle-1"], Ids(await HttpAssert.Ok(await client.GetAsync("/v1/search?q=kettle&sort=price"))));
        Assert.Equal(["kettle-1", "kettle-2", "kettle-3"], Ids(await HttpAssert.Ok(await client.GetAsync("/v1/search?q=kettle&sort=price-desc"))));
        var newest = await HttpAssert.Ok(await client.PostAsync("/v1/search", Json("""{"q": "kettle", "sort": "newest", "offset": 1, "count": 1}""")));
        Assert.Equal(["kettle-3"], Ids(newest));
        Assert.Equal(2, newest.GetProperty("items")[0].GetProperty("position").GetInt32());
        Assert.Equal("newest", newest.GetProperty("sort").GetString());

        // Facets count the matches the filter keeps; each result's title comes with the query's words marked.
        var faceted = await HttpAssert.Ok(await client.PostAsync("/v1/search", Json("""
            {"q": "kettle", "filter": "categories startsWith \"home\"", "facets": ["brand", "price", "category"], "count": 1}
            """)));
        var facets = faceted.GetProperty("facets");
        var brands = facets.GetProperty("brand").EnumerateArray().ToDictionary(v => v.GetProperty("value").GetString()!, v => v.GetProperty("count").GetInt32());
        Assert.Equal(1, brands["Zephyr"]);
        Assert.DoesNotContain(facets.GetProperty("category").EnumerateArray(), v => v.GetProperty("value").GetString()!.StartsWith("sports", StringComparison.Ordinal));
        Assert.Equal(3, facets.GetProperty("category").EnumerateArray().Where(v => v.GetProperty("value").GetString() == "home/kitchen").Single().GetProperty("count").GetInt32());
        var ranges = facets.GetProperty("price").EnumerateArray().ToList();
        Assert.Equal(3, ranges.Sum(r => r.GetProperty("count").GetInt32()));
        Assert.All(ranges, r => Assert.True(r.GetProperty("from").GetDouble() < r.GetProperty("to").GetDouble()));
        Assert.Equal(1, faceted.GetProperty("items").GetArrayLength()); // facets count every match, not the page
        var marked = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=zephyr%20kettles&count=1"));
        Assert.Equal("<em>Zephyr</em> glass <em>kettle</em>", marked.GetProperty("items")[0].GetProperty("highlight").GetString());
        Assert.Equal("Matches “zephyr”, “kettles”", marked.GetProperty("items")[0].GetProperty("reasons")[0].GetString());

        // A price in the words is a filter, and the answer says how the query was read.
        var cheap = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=" + Uri.EscapeDataString("zephyr kettle under 30") + "&fields=price"));
        Assert.Equal(30, cheap.GetProperty("interpretation").GetProperty("maxPrice").GetDouble());
        Assert.Equal("Zephyr", cheap.GetProperty("interpretation").GetProperty("brand").GetString());
        Assert.Equal("zephyr kettle", cheap.GetProperty("interpretation").GetProperty("text").GetString());
        Assert.Contains("kettle-2", Ids(cheap));
        Assert.Contains("kettle-3", Ids(cheap));
        Assert.DoesNotContain("kettle-1", Ids(cheap)); // 40
        Assert.All(cheap.GetProperty("items").EnumerateArray(), i => Assert.True(i.GetProperty("price").GetDouble() <= 30));

        // What search holds (these tests search by words only).
        var status = await HttpAssert.Ok(await client.GetAsync("/v1/search/status"));
        Assert.True(status.GetProperty("items").GetInt32() >= 100);
        Assert.Equal("Off", status.GetProperty("semantic").GetProperty("when").GetString());
        Assert.Equal(0, status.GetProperty("semantic").GetProperty("vectors").GetInt32());

        // Lucene syntax is text.
        foreach (string q in new[] { "\"zephyr kettle", "title:(kettle", "kettle AND OR", "kettle*~^[}" })
        {
            var r = await HttpAssert.Ok(await client.GetAsync("/v1/search?q=" + Uri.EscapeDataString(q)));
            Assert.True(r.GetProperty("items").GetArrayLength() > 0, q);
        }

        // A click carrying the searchId is attributed to the search.
        await HttpAssert.Ok(await client.PostAsync("/v1/events", Json($$"""
            {"type": "click", "userId": "u00001", "itemId": "{{items[0].GetProperty("id").GetString()}}", "recommendationId": "{{searchId}}"}
            """)));
        var logged = await WaitLoggedAsync(client, searchId);
        Assert.Equal("search", logged.GetProperty("scenario").GetString());
        Assert.Equal(1, logged.GetProperty("clicks").GetInt32());

        // Bad input: a 400 naming the field.
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search"), HttpStatusCode.BadRequest, "q");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=%20%20"), HttpStatusCode.BadRequest, "q");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=" + new string('a', 2_000)), HttpStatusCode.BadRequest, "q");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/search", Json($$"""{"q": "{{new string('a', 10_000)}}"}""")), HttpStatusCode.BadRequest, "q");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&count=0"), HttpStatusCode.BadRequest, "count");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&offset=-1"), HttpStatusCode.BadRequest, "offset");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&offset=x"), HttpStatusCode.BadRequest, "offset");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&filter=price%20%3C"), HttpStatusCode.BadRequest, "filter");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&colour=red"), HttpStatusCode.BadRequest, "colour");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&sort=cheapest"), HttpStatusCode.BadRequest, "sort");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&recipe=nope"), HttpStatusCode.BadRequest, "recipe");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&fields=colour"), HttpStatusCode.BadRequest, "fields");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/search", Json("""{"q": 5}""")), HttpStatusCode.BadRequest, "q");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/search", Json("""{"q": "kettle", "facets": ["colour"]}""")), HttpStatusCode.BadRequest, "facets");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/search?q=kettle&facets=properties.nope"), HttpStatusCode.BadRequest, "facets");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/search", Json("""{"q": "kettle", "facets": "brand"}""")), HttpStatusCode.BadRequest, "facets");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/search", Json("""{"q": "kettle", "context": 3}""")), HttpStatusCode.BadRequest, "context");
    }

    private static async Task<System.Text.Json.JsonElement> WaitLoggedAsync(HttpClient client, string id)
    {
        for (int i = 0; i < 100; i++)
        {
            var response = await client.GetAsync($"/v1/recommendations/{id}");
            if (response.IsSuccessStatusCode)
            {
                var body = await HttpAssert.Ok(response);
                if (body.GetProperty("clicks").GetInt32() > 0) return body;
            }
            await Task.Delay(50);
        }
        return await HttpAssert.Ok(await client.GetAsync($"/v1/recommendations/{id}"));
    }
}
