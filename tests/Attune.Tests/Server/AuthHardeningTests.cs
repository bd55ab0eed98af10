using System.Net;
using System.Text.Json;
using Attune.Server.Hosting;
using Attune.Server.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Attune.Tests.Server;

/// <summary>Issue 11, item 6 (without client keys): failed authentications logged and limited, per-key limits, the OpenAPI
/// Bearer scheme, and the loopback-only rule on the addresses Kestrel actually bound.</summary>
public sealed class AuthHardeningTests
{
    private const string AdminKey = "admin-key-0123456789";
    private const string ServeKey = "serve-key-0123456789";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Keys(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Name"] = "admin",
            ["Attune:ApiKeys:0:Key"] = AdminKey,
            ["Attune:ApiKeys:0:Scopes:0"] = "admin",
            ["Attune:ApiKeys:1:Name"] = "shop",
            ["Attune:ApiKeys:1:Key"] = ServeKey,
            ["Attune:ApiKeys:1:Scopes:0"] = "serve",
        };
        foreach (var (k, v) in more) settings[k] = v;
        return settings;
    }

    [Fact]
    public async Task FailedAuthenticationsAreLoggedWithAddressRouteAndReasonButNeverTheKeyOrAPersonsId()
    {
        var log = new ListLogger();
        await using var server = await TestServer.StartAsync(Keys(), configure: b => b.Logging.AddProvider(new ListLoggerProvider(log)));
        const string guess = "guessed-key-0123456789";

        await server.ClientWithKey(guess).GetAsync("/v1/items/x", Ct);
        await server.Client.GetAsync("/v1/stats", Ct);
        await server.Client.GetAsync("/v1/users/person-7f2a/export", Ct);

        var lines = log.Lines.Where(l => l.Contains("Authentication failed", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.Contains("127.0.0.1") && l.Contains("/v1/items/{id}") && l.Contains("unknown key"));
        Assert.Contains(lines, l => l.Contains("/v1/stats") && l.Contains("no bearer key"));
        // The route's template, never the path: a path can name a person, and logs are beyond erasure's reach.
        Assert.Contains(lines, l => l.Contains("/v1/users/{id}/export"));
        Assert.DoesNotContain(log.Lines, l => l.Contains(guess, StringComparison.Ordinal) || l.Contains("person-7f2a", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TooManyUnknownKeysFromOneAddressGet429WithRetryAfterEvenForAValidKey()
    {
        await using var server = await TestServer.StartAsync(Keys(("Attune:AuthFailuresPerMinute", "3")));
        var guesser = server.ClientWithKey("guessed-key-0123456789");
        for (int i = 0; i < 3; i++)
            await HttpAssert.Problem(await guesser.GetAsync("/v1/items", Ct), HttpStatusCode.Unauthorized);

        var blocked = await guesser.GetAsync("/v1/items", Ct);
        await HttpAssert.Problem(blocked, HttpStatusCode.TooManyRequests);
        Assert.True(blocked.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {blocked.Headers.RetryAfter}");
        // The same address with the right key waits too: a guesser cannot tell a hit from a miss while blocked.
        await HttpAssert.Problem(await server.ClientWithKey(ServeKey).GetAsync("/v1/items", Ct), HttpStatusCode.TooManyRequests);
        // Routes without a key (health, readiness) still answer.
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health", Ct)).StatusCode);
    }

    [Fact]
    public async Task AKeysRequestsPerSecondIsEnforcedAndOtherKeysAreNotAffected()
    {
        await using var server = await TestServer.StartAsync(Keys(("Attune:ApiKeys:1:RequestsPerSecond", "2")));
        var shop = server.ClientWithKey(ServeKey);
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++) statuses.Add((await shop.GetAsync("/v1/items", Ct)).StatusCode);

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 2, string.Join(",", statuses));
        var limited = await shop.GetAsync("/v1/items", Ct);
        if (limited.StatusCode == HttpStatusCode.TooManyRequests)
            Assert.NotNull(limited.Headers.RetryAfter);
        // The admin key has no limit of its own and the default is off.
        for (int i = 0; i < 10; i++) await HttpAssert.Ok(await server.ClientWithKey(AdminKey).GetAsync("/v1/items", Ct));
    }

    [Fact]
    public async Task TheDefaultPerKeyLimitCoversKeysWithoutTheirOwn()
    {
        await using var server = await TestServer.StartAsync(Keys(("Attune:KeyRequestsPerSecond", "1"), ("Attune:ApiKeys:0:RequestsPerSecond", "0")));
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 4; i++) statuses.Add((await server.ClientWithKey(ServeKey).GetAsync("/v1/items", Ct)).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        for (int i = 0; i < 6; i++) await HttpAssert.Ok(await server.ClientWithKey(AdminKey).GetAsync("/v1/items", Ct)); // 0 = no limit
    }

    [Fact]
    public async Task ScenariosNeedTheServeScope()
    {
        await using var server = await TestServer.StartAsync(Keys());
        await HttpAssert.Problem(await server.Client.GetAsync("/v1/scenarios", Ct), HttpStatusCode.Unauthorized);
        await HttpAssert.Ok(await server.ClientWithKey(ServeKey).GetAsync("/v1/scenarios", Ct));
    }

    [Fact]
    public async Task TheOpenApiDocumentDeclaresTheBearerSchemeAndWhichOperationsNeedIt()
    {
        await using var server = await TestServer.StartAsync();
        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json", Ct));
        var scheme = doc.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty(AttuneHost.BearerScheme);
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());

        var paths = doc.RootElement.GetProperty("paths");
        var postEvents = paths.GetProperty("/v1/events").GetProperty("post");
        var requirement = Assert.Single(postEvents.GetProperty("security").EnumerateArray());
        Assert.True(requirement.TryGetProperty(AttuneHost.BearerScheme, out _), requirement.ToString());
        Assert.Contains("'ingest' scope", postEvents.GetProperty("description").GetString());
        Assert.False(paths.GetProperty("/health").GetProperty("get").TryGetProperty("security", out _));
    }

    [Fact]
    public async Task WithoutKeysAPublicKestrelEndpointInConfigurationIsRefusedAfterBinding()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Kestrel:Endpoints:Public:Url"] = "http://0.0.0.0:0" });
        var guard = server.Services.GetRequiredService<LoopbackGuard>();
        Assert.NotNull(guard.Refusal);
        Assert.Contains("http://0.0.0.0:", guard.Refusal);
        Assert.True(server.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public async Task WithAKeyAPublicKestrelEndpointIsAccepted()
    {
        await using var server = await TestServer.StartAsync(Keys(("Kestrel:Endpoints:Public:Url", "http://0.0.0.0:0")));
        var guard = server.Services.GetRequiredService<LoopbackGuard>();
        Assert.Null(guard.Refusal);
        Assert.Contains(guard.Addresses, a => a.StartsWith("http://0.0.0.0:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("10.1.2.3", true)]
    [InlineData("::ffff:192.168.1.9", true)]
    [InlineData(null, false)] // an in-memory host: no socket
    public void WithoutKeysARequestOnANonLoopbackAddressIsRefused(string? local, bool refused)
    {
        var context = new DefaultHttpContext();
        context.Connection.LocalIpAddress = local is null ? null : IPAddress.Parse(local);
        Assert.Equal(refused, LoopbackGuard.IsOpenToNetwork(context, new ApiKeyStore([])));
        var withKey = new ApiKeyStore([new ApiKeyOptions { Key = AdminKey, Scopes = ["admin"] }]);
        Assert.False(LoopbackGuard.IsOpenToNetwork(context, withKey));
    }

    private sealed class ListLoggerProvider(ListLogger log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => log;
        public void Dispose() { }
    }
}
