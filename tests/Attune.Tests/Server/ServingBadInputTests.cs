using System.Net;
using System.Text;

namespace Attune.Tests.Server;

/// <summary>Every bad recommendation, rank, rule or model request is a 400/404 problem naming the field, never a 500.</summary>
public sealed class ServingBadInputTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        // The first (empty) model trains in the background; wait until it is active.
        for (int i = 0; i < 200 && !(await _server.Client.GetAsync("/ready")).IsSuccessStatusCode; i++) await Task.Delay(50);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(string path, string json) =>
        _server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Theory]
    [InlineData("""{"filter":"price <= "}""", "filter")]
    [InlineData("""{"filter":"prize > 3"}""", "filter")]
    [InlineData("""{"filter":42}""", "filter")]
    [InlineData("""{"scenario":"nope"}""", "scenario")]
    [InlineData("""{"scenario":"similar"}""", "itemId")]
    [InlineData("""{"count":0}""", "count")]
    [InlineData("""{"count":100000}""", "count")]
    [InlineData("""{"count":"ten"}""", "count")]
    [InlineData("""{"userId":""}""", "userId")]
    [InlineData("""{"itemIds":"i1"}""", "itemIds")]
    [InlineData("""{"itemIds":[1]}""", "itemIds[0]")]
    [InlineData("""{"context":[1]}""", "context")]
    [InlineData("""{"fields":["colour"]}""", "fields")]
    [InlineData("""{"explain":"yes"}""", "explain")]
    [InlineData("""{"candidates":["i1"]}""", "candidates")]
    [InlineData("""{"colour":"red"}""", "colour")]
    [InlineData("""{"recipe":"nope"}""", "recipe")]
    [InlineData("""{"recipe":7}""", "recipe")]
    public async Task BadRecommendationRequestIsA400NamingTheField(string json, string field)
    {
        await HttpAssert.ProblemNaming(await Post("/v1/recommendations", json), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task BadFilterNamesThePositionOfTheError()
    {
        var problem = await HttpAssert.ProblemNaming(await Post("/v1/recommendations", """{"filter":"inStock and price <= "}"""),
            HttpStatusCode.BadRequest, "filter");
        Assert.Matches("^position [0-9]+: ", problem.GetProperty("errors").GetProperty("filter")[0].GetString());
    }

    [Theory]
    [InlineData("/v1/recommendations?count=-1", "count")]
    [InlineData("/v1/recommendations?filter=price%20%3E", "filter")]
    [InlineData("/v1/recommendations?explain=maybe", "explain")]
    [InlineData("/v1/recommendations?colour=red", "colour")]
    [InlineData("/v1/recommendations?scenario=complementary", "itemId")]
    public async Task BadQueryIsA400NamingTheParameter(string url, string field)
    {
        await HttpAssert.ProblemNaming(await _server.Client.GetAsync(url), HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("""{"candidates":[]}""", "candidates")]
    [InlineData("""{"userId":"u1"}""", "candidates")]
    [InlineData("""{"candidates":"i1"}""", "candidates")]
    public async Task BadRankRequestIsA400(string json, string field)
    {
        await HttpAssert.ProblemNaming(await Post("/v1/rank", json), HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("""{"id":"r1"}""", "action")]
    [InlineData("""{"action":"boost","filter":"inStock"}""", "id")]
    [InlineData("""{"id":"r1","action":"promote","filter":"inStock"}""", "action")]
    [InlineData("""{"id":"r1","action":"boost"}""", "filter")]
    [InlineData("""{"id":"r1","action":"boost","filter":"price >"}""", "filter")]
    [InlineData("""{"id":"r1","action":"bury","filter":"inStock","weight":2}""", "weight")]
    [InlineData("""{"id":"r1","action":"boost","filter":"inStock","weight":-1}""", "weight")]
    [InlineData("""{"id":"r1","action":"pin","itemId":"i1"}""", "position")]
    [InlineData("""{"id":"r1","action":"pin","position":1}""", "itemId")]
    [InlineData("""{"id":"r1","action":"pin","itemId":"i1","position":0}""", "position")]
    [InlineData("""{"id":"r1","action":"exclude","filter":"inStock","scenarios":"for-you"}""", "scenarios")]
    [InlineData("""{"id":"r1","action":"exclude","filter":"inStock","colour":1}""", "colour")]
    public async Task BadRuleIsA400NamingTheField(string json, string field)
    {
        await HttpAssert.ProblemNaming(await Post("/v1/rules", json), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task RuleIdInBodyMustMatchThePath()
    {
        var response = await _server.Client.PutAsync("/v1/rules/a", new StringContent("""{"id":"b","action":"exclude","filter":"inStock"}""", Encoding.UTF8, "application/json"));
        await HttpAssert.ProblemNaming(response, HttpStatusCode.BadRequest, "id");
    }

    [Fact]
    public async Task UnknownThingsAre404AndBadNamesAre400()
    {
        await HttpAssert.Problem(await _server.Client.PostAsync("/v1/models/v999/activate", null), HttpStatusCode.NotFound);
        await HttpAssert.ProblemNaming(await _server.Client.PostAsync("/v1/models/latest/activate", null), HttpStatusCode.BadRequest, "version");
        await HttpAssert.ProblemNaming(await _server.Client.PostAsync("/v1/models/train?wait=soon", null), HttpStatusCode.BadRequest, "wait");
        await HttpAssert.Problem(await _server.Client.GetAsync("/v1/recommendations/rec_unknown"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await _server.Client.GetAsync("/v1/rules/none"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await _server.Client.DeleteAsync("/v1/rules/none"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnEmptyStoreAnswersWithAnEmptyListNotAnError()
    {
        var body = await HttpAssert.Ok(await Post("/v1/recommendations", """{"userId":"u1","count":5}"""));
        Assert.Equal(0, body.GetProperty("items").GetArrayLength());
        Assert.StartsWith("rec_", body.GetProperty("recommendationId").GetString());
    }

    /// <summary>
    /// One definition of the request: every property of the type the OpenAPI document shows is a field the handler reads
    /// (sent with a value of its type, none is "unknown"), and the document lists exactly those.
    /// </summary>
    [Fact]
    public async Task EveryFieldOfTheDocumentedRequestIsAccepted()
    {
        var properties = typeof(Attune.Api.RecommendationInput).GetProperties()
            .Select(p => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToList();
        var values = new Dictionary<string, string>
        {
            ["userId"] = "\"u1\"", ["anonymousId"] = "\"a1\"", ["scenario"] = "\"for-you\"", ["recipe"] = "\"default\"", ["count"] = "3",
            ["context"] = "{\"device\":\"mobile\"}", ["itemId"] = "\"i1\"", ["itemIds"] = "[\"i2\"]", ["filter"] = "\"inStock\"",
            ["exclude"] = "[\"i3\"]", ["explain"] = "true", ["fields"] = "[\"title\"]", ["candidates"] = "[\"i1\"]", ["fallback"] = "false",
            ["userToken"] = "\"v1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", // read, checked only for a client key
        };
        Assert.Equal(values.Keys.Order(), properties.Order());
        string body = "{" + string.Join(",", properties.Select(p => $"\"{p}\":{values[p]}")) + "}";
        await HttpAssert.Ok(await Post("/v1/rank", body));
        var document = await HttpAssert.Ok(await _server.Client.GetAsync("/openapi/v1.json"));
        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty("RecommendationInput").GetProperty("properties");
        Assert.Equal(properties.Order(), schema.EnumerateObject().Select(p => p.Name).Order());
    }
}
