using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Validation;

namespace Attune.Tests.Server;

/// <summary>
/// Issue 11, "Every input handled": text that is not Unicode, repeated field names, invisible characters in ids, negative
/// values, rules for unknown scenarios and item pages for unknown items are each a 4xx naming the field, never a 500.
/// </summary>
public sealed class EveryInputTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        for (int i = 0; i < 200 && !(await _server.Client.GetAsync("/ready")).IsSuccessStatusCode; i++) await Task.Delay(50);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(string path, string json) => PostBytes(path, Encoding.UTF8.GetBytes(json));

    private Task<HttpResponseMessage> PostBytes(string path, byte[] body, HttpMethod? method = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return _server.Client.SendAsync(new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = content });
    }

    // Each endpoint the issue found answering 500, with a body whose field FIELD gets the bad text.
    public static TheoryData<string, string, string> Endpoints => new()
    {
        { "/v1/events", """{"type":"view","userId":VALUE,"itemId":"a"}""", "userId" },
        { "/v1/events", """{"type":"search","userId":"u","query":VALUE}""", "query" },
        { "/v1/identify", """{"anonymousId":VALUE,"userId":"u"}""", "anonymousId" },
        { "/v1/items", """{"id":"i1","title":VALUE}""", "title" },
        { "/v1/items", """{"id":"i1","tags":["a",VALUE]}""", "tags[1]" },
        { "/v1/users", """{"id":"u1","attributes":{"tier":VALUE}}""", "attributes.tier" },
        { "/v1/recommendations", """{"userId":VALUE}""", "userId" },
        { "/v1/recommendations", """{"filter":VALUE}""", "filter" },
        { "/v1/rules", """{"id":"r1","action":"boost","filter":"inStock","description":VALUE}""", "description" },
        { "/v1/rank", """{"candidates":[VALUE]}""", "candidates[0]" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task UnpairedSurrogateEscapeIsA400NamingTheField(string path, string template, string field)
    {
        var r = await Post(path, template.Replace("VALUE", "\"ab\\ud800\""));
        await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task InvalidUtf8IsA400NamingTheField(string path, string template, string field)
    {
        int at = template.IndexOf("VALUE", StringComparison.Ordinal);
        byte[] body = [.. Encoding.UTF8.GetBytes(template[..at]), (byte)'"', (byte)'u', 0xC3, 0x28, 0xFF, (byte)'"',
            .. Encoding.UTF8.GetBytes(template[(at + 5)..])];
        var r = await PostBytes(path, body);
        await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task SurrogateInAFieldNameIsA400()
    {
        var r = await Post("/v1/events", """{"type":"view","userId":"u","itemId":"a","context":{"\udc00x":1}}""");
        await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, "context");
    }

    [Fact]
    public async Task ProperSurrogatePairIsAccepted()
    {
        await HttpAssert.Ok(await Post("/v1/events", """{"type":"view","userId":"u\ud83d\ude00","itemId":"a"}"""));
    }

    [Fact]
    public async Task BadTextInOneRecordOfABatchRejectsOnlyThatRecord()
    {
        var r = await Post("/v1/events", """[{"type":"view","userId":"u1","itemId":"a"},{"type":"view","userId":"\ud800","itemId":"a"},{"type":"view","userId":"u1","itemId":"a","itemId":"b"}]""");
        var answer = await HttpAssert.Ok(r);
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
        var rejected = answer.GetProperty("rejected");
        Assert.Equal(2, rejected.GetArrayLength());
        Assert.Equal(1, rejected[0].GetProperty("index").GetInt32());
        Assert.Equal("userId", rejected[0].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(2, rejected[1].GetProperty("index").GetInt32());
        Assert.Equal("itemId", rejected[1].GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/v1/events", """{"type":"view","userId":"u","userId":"v","itemId":"a"}""", "userId")]
    [InlineData("/v1/events", """{"type":"view","userId":"u","itemId":"a","context":{"page":"x","page":"y"}}""", "context.page")]
    [InlineData("/v1/identify", """{"anonymousId":"a","userId":"u","userId":"v"}""", "userId")]
    [InlineData("/v1/items", """{"id":"i1","price":1,"price":2}""", "price")]
    [InlineData("/v1/users", """{"id":"u1","id":"u2"}""", "id")]
    [InlineData("/v1/recommendations", """{"count":3,"count":4}""", "count")]
    [InlineData("/v1/rules", """{"id":"r1","action":"boost","action":"exclude","filter":"inStock"}""", "action")]
    [InlineData("/v1/rank", """{"candidates":["a"],"candidates":["b"]}""", "candidates")]
    public async Task DuplicateKeyIsA400NamingTheKey(string path, string json, string field)
    {
        await HttpAssert.ProblemNaming(await Post(path, json), HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("u\u200Bx")]
    [InlineData("u\u200Dx")]
    [InlineData("u\u2060x")]
    [InlineData("\uFEFFu")]
    [InlineData("u\u202Ex")]
    [InlineData("u\u2066x\u2069")]
    [InlineData("u\u0007x")]
    public async Task InvisibleOrBidiCharacterInAnIdIsA400(string id)
    {
        string json = JsonSerializer.Serialize(id);
        await HttpAssert.ProblemNaming(await Post("/v1/events", $$"""{"type":"view","userId":{{json}},"itemId":"a"}"""), HttpStatusCode.BadRequest, "userId");
        await HttpAssert.ProblemNaming(await Post("/v1/events", $$"""{"type":"view","userId":"u","itemId":{{json}}}"""), HttpStatusCode.BadRequest, "itemId");
        await HttpAssert.ProblemNaming(await Post("/v1/identify", $$"""{"anonymousId":{{json}},"userId":"u"}"""), HttpStatusCode.BadRequest, "anonymousId");
        await HttpAssert.ProblemNaming(await Post("/v1/items", $$"""{"id":{{json}}}"""), HttpStatusCode.BadRequest, "id");
        await HttpAssert.ProblemNaming(await Post("/v1/users", $$"""{"id":{{json}}}"""), HttpStatusCode.BadRequest, "id");
        await HttpAssert.ProblemNaming(await Post("/v1/recommendations", $$"""{"userId":{{json}}}"""), HttpStatusCode.BadRequest, "userId");
        await HttpAssert.ProblemNaming(await Post("/v1/rules", $$"""{"id":{{json}},"action":"boost","filter":"inStock"}"""), HttpStatusCode.BadRequest, "id");
        await HttpAssert.ProblemNaming(await Post("/v1/rules", $$"""{"id":"r","action":"pin","itemId":{{json}},"position":1}"""), HttpStatusCode.BadRequest, "itemId");
    }

    [Fact]
    public void SharedIdCheckNamesTheInvisibleCharacter()
    {
        Assert.Contains("U+200B", RecordReader.CheckId("a\u200Bb"));
        Assert.Null(RecordReader.CheckId("café-😀"));
        Assert.NotNull(RecordReader.CheckId("a\ud800"));
    }

    [Fact]
    public async Task NegativeValueOnlyForRefunds()
    {
        await HttpAssert.ProblemNaming(await Post("/v1/events", """{"type":"purchase","userId":"u","itemId":"a","value":-5}"""), HttpStatusCode.BadRequest, "value");
        await HttpAssert.ProblemNaming(await Post("/v1/events", """{"type":"rating","userId":"u","itemId":"a","value":-1}"""), HttpStatusCode.BadRequest, "value");
        await HttpAssert.Ok(await Post("/v1/events", """{"type":"refund","userId":"u","itemId":"a","value":-5}"""));
        await HttpAssert.Ok(await Post("/v1/events", """{"type":"custom.adjust","userId":"u","value":-5}"""));
        await HttpAssert.Ok(await Post("/v1/events", """{"type":"purchase","userId":"u","itemId":"a","value":0}"""));
    }

    [Fact]
    public async Task RuleNamingAnUnknownScenarioIsA400()
    {
        var r = await Post("/v1/rules", """{"id":"r1","action":"boost","filter":"inStock","scenarios":["for-you","for-yuo"]}""");
        await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, "scenarios[1]");
        await HttpAssert.Ok(await Post("/v1/rules", """{"id":"r1","action":"boost","filter":"inStock","scenarios":["for-you","home-rows","Similar"]}"""));
    }

    [Fact]
    public async Task ItemPageForAnUnknownItemIsA404UnlessAFallbackIsAsked()
    {
        await HttpAssert.Ok(await Post("/v1/items", """[{"id":"known-1","title":"A"},{"id":"known-2","title":"B"}]"""));
        await HttpAssert.ProblemNaming(await Post("/v1/recommendations", """{"scenario":"similar","itemId":"nope"}"""), HttpStatusCode.NotFound, "itemId");
        await HttpAssert.ProblemNaming(await Post("/v1/recommendations", """{"scenario":"complementary","itemIds":["nope","nada"]}"""), HttpStatusCode.NotFound, "itemIds");
        await HttpAssert.ProblemNaming(await _server.Client.GetAsync("/v1/recommendations?scenario=similar&itemId=nope"), HttpStatusCode.NotFound, "itemId");

        var fallback = await HttpAssert.Ok(await Post("/v1/recommendations", """{"scenario":"similar","itemId":"nope","fallback":true}"""));
        Assert.True(fallback.GetProperty("fallback").GetBoolean());
        var viaQuery = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/recommendations?scenario=similar&itemId=nope&fallback=true"));
        Assert.True(viaQuery.GetProperty("fallback").GetBoolean());

        var known = await HttpAssert.Ok(await Post("/v1/recommendations", """{"scenario":"similar","itemId":"known-1"}"""));
        Assert.False(known.TryGetProperty("fallback", out _));
        // One known item of several is enough to answer.
        await HttpAssert.Ok(await Post("/v1/recommendations", """{"scenario":"complementary","itemIds":["nope","known-2"]}"""));
        await HttpAssert.ProblemNaming(await Post("/v1/recommendations", """{"scenario":"similar","itemId":"known-1","fallback":"yes"}"""), HttpStatusCode.BadRequest, "fallback");
    }
}
