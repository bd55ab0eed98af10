using System.Net;
using System.Text;
using Attune.Server.Hosting;

namespace Attune.Tests.Server;

/// <summary>A server with no configured key (open, loopback only): the first stored key switches authentication on.</summary>
public sealed class OpenServerKeysTests
{
    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    [Fact]
    public async Task TheFirstKeyMustBeAnAdminKeyAndFromItOnKeysAreRequired()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal("[]", await server.Client.GetStringAsync("/v1/keys"));
        await HttpAssert.ProblemNaming(await server.Client.PostAsync("/v1/keys", Json("""{"name": "app", "scopes": ["serve"]}""")),
            HttpStatusCode.BadRequest, "scopes");

        var first = await HttpAssert.Ok(await server.Client.PostAsync("/v1/keys", Json("""{"name": "first", "scopes": ["admin"]}""")));
        Assert.False(first.TryGetProperty("createdBy", out _)); // made with no key
        await HttpAssert.Problem(await server.Client.GetAsync("/v1/items"), HttpStatusCode.Unauthorized);
        await HttpAssert.Problem(await server.Client.GetAsync("/v1/keys"), HttpStatusCode.Unauthorized);
        var admin = server.ClientWithKey(first.GetProperty("key").GetString()!);
        await HttpAssert.Ok(await admin.GetAsync("/v1/items"));

        // The last admin key stays: keys, once required, stay required.
        await HttpAssert.Problem(await admin.DeleteAsync("/v1/keys/first"), HttpStatusCode.Conflict);
        var second = await HttpAssert.Ok(await admin.PostAsync("/v1/keys", Json("""{"name": "second", "scopes": ["admin"]}""")));
        Assert.Equal("first", second.GetProperty("createdBy").GetString());
        await HttpAssert.Ok(await admin.DeleteAsync("/v1/keys/first"));
        await HttpAssert.Problem(await admin.GetAsync("/v1/items"), HttpStatusCode.Unauthorized);
        await HttpAssert.Ok(await server.ClientWithKey(second.GetProperty("key").GetString()!).GetAsync("/v1/items"));
    }

    [Fact]
    public async Task AStoredAdminKeyLetsTheServerStartOnAPublicAddress()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using (var server = await TestServer.StartAsync(dataDirectory: dir.Path))
            await HttpAssert.Ok(await server.Client.PostAsync("/v1/keys", Json("""{"name": "first", "scopes": ["admin"]}""")));
        // Built, not started: the check is at build time, and nothing needs to listen on the network here.
        await using var app = AttuneHost.Build([], "http://0.0.0.0:0", dir.Path);
    }
}
