using System.Net;
using System.Text;
using Attune.Server.Hosting;
using Attune.Server.Security;

namespace Attune.Tests.Server;

public sealed class AuthTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789";
    private const string IngestKey = "ingest-key-0123456789";
    private const string ServeKey = "serve-key-0123456789";
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Attune:ApiKeys:0:Name"] = "admin",
        ["Attune:ApiKeys:0:Key"] = AdminKey,
        ["Attune:ApiKeys:0:Scopes:0"] = "admin",
        ["Attune:ApiKeys:1:Name"] = "tracker",
        ["Attune:ApiKeys:1:KeyHash"] = ApiKeyStore.HashHex(IngestKey), // configured by hash only
        ["Attune:ApiKeys:1:Scopes:0"] = "ingest",
        ["Attune:ApiKeys:2:Key"] = ServeKey,
        ["Attune:ApiKeys:2:Scopes:0"] = "serve",
    });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private const string Event = """{"type":"view","userId":"u","itemId":"a"}""";

    [Fact]
    public async Task MissingOrUnknownKeyIsA401Problem()
    {
        var r = await _server.Client.PostAsync("/v1/events", Json(Event));
        await HttpAssert.Problem(r, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", r.Headers.WwwAuthenticate.First().Scheme);
        await HttpAssert.Problem(await _server.ClientWithKey("wrong-key-0123456789").PostAsync("/v1/events", Json(Event)), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task IngestKeyMayPostEventsButNotReadOrWriteTheCatalog()
    {
        var ingest = _server.ClientWithKey(IngestKey);
        await HttpAssert.Ok(await ingest.PostAsync("/v1/events", Json(Event)));
        await HttpAssert.Ok(await ingest.PostAsync("/v1/identify", Json("""{"anonymousId":"a1","userId":"u"}""")));
        await HttpAssert.Problem(await ingest.GetAsync("/v1/users/u/profile"), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await ingest.PostAsync("/v1/items", Json("""{"id":"x"}""")), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ServeKeyReadsButCannotWrite()
    {
        var serve = _server.ClientWithKey(ServeKey);
        await HttpAssert.Ok(await serve.GetAsync("/v1/items"));
        await HttpAssert.Problem(await serve.PostAsync("/v1/events", Json(Event)), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await serve.DeleteAsync("/v1/items/x"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AdminKeyDoesEverything()
    {
        var admin = _server.ClientWithKey(AdminKey);
        await HttpAssert.Ok(await admin.PostAsync("/v1/items", Json("""{"id":"x"}""")));
        await HttpAssert.Ok(await admin.PostAsync("/v1/events", Json(Event)));
        await HttpAssert.Ok(await admin.GetAsync("/v1/users/u/profile"));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/items/x")).StatusCode);
    }

    [Fact]
    public async Task HealthAndApiReferenceNeedNoKey()
    {
        await HttpAssert.Ok(await _server.Client.GetAsync("/health"));
        await HttpAssert.Ok(await _server.Client.GetAsync("/ready"));
        await HttpAssert.Ok(await _server.Client.GetAsync("/openapi/v1.json"));
    }

    [Theory]
    [InlineData("http://0.0.0.0:0", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://192.168.1.10:5080", false)]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://127.0.0.1:5080;http://0.0.0.0:5081", false)]
    public void OnlyLoopbackAddressesCountAsLoopback(string urls, bool loopback) =>
        Assert.Equal(loopback, AttuneHost.AllLoopback(urls));

    [Fact]
    public void WithoutKeysAPublicAddressRefusesToStart()
    {
        using var dir = TestPaths.NewTempDirectory();
        var e = Assert.Throws<AttuneStartException>(() => AttuneHost.Build([], "http://0.0.0.0:0", dir.Path));
        Assert.Contains("without API keys", e.Message);
    }

    [Fact]
    public void ShortKeysAndUnknownScopesAreConfigurationErrors()
    {
        Assert.Throws<InvalidOperationException>(() => new ApiKeyStore([new ApiKeyOptions { Key = "short", Scopes = ["admin"] }]));
        Assert.Throws<InvalidOperationException>(() => new ApiKeyStore([new ApiKeyOptions { Key = AdminKey, Scopes = ["root"] }]));
        Assert.Throws<InvalidOperationException>(() => new ApiKeyStore([new ApiKeyOptions { Key = AdminKey }]));
    }
}
