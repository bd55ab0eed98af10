using System.Net;
using System.Text;

namespace Attune.Tests.Server;

/// <summary>Every kind of bad input gets a 4xx problem+json naming the field (and index in batches); nothing accepted is lost.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Attune:MaxRequestBodyBytes"] = "65536" });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(string path, string json) =>
        _server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Theory]
    [InlineData("{\"type\":\"view\",\"userId\":\"u\",\"itemId\":\"a\"", "body")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a",}""", "body")]
    [InlineData("""{"type":"view","userId":"u","itemId":NaN}""", "body")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","value":Infinity}""", "body")]
    [InlineData("", "body")]
    [InlineData("42", "body")]
    [InlineData("""[1,2]""", "[0]")]
    [InlineData("""{"userId":"u","itemId":"a"}""", "type")]
    [InlineData("""{"type":7,"userId":"u","itemId":"a"}""", "type")]
    [InlineData("""{"type":"purchse","userId":"u","itemId":"a"}""", "type")]
    [InlineData("""{"type":"Custom.Thing","userId":"u"}""", "type")]
    [InlineData("""{"type":"view","itemId":"a"}""", "userId")]
    [InlineData("""{"type":"view","userId":"u"}""", "itemId")]
    [InlineData("""{"type":"view","userId":"","itemId":"a"}""", "userId")]
    [InlineData("""{"type":"view","userId":{"id":"u"},"itemId":"a"}""", "userId")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","value":"3"}""", "value")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","value":1e400}""", "value")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","timestamp":"1999-12-31T23:59:59Z"}""", "timestamp")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","timestamp":"2999-01-01T00:00:00Z"}""", "timestamp")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","timestamp":"yesterday"}""", "timestamp")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","timestamp":true}""", "timestamp")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","channel":"fax"}""", "channel")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","context":"mobile"}""", "context")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","context":{"device":3}}""", "context.device")]
    [InlineData("""{"type":"view","userId":"u","itemId":"a","colour":"red"}""", "colour")]
    [InlineData("""{"type":"rating","userId":"u","itemId":"a"}""", "value")]
    [InlineData("""{"type":"search","userId":"u"}""", "query")]
    public async Task BadEventIsA400NamingTheField(string json, string field)
    {
        var r = await Post("/v1/events", json);
        await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task OverLongIdIsRejectedAndLimitIdIsAccepted()
    {
        string longId = new('x', 257);
        await HttpAssert.ProblemNaming(await Post("/v1/events", $$"""{"type":"view","userId":"{{longId}}","itemId":"a"}"""),
            HttpStatusCode.BadRequest, "userId");
        string limitId = new('y', 256);
        await HttpAssert.Ok(await Post("/v1/events", $$"""{"type":"view","userId":"{{limitId}}","itemId":"a"}"""));
    }

    [Fact]
    public async Task AllBadBatchNamesIndexAndField()
    {
        var r = await Post("/v1/events", """[{"type":"view","userId":"u"},{"type":"view","itemId":"a"}]""");
        var problem = await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, "[0].itemId");
        Assert.True(problem.GetProperty("errors").TryGetProperty("[1].userId", out _));
        Assert.Equal(2, problem.GetProperty("rejected").GetArrayLength());
    }

    [Fact]
    public async Task MoreThanTenThousandRecordsIsRejectedWhole()
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < 10_001; i++) sb.Append(i == 0 ? "" : ",").Append("{}");
        sb.Append(']');
        // Raise the body limit for this one case by using the default server.
        await using var big = await TestServer.StartAsync();
        var r = await big.Client.PostAsync("/v1/events", new StringContent(sb.ToString(), Encoding.UTF8, "application/json"));
        await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, "body");
    }

    [Fact]
    public async Task BodyOverTheLimitIsA413AndTheServerKeepsServing()
    {
        string huge = "[" + string.Join(",", Enumerable.Repeat("""{"type":"view","userId":"u","itemId":"a"}""", 3000)) + "]";
        // With Content-Length and Expect: 100-continue the server answers before any of the body is sent: a clean 413.
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        await HttpAssert.Problem(await _server.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);

        // A chunked upload has to be read up to the limit. The server answers 413 and closes the connection; a client that is
        // still sending may see the close before the answer, which is fine: nothing was accepted and the server stays up.
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        content.Headers.ContentType = new("application/json");
        request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        try
        {
            await HttpAssert.Problem(await _server.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        }
        catch (HttpRequestException)
        {
        }
        await HttpAssert.Ok(await Post("/v1/events", """{"type":"view","userId":"u","itemId":"a"}"""));
        var stats = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/stats"));
        Assert.Equal(1, stats.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task DeeplyNestedJsonIsRejected()
    {
        string deep = """{"type":"view","userId":"u","itemId":"a","context":""" + new string('[', 200) + new string(']', 200) + "}";
        await HttpAssert.ProblemNaming(await Post("/v1/events", deep), HttpStatusCode.BadRequest, "body");
    }

    [Fact]
    public async Task WrongContentTypeIsA415()
    {
        var r = await _server.Client.PostAsync("/v1/events", new StringContent("type=view", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await HttpAssert.Problem(r, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("""{"title":"no id"}""", "id")]
    [InlineData("""{"id":"a","price":-1}""", "price")]
    [InlineData("""{"id":"a","price":"cheap"}""", "price")]
    [InlineData("""{"id":"a","categories":"shoes"}""", "categories")]
    [InlineData("""{"id":"a","categories":["shoes",3]}""", "categories[1]")]
    [InlineData("""{"id":"a","currency":"euro"}""", "currency")]
    [InlineData("""{"id":"a","inStock":"yes"}""", "inStock")]
    [InlineData("""{"id":"a","properties":{"size":{"eu":42}}}""", "properties.size")]
    [InlineData("""{"id":"a","properties":{"sizes":["42",43]}}""", "properties.sizes")]
    [InlineData("""{"id":"a","publishedAt":"soon"}""", "publishedAt")]
    public async Task BadItemIsA400NamingTheField(string json, string field) =>
        await HttpAssert.ProblemNaming(await Post("/v1/items", json), HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("""{"attributes":{}}""", "id")]
    [InlineData("""{"id":"u","consent":{"personalization":"no"}}""", "consent.personalization")]
    [InlineData("""{"id":"u","attributes":{"tags":["a"]}}""", "attributes.tags")]
    public async Task BadUserIsA400NamingTheField(string json, string field) =>
        await HttpAssert.ProblemNaming(await Post("/v1/users", json), HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("""{"anonymousId":"a"}""", "userId")]
    [InlineData("""{"anonymousId":5,"userId":"u"}""", "anonymousId")]
    [InlineData("""[{"anonymousId":"a","userId":"u"}]""", "body")]
    public async Task BadIdentifyIsA400NamingTheField(string json, string field) =>
        await HttpAssert.ProblemNaming(await Post("/v1/identify", json), HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("/v1/items?limit=0", "limit")]
    [InlineData("/v1/items?limit=abc", "limit")]
    [InlineData("/v1/items?cursor=zzz", "cursor")]
    [InlineData("/v1/users?limit=5000", "limit")]
    [InlineData("/v1/users/u/profile?anonymous=maybe", "anonymous")]
    public async Task BadQueryIsA400NamingTheParameter(string url, string field) =>
        await HttpAssert.ProblemNaming(await _server.Client.GetAsync(url), HttpStatusCode.BadRequest, field);

    [Fact]
    public async Task UnknownRouteAndUnknownIdsAreProblem404s()
    {
        await HttpAssert.Problem(await _server.Client.GetAsync("/v1/nothing-here"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await _server.Client.GetAsync("/v1/users/nobody/profile"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await _server.Client.DeleteAsync("/v1/items/nothing"), HttpStatusCode.NotFound);
    }
}
