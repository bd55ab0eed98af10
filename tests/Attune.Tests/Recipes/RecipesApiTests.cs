using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;

namespace Attune.Tests.Recipes;

/// <summary>Recipes through the real HTTP server over a small demo shop: named, versioned, validated, served side by side.</summary>
public sealed class RecipesApiTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 400, items: 300, days: 20, seed: 5);
        _server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Attune:Serving:LogRecommendations"] = "false" }, _dir.Path);
        await _server.WaitReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<JsonElement> Put(string name, string json) =>
        await HttpAssert.Ok(await Client.PutAsync($"/v1/recipes/{name}", new StringContent(json, System.Text.Encoding.UTF8, "application/json")));

    private async Task<HttpResponseMessage> PutRaw(string name, string json) =>
        await Client.PutAsync($"/v1/recipes/{name}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    private async Task<JsonElement> Recommend(object body) => await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations", body));

    private static List<string> Ids(JsonElement answer) => answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();

    /// <summary>
    /// Two people with their own (different) activity: the default recipe personalizes, a popularity-only recipe gives both
    /// the same list. Their activity avoids the most popular items, so the guardrails (an anchor or a purchase is never
    /// recommended back) cannot make the popularity lists differ.
    /// </summary>
    private async Task<(string A, string B)> TwoPeopleWithDifferentTastesAsync()
    {
        var popular = Ids(await Recommend(new { anonymousId = "nobody", count = 40, recipe = "pop-only" })).ToHashSet();
        var page = await Client.GetFromJsonAsync<JsonElement>("/v1/items?limit=1000");
        var items = page.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).Where(id => !popular.Contains(id)).ToList();
        var events = new List<object>();
        foreach (string id in items.Take(4)) events.Add(new { type = "view", userId = "alice-recipes", itemId = id });
        foreach (string id in items.TakeLast(4)) events.Add(new { type = "view", userId = "bob-recipes", itemId = id });
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/events", events));
        return ("alice-recipes", "bob-recipes");
    }

    [Fact]
    public async Task APopularityOnlyRecipeGivesEveryoneTheSameListWhileTheDefaultPersonalizes()
    {
        // Act
        var stored = await Put("pop-only", """{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""");
        var (alice, bob) = await TwoPeopleWithDifferentTastesAsync();
        var a = await Recommend(new { userId = alice, count = 10, recipe = "pop-only" });
        var b = await Recommend(new { userId = bob, count = 10, recipe = "pop-only" });
        var defaultA = await Recommend(new { userId = alice, count = 10 });
        var defaultB = await Recommend(new { userId = bob, count = 10 });

        // Assert
        Assert.Equal(1, stored.GetProperty("version").GetInt32());
        Assert.Equal(1f, stored.GetProperty("resolved").GetProperty("for-you").GetProperty("sources").GetProperty("popularity").GetSingle());
        // Settings it does not name come from the default recipe.
        Assert.Equal(0.15, stored.GetProperty("resolved").GetProperty("for-you").GetProperty("diversity").GetDouble());
        Assert.True(stored.GetProperty("resolved").GetProperty("similar").GetProperty("sources").TryGetProperty("viewed", out _));
        Assert.Equal("pop-only", a.GetProperty("recipe").GetString());
        Assert.Equal(10, Ids(a).Count);
        Assert.Equal(Ids(a), Ids(b));
        Assert.Equal("default", defaultA.GetProperty("recipe").GetString());
        Assert.NotEqual(Ids(defaultA), Ids(defaultB));
        // The GET form takes it too.
        var viaGet = await HttpAssert.Ok(await Client.GetAsync($"/v1/recommendations?userId={alice}&count=10&recipe=pop-only"));
        Assert.Equal(Ids(a), Ids(viaGet));
    }

    [Fact]
    public async Task AnUnknownRecipeInARequestIsA400NamingRecipe()
    {
        await HttpAssert.ProblemNaming(await Client.PostAsJsonAsync("/v1/recommendations", new { userId = "u00001", recipe = "nope" }),
            HttpStatusCode.BadRequest, "recipe");
        await HttpAssert.ProblemNaming(await Client.GetAsync("/v1/recommendations?userId=u00001&recipe=nope"), HttpStatusCode.BadRequest, "recipe");
        await HttpAssert.ProblemNaming(await Client.PostAsJsonAsync("/v1/rank", new { userId = "u00001", recipe = "nope", candidates = new[] { "i00001" } }),
            HttpStatusCode.BadRequest, "recipe");
    }

    [Theory]
    [InlineData("""{"scenarios": {"for-you": {"sources": {"magic": 1}}}}""", "scenarios.for-you.sources.magic")]
    [InlineData("""{"scenarios": {"nowhere": {"sources": {"als": 1}}}}""", "scenarios.nowhere")]
    [InlineData("""{"scenarios": {"for-you": {"sources": {"als": -1}}}}""", "scenarios.for-you.sources.als")]
    [InlineData("""{"scenarios": {"for-you": {"sources": {"als": "high"}}}}""", "scenarios.for-you.sources.als")]
    [InlineData("""{"scenarios": {"for-you": {"sources": {"als": 0}}}}""", "scenarios.for-you.sources")]
    [InlineData("""{"scenarios": {"for-you": {"diversity": 2}}}""", "scenarios.for-you.diversity")]
    [InlineData("""{"scenarios": {"for-you": {"pool": {"popular": -5}}}}""", "scenarios.for-you.pool.popular")]
    [InlineData("""{"scenarios": {"for-you": {"pool": {"everything": 5}}}}""", "scenarios.for-you.pool.everything")]
    [InlineData("""{"scenarios": {"for-you": {"shiny": true}}}""", "scenarios.for-you.shiny")]
    [InlineData("""{"scenarios": {"new-arrivals": {"sources": {"als": 1}}}}""", "scenarios.new-arrivals.sources")]
    [InlineData("""{"scenarios": {"home-rows": {}}}""", "scenarios.home-rows")]
    [InlineData("""{"modelVersion": "v99"}""", "modelVersion")]
    [InlineData("""{"modelVersion": "latest"}""", "modelVersion")]
    [InlineData("""{"colour": "blue"}""", "colour")]
    public async Task ABadRecipeIsA400NamingTheField(string json, string field)
    {
        await HttpAssert.ProblemNaming(await PutRaw("bad", json), HttpStatusCode.BadRequest, field);
        await HttpAssert.Problem(await Client.GetAsync("/v1/recipes/bad"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task EveryChangeIsAVersionAndOldVersionsStayReadable()
    {
        await Put("tuned", """{"description": "first", "scenarios": {"for-you": {"diversity": 0.3}}}""");
        var second = await Put("tuned", """{"description": "second", "scenarios": {"for-you": {"diversity": 0.5}}}""");
        Assert.Equal(2, second.GetProperty("version").GetInt32());

        var first = await HttpAssert.Ok(await Client.GetAsync("/v1/recipes/tuned?version=1"));
        Assert.Equal("first", first.GetProperty("description").GetString());
        Assert.Equal(0.3, first.GetProperty("scenarios").GetProperty("for-you").GetProperty("diversity").GetDouble());
        var list = await HttpAssert.Ok(await Client.GetAsync("/v1/recipes"));
        Assert.Equal("default", list[0].GetProperty("name").GetString());
        Assert.Contains(list.EnumerateArray(), r => r.GetProperty("name").GetString() == "tuned" && r.GetProperty("version").GetInt32() == 2);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/v1/recipes/tuned")).StatusCode);
        await HttpAssert.Problem(await Client.GetAsync("/v1/recipes/tuned"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await Client.DeleteAsync("/v1/recipes/tuned"), HttpStatusCode.NotFound);
        var versions = await HttpAssert.Ok(await Client.GetAsync("/v1/recipes/tuned/versions"));
        Assert.Equal([1, 2, 3], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.True(versions[2].GetProperty("deleted").GetBoolean());
        Assert.True(versions[0].GetProperty("updatedAt").GetDateTimeOffset() <= versions[1].GetProperty("updatedAt").GetDateTimeOffset());
        // A recreated recipe continues the numbering.
        Assert.Equal(4, (await Put("tuned", "{}")).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task TheDefaultRecipeCanBeChangedAndReset()
    {
        await Put("pop-only", """{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""");
        var (alice, bob) = await TwoPeopleWithDifferentTastesAsync();
        await Put("default", """{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""");
        Assert.Equal(Ids(await Recommend(new { userId = alice, count = 8 })), Ids(await Recommend(new { userId = bob, count = 8 })));
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/v1/recipes/default")).StatusCode);
        Assert.NotEqual(Ids(await Recommend(new { userId = alice, count = 8 })), Ids(await Recommend(new { userId = bob, count = 8 })));
    }

    [Fact]
    public async Task TwoModelVersionsServeSideBySideAndADeletedOneFallsBackWithAWarning()
    {
        var trained = await HttpAssert.Ok(await Client.PostAsync("/v1/models/train?wait=true", null));
        Assert.Equal("v2", trained.GetProperty("version").GetString());
        var pinned = await Put("old-model", """{"modelVersion": "v1"}""");
        Assert.Equal("v1", pinned.GetProperty("servedBy").GetString());
        Assert.Empty(pinned.GetProperty("warnings").EnumerateArray());

        var old = await Recommend(new { userId = "u00001", count = 5, recipe = "old-model" });
        var current = await Recommend(new { userId = "u00001", count = 5 });
        Assert.Equal("v1", old.GetProperty("modelVersion").GetString());
        Assert.Equal("v2", current.GetProperty("modelVersion").GetString());
        Assert.Equal(5, Ids(old).Count);

        // The active version cannot be deleted; the pinned one can, and its recipe falls back to the active one.
        await HttpAssert.Problem(await Client.DeleteAsync("/v1/models/v2"), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/v1/models/v1")).StatusCode);
        var fallback = await Recommend(new { userId = "u00001", count = 5, recipe = "old-model" });
        Assert.Equal("v2", fallback.GetProperty("modelVersion").GetString());
        var recipe = await HttpAssert.Ok(await Client.GetAsync("/v1/recipes/old-model"));
        Assert.Contains("v1", recipe.GetProperty("warnings")[0].GetString());
        Assert.Equal("v2", recipe.GetProperty("servedBy").GetString());
    }

    [Fact]
    public async Task ARecipeChoosesWhichRuleSetsApply()
    {
        var top = Ids(await Recommend(new { anonymousId = "visitor-rules", count = 5 }));
        string blocked = top[0];
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/rules",
            new { id = "summer-block", action = "exclude", set = "summer", filter = $"id = \"{blocked}\"" }));
        await Put("no-summer", """{"scenarios": {"for-you": {"ruleSets": ["default"]}}}""");

        Assert.DoesNotContain(blocked, Ids(await Recommend(new { anonymousId = "visitor-rules", count = 5 })));
        Assert.Contains(blocked, Ids(await Recommend(new { anonymousId = "visitor-rules", count = 5, recipe = "no-summer" })));
    }
}
