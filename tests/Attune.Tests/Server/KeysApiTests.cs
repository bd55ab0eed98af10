using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Model;
using Attune.Server.Security;
using Attune.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Server;

/// <summary><c>/v1/keys</c> on a server with one configured admin key: stored keys are created, used, revoked and kept.</summary>
public sealed class KeysApiTests : IAsyncLifetime
{
    private const string AdminKey = "keys-admin-key-0123456789";
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient _admin = null!;

    private static Dictionary<string, string?> Settings => new()
    {
        ["Attune:ApiKeys:0:Name"] = "ops", ["Attune:ApiKeys:0:Key"] = AdminKey, ["Attune:ApiKeys:0:Scopes:0"] = "admin",
    };

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(Settings, _dir.Path);
        _admin = _server.ClientWithKey(AdminKey);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private async Task<string> CreateAsync(string name, params string[] scopes)
    {
        var r = await _admin.PostAsync("/v1/keys", Json(JsonSerializer.Serialize(new { name, scopes })));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return (await HttpAssert.Ok(r)).GetProperty("key").GetString()!;
    }

    private static JsonElement Find(JsonElement list, string name) => list.EnumerateArray().Single(k => k.GetProperty("name").GetString() == name);

    [Fact]
    public async Task AKeyCreatedThroughTheApiServesAtOnceAndIsRefusedOnceRevoked()
    {
        var r = await _admin.PostAsync("/v1/keys", Json("""{"name": "shop-app", "scopes": ["serve"]}"""));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal("/v1/keys/shop-app", r.Headers.Location?.ToString());
        var created = await HttpAssert.Ok(r);
        string key = created.GetProperty("key").GetString()!;
        Assert.StartsWith("atk_", key);
        Assert.Equal("database", created.GetProperty("source").GetString());
        Assert.Equal("ops", created.GetProperty("createdBy").GetString());
        Assert.Equal(["serve"], created.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.False(created.TryGetProperty("revoked", out _));

        // The listing names both kinds and never carries a key or a hash.
        string listing = await _admin.GetStringAsync("/v1/keys");
        Assert.DoesNotContain(key, listing);
        Assert.DoesNotContain(ApiKeyStore.HashHex(key), listing);
        Assert.DoesNotContain("hash", listing, StringComparison.OrdinalIgnoreCase);
        var list = JsonDocument.Parse(listing).RootElement;
        Assert.Equal("configuration", Find(list, "ops").GetProperty("source").GetString());
        Assert.False(Find(list, "ops").TryGetProperty("created", out _));
        Assert.Equal("database", Find(list, "shop-app").GetProperty("source").GetString());

        // It does what its scope allows, and no more.
        var app = _server.ClientWithKey(key);
        await HttpAssert.Ok(await app.GetAsync("/v1/items"));
        await HttpAssert.Problem(await app.PostAsync("/v1/items", Json("""{"id":"x"}""")), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await app.GetAsync("/v1/keys"), HttpStatusCode.Forbidden);

        // Revoked: refused at once, and listed with the time.
        var revoked = await HttpAssert.Ok(await _admin.DeleteAsync("/v1/keys/shop-app"));
        string revokedAt = revoked.GetProperty("revoked").GetString()!;
        await HttpAssert.Problem(await app.GetAsync("/v1/items"), HttpStatusCode.Unauthorized);
        // Revoking again changes nothing.
        Assert.Equal(revokedAt, (await HttpAssert.Ok(await _admin.DeleteAsync("/v1/keys/shop-app"))).GetProperty("revoked").GetString());
        Assert.Equal(revokedAt, Find(JsonDocument.Parse(await _admin.GetStringAsync("/v1/keys")).RootElement, "shop-app").GetProperty("revoked").GetString());
    }

    [Fact]
    public async Task AConfiguredKeyCannotBeRevokedAndAnUnknownOneIsNotFound()
    {
        var conflict = await HttpAssert.Problem(await _admin.DeleteAsync("/v1/keys/ops"), HttpStatusCode.Conflict);
        Assert.Contains("configuration", conflict.GetProperty("detail").GetString());
        await HttpAssert.Problem(await _admin.DeleteAsync("/v1/keys/nobody"), HttpStatusCode.NotFound);
        await HttpAssert.Ok(await _server.ClientWithKey(AdminKey).GetAsync("/v1/keys"));
    }

    [Fact]
    public async Task TheKeysRoutesAreInTheOpenApiDocument()
    {
        var paths = (await HttpAssert.Ok(await _admin.GetAsync("/openapi/v1.json"))).GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/keys", out var keys) && keys.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/v1/keys/{name}", out var one) && one.TryGetProperty("delete", out _));
    }

    [Theory]
    [InlineData("""{"scopes": ["serve"]}""", "name")]
    [InlineData("""{"name": "has space", "scopes": ["serve"]}""", "name")]
    [InlineData("""{"name": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "scopes": ["serve"]}""", "name")]
    [InlineData("""{"name": 7, "scopes": ["serve"]}""", "name")]
    [InlineData("""{"name": "ops", "scopes": ["serve"]}""", "name")]
    [InlineData("""{"name": "OPS", "scopes": ["serve"]}""", "name")]
    [InlineData("""{"name": "x"}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": []}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": "serve"}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": ["serve", "root"]}""", "scopes[1]")]
    [InlineData("""{"name": "x", "scopes": [3]}""", "scopes[0]")]
    [InlineData("""{"name": "x", "scopes": ["serve"], "expires": "never"}""", "expires")]
    [InlineData("""[{"name": "x", "scopes": ["serve"]}]""", "body")]
    public async Task BadRequestsAre400sNamingTheField(string body, string field)
    {
        await HttpAssert.ProblemNaming(await _admin.PostAsync("/v1/keys", Json(body)), HttpStatusCode.BadRequest, field);
        Assert.Single(JsonDocument.Parse(await _admin.GetStringAsync("/v1/keys")).RootElement.EnumerateArray()); // nothing stored
    }

    [Fact]
    public async Task EveryBadFieldIsNamedAtOnce()
    {
        var problem = await HttpAssert.ProblemNaming(await _admin.PostAsync("/v1/keys", Json("""{"name": "a b", "scopes": ["root"], "x": 1}""")),
            HttpStatusCode.BadRequest, "x");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _) && errors.TryGetProperty("scopes[0]", out _), errors.ToString());
    }

    [Fact]
    public async Task ARevokedKeysNameIsNotReused()
    {
        await CreateAsync("tracker", "ingest");
        await HttpAssert.Ok(await _admin.DeleteAsync("/v1/keys/tracker"));
        var problem = await HttpAssert.ProblemNaming(await _admin.PostAsync("/v1/keys", Json("""{"name": "tracker", "scopes": ["ingest"]}""")),
            HttpStatusCode.BadRequest, "name");
        Assert.Contains("revoked", problem.GetProperty("errors").GetProperty("name")[0].GetString());
    }

    [Fact]
    public async Task StoredKeysAndRevocationsSurviveARestart()
    {
        string kept = await CreateAsync("kept", "serve");
        string gone = await CreateAsync("gone", "ingest", "serve");
        await HttpAssert.Ok(await _admin.DeleteAsync("/v1/keys/gone"));
        await _server.DisposeAsync();

        _server = await TestServer.StartAsync(Settings, _dir.Path);
        _admin = _server.ClientWithKey(AdminKey);
        await HttpAssert.Ok(await _server.ClientWithKey(kept).GetAsync("/v1/items"));
        await HttpAssert.Problem(await _server.ClientWithKey(gone).GetAsync("/v1/items"), HttpStatusCode.Unauthorized);
        var list = JsonDocument.Parse(await _admin.GetStringAsync("/v1/keys")).RootElement;
        Assert.False(Find(list, "kept").TryGetProperty("revoked", out _));
        Assert.True(Find(list, "gone").TryGetProperty("revoked", out _));
        Assert.Equal(["ingest", "serve"], Find(list, "gone").GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task AKeyAnotherWriterStoresIsFollowedThroughTheChangeFeed()
    {
        // Another writer (later another node) puts and revokes a key straight in the store; this server follows the feed.
        var store = _server.Services.GetRequiredService<IAttuneStore>();
        const string key = "written-elsewhere-0123456789";
        var doc = new StoredApiKey("elsewhere", ["serve"], ApiKeyStore.HashHex(key), DateTimeOffset.UtcNow, "ops");
        await store.PutDocumentAsync(KeyBook.Kind, doc.Name, JsonSerializer.Serialize(doc, AttuneJson.Options));
        var client = _server.ClientWithKey(key);
        await EventuallyAsync(async () => (await client.GetAsync("/v1/items")).StatusCode == HttpStatusCode.OK);

        await store.PutDocumentAsync(KeyBook.Kind, doc.Name, JsonSerializer.Serialize(doc with { Revoked = DateTimeOffset.UtcNow }, AttuneJson.Options));
        await EventuallyAsync(async () => (await client.GetAsync("/v1/items")).StatusCode == HttpStatusCode.Unauthorized);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        // Followed within a second when the machine is free; the whole suite on two cores can stall a poll for many seconds
        // (it once missed 15 s), and this asserts that the change is followed, not how fast.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the change was not followed within 60 s");
            await Task.Delay(50);
        }
    }
}
