using System.Net;
using System.Text;

namespace Attune.Tests.Server;

public sealed class IngestionApiTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(string path, string json) =>
        _server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task SingleEventIsAcceptedAndCountedInTheProfile()
    {
        var r = await Post("/v1/events", """{"type":"view","userId":"u1","itemId":"sku-1","channel":"web","context":{"device":"mobile"}}""");
        var body = await HttpAssert.Ok(r);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("rejected").GetArrayLength());

        var profile = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/u1/profile"));
        Assert.Equal(1, profile.GetProperty("eventCounts").GetProperty("view").GetInt32());
        Assert.Equal("mobile", profile.GetProperty("devices")[0].GetString());
        Assert.Equal("sku-1", profile.GetProperty("recentItems")[0].GetProperty("itemId").GetString());
    }

    [Fact]
    public async Task ABatchSentAgainWithItsIdempotencyKeyIsStoredOnceAndAReusedKeyIsRefused()
    {
        Task<HttpResponseMessage> Send(string json, params string[] keys)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            foreach (string key in keys) request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            return _server.Client.SendAsync(request);
        }
        const string batch = """[{"type":"view","userId":"idem","itemId":"sku-1"},{"type":"view","userId":"idem","itemId":"sku-2"},{"type":"nope"}]""";
        var first = await Send(batch, "batch-0001");
        var body = await HttpAssert.Ok(first);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.False(first.Headers.Contains("Idempotency-Replayed"));
        // The same batch again (a client that lost the answer): the same answer, nothing stored twice.
        var again = await Send(batch, "batch-0001");
        var replayed = await HttpAssert.Ok(again);
        Assert.Equal(body.GetRawText(), replayed.GetRawText());
        Assert.Equal("true", again.Headers.GetValues("Idempotency-Replayed").Single());
        var profile = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/idem/profile"));
        Assert.Equal(2, profile.GetProperty("eventCounts").GetProperty("view").GetInt32());
        // The key with another body: 422, nothing stored.
        var reused = await Send("""[{"type":"purchase","userId":"idem","itemId":"sku-3"}]""", "batch-0001");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal("application/problem+json", reused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("batch-0001", await reused.Content.ReadAsStringAsync());
        profile = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/idem/profile"));
        Assert.False(profile.GetProperty("eventCounts").TryGetProperty("purchase", out _));
        // A new key stores again; a batch without a key is stored every time, as before.
        await HttpAssert.Ok(await Send(batch, "batch-0002"));
        await HttpAssert.Ok(await Send(batch));
        await HttpAssert.Ok(await Send(batch));
        profile = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/idem/profile"));
        Assert.Equal(8, profile.GetProperty("eventCounts").GetProperty("view").GetInt32());
        // Bad keys are a 400 naming the header, nothing stored.
        foreach (var bad in new[] { new[] { "" }, new[] { "has space" }, new[] { new string('k', 256) }, new[] { "a", "b" } })
        {
            var refused = await Send(batch, bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("Idempotency-Key", await refused.Content.ReadAsStringAsync());
        }
        profile = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/idem/profile"));
        Assert.Equal(8, profile.GetProperty("eventCounts").GetProperty("view").GetInt32());
    }

    [Fact]
    public async Task BadEventInBatchIsRejectedByIndexWhileGoodOnesAreStored()
    {
        var r = await Post("/v1/events", """
            [{"type":"view","userId":"u1","itemId":"a"},
             {"type":"purchse","userId":"u1","itemId":"a"},
             {"type":"purchase","userId":"u1","itemId":"a","value":"ten"},
             {"type":"purchase","userId":"u1","itemId":"b","value":12.5}]
            """);
        var body = await HttpAssert.Ok(r);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        var rejected = body.GetProperty("rejected");
        Assert.Equal(2, rejected.GetArrayLength());
        Assert.Equal(1, rejected[0].GetProperty("index").GetInt32());
        Assert.Equal("type", rejected[0].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(2, rejected[1].GetProperty("index").GetInt32());
        Assert.Equal("value", rejected[1].GetProperty("errors")[0].GetProperty("field").GetString());

        var profile = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/u1/profile"));
        Assert.Equal(2, profile.GetProperty("eventCount").GetInt32());
    }

    [Fact]
    public async Task ItemsCanBeCreatedReadListedAndDeleted()
    {
        var r = await Post("/v1/items", """
            [{"id":"sku-1","title":"Trail shoe","categories":["shoes/running"],"brand":"Acme","price":89.5,"currency":"EUR",
              "inStock":true,"tags":["waterproof"],"properties":{"color":"red","sizes":["42","43"],"eco":true,"weight":0.3},
              "publishedAt":"2026-01-02T03:04:05Z"},
             {"id":"sku-2","title":"Thermal layer"}]
            """);
        Assert.Equal(2, (await HttpAssert.Ok(r)).GetProperty("accepted").GetInt32());

        var item = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/items/sku-1"));
        Assert.Equal("Trail shoe", item.GetProperty("title").GetString());
        Assert.Equal(89.5, item.GetProperty("price").GetDouble());
        Assert.True(item.GetProperty("properties").GetProperty("eco").GetBoolean());
        Assert.Equal("43", item.GetProperty("properties").GetProperty("sizes")[1].GetString());

        var page = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/items?limit=1"));
        Assert.Equal("sku-1", page.GetProperty("data")[0].GetProperty("id").GetString());
        string cursor = page.GetProperty("nextCursor").GetString()!;
        page = await HttpAssert.Ok(await _server.Client.GetAsync($"/v1/items?limit=1&cursor={cursor}"));
        Assert.Equal("sku-2", page.GetProperty("data")[0].GetProperty("id").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.DeleteAsync("/v1/items/sku-2")).StatusCode);
        await HttpAssert.Problem(await _server.Client.GetAsync("/v1/items/sku-2"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UsersAndConsentRoundTrip()
    {
        await HttpAssert.Ok(await Post("/v1/users", """{"id":"u9","attributes":{"country":"FR","language":"fr"},"consent":{"personalization":false}}"""));
        var user = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/u9"));
        Assert.False(user.GetProperty("consent").GetProperty("personalization").GetBoolean());
        Assert.Equal("FR", user.GetProperty("attributes").GetProperty("country").GetString());
        var list = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users"));
        Assert.Equal("u9", list.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task IdentifyMergesAnonymousHistoryIntoOneProfile()
    {
        await HttpAssert.Ok(await Post("/v1/events", """[{"type":"view","anonymousId":"anon-7","itemId":"a"},{"type":"add_to_cart","anonymousId":"anon-7","itemId":"a"}]"""));
        var linked = await HttpAssert.Ok(await Post("/v1/identify", """{"anonymousId":"anon-7","userId":"kim"}"""));
        Assert.Equal(2, linked.GetProperty("movedEvents").GetInt32());
        linked = await HttpAssert.Ok(await Post("/v1/identify", """{"anonymousId":"anon-7","userId":"kim"}"""));
        Assert.Equal(0, linked.GetProperty("movedEvents").GetInt32());

        var profile = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/users/kim/profile"));
        Assert.Equal(2, profile.GetProperty("eventCount").GetInt32());
        Assert.Equal("anon-7", profile.GetProperty("anonymousIds")[0].GetString());
    }

    [Fact]
    public async Task HealthReadyAndOpenApiAnswer()
    {
        await HttpAssert.Ok(await _server.Client.GetAsync("/health"));
        Assert.Equal("ready", (await HttpAssert.Ok(await _server.Client.GetAsync("/ready"))).GetProperty("status").GetString());
        var openapi = await HttpAssert.Ok(await _server.Client.GetAsync("/openapi/v1.json"));
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/v1/events", out _));
        var reference = await _server.Client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Contains("text/html", reference.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task AcceptedDataSurvivesAServerRestart()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using (var first = await TestServer.StartAsync(dataDirectory: dir.Path))
        {
            var r = await first.Client.PostAsync("/v1/events",
                new StringContent("""{"type":"purchase","userId":"lee","itemId":"x","value":3}""", Encoding.UTF8, "application/json"));
            await HttpAssert.Ok(r);
        }
        await using var second = await TestServer.StartAsync(dataDirectory: dir.Path);
        var profile = await HttpAssert.Ok(await second.Client.GetAsync("/v1/users/lee/profile"));
        Assert.Equal(1, profile.GetProperty("eventCounts").GetProperty("purchase").GetInt32());
    }
}
