using System.Net;
using System.Net.Http.Headers;
using Attune.Tests.Server;

namespace Attune.Tests.Tracker;

/// <summary><c>GET /sdk/attune.js</c> on the real server with keys configured: no key needed, JavaScript, revalidated by ETag.</summary>
public sealed class TrackerEndpointTests
{
    [Fact]
    public async Task TheTrackerIsServedWithoutAKeyAsCacheableJavaScriptWithAnETag()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Name"] = "admin", ["Attune:ApiKeys:0:Key"] = "tracker-admin-key-0123456789", ["Attune:ApiKeys:0:Scopes:0"] = "admin",
        });
        var response = await server.Client.GetAsync("/sdk/attune.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.True(response.Headers.CacheControl?.Public);
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        string script = await response.Content.ReadAsStringAsync();
        Assert.Contains("window.Attune = api", script);
        Assert.Equal(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "Attune.Server", "Sdk", "attune.js")), script);

        var again = new HttpRequestMessage(HttpMethod.Get, "/sdk/attune.js");
        again.Headers.IfNoneMatch.Add(etag);
        var revalidated = await server.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());

        var stale = new HttpRequestMessage(HttpMethod.Get, "/sdk/attune.js");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"an-older-version\""));
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(stale)).StatusCode);
    }
}
