using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Api;
using Attune.Client;
using Attune.Server.Hosting;

namespace Attune.Tests.Server;

/// <summary>
/// Issue 11, item 6: keys a browser or app may hold. A <c>client</c> key acts for anonymous ids freely and for a user id only
/// with a user token the backend issued (HMAC, rotated secrets); CORS is decided per key.
/// </summary>
public sealed class ClientKeysTests(ClientKeysTests.Fixture fixture) : IClassFixture<ClientKeysTests.Fixture>
{
    private const string AdminKey = "admin-key-0123456789";
    private const string ClientKey = "client-key-0123456789";
    private const string IngestKey = "ingest-key-0123456789";
    private const string ServeKey = "serve-key-0123456789";
    private const string NewSecret = "new-secret-0123456789-0123456789-abcdef";
    private const string OldSecret = "old-secret-0123456789-0123456789-abcdef";
    private const string Shop = "https://shop.example.com";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
        internal TestServer Server { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            await TestServer.LoadDemoShopAsync(_dir.Path, users: 120, items: 80, days: 7, seed: 21);
            Server = await TestServer.StartAsync(new Dictionary<string, string?>
            {
                ["Attune:ApiKeys:0:Name"] = "ops", ["Attune:ApiKeys:0:Key"] = AdminKey, ["Attune:ApiKeys:0:Scopes:0"] = "admin",
                ["Attune:ApiKeys:1:Name"] = "web", ["Attune:ApiKeys:1:Key"] = ClientKey, ["Attune:ApiKeys:1:Scopes:0"] = "client",
                ["Attune:ApiKeys:1:Origins:0"] = Shop + "/",
                ["Attune:ApiKeys:2:Name"] = "backend", ["Attune:ApiKeys:2:Key"] = IngestKey, ["Attune:ApiKeys:2:Scopes:0"] = "ingest",
                ["Attune:ApiKeys:3:Name"] = "app", ["Attune:ApiKeys:3:Key"] = ServeKey, ["Attune:ApiKeys:3:Scopes:0"] = "serve",
                ["Attune:UserTokenSecrets:0"] = NewSecret,
                ["Attune:UserTokenSecrets:1"] = OldSecret,
            }, _dir.Path);
            await Server.WaitReadyAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            _dir.Dispose();
        }
    }

    private TestServer Server => fixture.Server;

    private static string Token(string userId, string secret = NewSecret, double hours = 1) =>
        AttuneClient.ComputeUserToken(secret, userId, DateTimeOffset.UtcNow.AddHours(hours));

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static object View(string? userId = null, string? anonymousId = null, string? userToken = null) =>
        new { type = "view", itemId = "i00001", userId, anonymousId, userToken };

    private async Task<long> EventCountAsync(string userId)
    {
        var profile = await HttpAssert.Ok(await Server.ClientWithKey(AdminKey).GetAsync($"/v1/users/{userId}/profile", Ct));
        long n = 0;
        foreach (var p in profile.GetProperty("eventCounts").EnumerateObject()) n += p.Value.GetInt64();
        return n;
    }

    [Fact]
    public async Task AnAnonymousEventIsStoredWithoutAToken()
    {
        var answer = await HttpAssert.Ok(await Server.ClientWithKey(ClientKey).PostAsJsonAsync("/v1/events", new[] { View(anonymousId: "anon-c1") }, Ct));
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
        Assert.Empty(answer.GetProperty("rejected").EnumerateArray());
    }

    [Fact]
    public async Task InABatchOnlyTheUserEventsWithoutAValidTokenAreRejectedNamingUserToken()
    {
        const string user = "client-u1";
        var batch = new[]
        {
            View(anonymousId: "anon-c2"),
            View(userId: user),                                                      // no token
            View(userId: user, userToken: Token(user)),                              // valid
            View(userId: user, userToken: Token(user, hours: -1)),                   // expired
            View(userId: user, userToken: Token(user)[..^2] + "AA"),                 // tampered signature
            View(userId: user, userToken: Token("someone-else")),                    // another user's
            View(userId: user, userToken: Token(user, secret: "not-the-secret-0123456789-0123456789")), // unknown secret
            View(userId: user, userToken: "hello"),                                  // not a token
        };
        var answer = await HttpAssert.Ok(await Server.ClientWithKey(ClientKey).PostAsJsonAsync("/v1/events", batch, Ct));

        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());
        var rejected = answer.GetProperty("rejected").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32(),
            r => (r.GetProperty("errors")[0].GetProperty("field").GetString(), r.GetProperty("errors")[0].GetProperty("message").GetString()!));
        Assert.Equal([1, 3, 4, 5, 6, 7], rejected.Keys.Order());
        Assert.All(rejected.Values, r => Assert.Equal("userToken", r.Item1));
        Assert.Contains("is required", rejected[1].Item2);
        Assert.Equal("expired", rejected[3].Item2);
        Assert.Contains("not valid for this userId", rejected[4].Item2);
        Assert.Contains("not valid for this userId", rejected[5].Item2);
        Assert.Contains("not valid for this userId", rejected[6].Item2);
        Assert.Contains("not a user token", rejected[7].Item2);
        Assert.Equal(1, await EventCountAsync(user));
    }

    [Fact]
    public async Task TheHeaderCarriesTheTokenForEveryRecordAndAllRejectedIs400()
    {
        const string user = "client-u2";
        var client = Server.ClientWithKey(ClientKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = JsonContent.Create(new[] { View(userId: user), View(userId: user, anonymousId: "anon-c3") }),
        };
        request.Headers.Add("X-Attune-User-Token", Token(user));
        var answer = await HttpAssert.Ok(await client.SendAsync(request, Ct));
        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());

        var none = await client.PostAsJsonAsync("/v1/events", new[] { View(userId: user) }, Ct);
        await HttpAssert.ProblemNaming(none, HttpStatusCode.BadRequest, "[0].userToken");
        var single = await client.PostAsJsonAsync("/v1/events", View(userId: user, userToken: 42.ToString()), Ct);
        await HttpAssert.ProblemNaming(single, HttpStatusCode.BadRequest, "userToken");
        var wrongType = await client.PostAsync("/v1/events", Json("""{"type": "view", "itemId": "i00001", "userId": "client-u2", "userToken": 42}"""), Ct);
        await HttpAssert.ProblemNaming(wrongType, HttpStatusCode.BadRequest, "userToken");
    }

    [Fact]
    public async Task KeysThatHoldIngestOrAdminAreNotRestricted()
    {
        foreach (string key in new[] { IngestKey, AdminKey })
        {
            var answer = await HttpAssert.Ok(await Server.ClientWithKey(key).PostAsJsonAsync("/v1/events", new[] { View(userId: "backend-u1") }, Ct));
            Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
        }
        await HttpAssert.Ok(await Server.ClientWithKey(IngestKey).PostAsJsonAsync("/v1/identify", new { anonymousId = "anon-b1", userId = "backend-u1" }, Ct));
    }

    [Fact]
    public async Task IdentifyNeedsTheUsersToken()
    {
        var client = Server.ClientWithKey(ClientKey);
        await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/events", new[] { View(anonymousId: "anon-c4") }, Ct));

        var refused = await client.PostAsJsonAsync("/v1/identify", new { anonymousId = "anon-c4", userId = "client-u4" }, Ct);
        await HttpAssert.ProblemNaming(refused, HttpStatusCode.Forbidden, "userToken");
        var other = await client.PostAsJsonAsync("/v1/identify", new { anonymousId = "anon-c4", userId = "client-u4", userToken = Token("client-u5") }, Ct);
        await HttpAssert.ProblemNaming(other, HttpStatusCode.Forbidden, "userToken");
        var badType = await client.PostAsJsonAsync("/v1/identify", new { anonymousId = "anon-c4", userId = "client-u4", userToken = 7 }, Ct);
        await HttpAssert.ProblemNaming(badType, HttpStatusCode.BadRequest, "userToken");

        var linked = await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/identify",
            new { anonymousId = "anon-c4", userId = "client-u4", userToken = Token("client-u4") }, Ct));
        Assert.Equal(1, linked.GetProperty("movedEvents").GetInt64());
        var profile = await HttpAssert.Ok(await Server.ClientWithKey(AdminKey).GetAsync("/v1/users/client-u4/profile", Ct));
        Assert.Contains("anon-c4", profile.GetProperty("anonymousIds").EnumerateArray().Select(a => a.GetString()));

        // The .NET client's overload sends the token in the body.
        using var attune = new AttuneClient(Server.BaseAddress, ClientKey);
        var again = await attune.IdentifyAsync("anon-c5", "client-u4", Token("client-u4"), Ct);
        Assert.Equal("client-u4", again.UserId);
    }

    [Fact]
    public async Task RecommendationsForAUserNeedTheTokenAnonymousOnesDoNot()
    {
        var client = Server.ClientWithKey(ClientKey);
        await HttpAssert.ProblemNaming(await client.PostAsJsonAsync("/v1/recommendations", new { userId = "u00001", count = 3 }, Ct),
            HttpStatusCode.Forbidden, "userToken");
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/recommendations?userId=u00001&count=3", Ct), HttpStatusCode.Forbidden, "userToken");
        await HttpAssert.ProblemNaming(await client.PostAsJsonAsync("/v1/rank", new { userId = "u00001", candidates = new[] { "i00001", "i00002" } }, Ct),
            HttpStatusCode.Forbidden, "userToken");
        var expired = await client.PostAsJsonAsync("/v1/recommendations", new { userId = "u00001", userToken = Token("u00001", hours: -2) }, Ct);
        Assert.Contains("expired", (await HttpAssert.ProblemNaming(expired, HttpStatusCode.Forbidden, "userToken")).GetProperty("detail").GetString());

        var body = await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/recommendations", new { userId = "u00001", count = 3, userToken = Token("u00001") }, Ct));
        Assert.Equal(3, body.GetProperty("items").GetArrayLength());
        using var get = new HttpRequestMessage(HttpMethod.Get, "/v1/recommendations?userId=u00001&count=2");
        get.Headers.Add("X-Attune-User-Token", Token("u00001", OldSecret));
        Assert.Equal(2, (await HttpAssert.Ok(await client.SendAsync(get, Ct))).GetProperty("items").GetArrayLength());
        var anonymous = await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/recommendations", new { anonymousId = "anon-c6", count = 2 }, Ct));
        Assert.Equal(2, anonymous.GetProperty("items").GetArrayLength());
        var stranger = await HttpAssert.Ok(await client.GetAsync("/v1/recommendations?scenario=trending&count=2", Ct));
        Assert.Equal(2, stranger.GetProperty("items").GetArrayLength());

        // What an answer showed is not for a browser: its logged record names the person.
        var logged = await client.GetAsync($"/v1/recommendations/{body.GetProperty("recommendationId").GetString()}", Ct);
        await HttpAssert.Problem(logged, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("POST", "/v1/items", "'admin' scope")]
    [InlineData("GET", "/v1/keys", "'admin' scope")]
    [InlineData("GET", "/v1/users/u00001", "'serve' scope")]
    [InlineData("GET", "/v1/scenarios", "'serve' scope")]
    [InlineData("POST", "/v1/user-tokens", "'serve' scope")]
    [InlineData("GET", "/metrics", "'viewer' scope")]
    public async Task AClientKeyIsRefusedEverywhereElseNamingTheScopeNeeded(string method, string path, string needed)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = Json("""{"id": "x", "userId": "x"}""");
        var problem = await HttpAssert.Problem(await Server.ClientWithKey(ClientKey).SendAsync(request, Ct), HttpStatusCode.Forbidden);
        Assert.Contains(needed, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ARefusalOnAClientRouteNamesBothScopesThatWouldDo()
    {
        var problem = await HttpAssert.Problem(await Server.ClientWithKey(ServeKey).PostAsJsonAsync("/v1/events", new[] { View(anonymousId: "a") }, Ct),
            HttpStatusCode.Forbidden);
        Assert.Contains("'ingest' scope (or 'client'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TheTokenEndpointIssuesTokensTheClientKeyAccepts()
    {
        var before = DateTimeOffset.UtcNow;
        var issued = await HttpAssert.Ok(await Server.ClientWithKey(ServeKey).PostAsJsonAsync("/v1/user-tokens", new { userId = "client-u7", ttlSeconds = 3600 }, Ct));
        Assert.Equal("client-u7", issued.GetProperty("userId").GetString());
        string token = issued.GetProperty("token").GetString()!;
        Assert.Matches(@"^v1\.\d+\.[A-Za-z0-9_-]{43}$", token);
        var expiresAt = issued.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt, before.AddSeconds(3599), DateTimeOffset.UtcNow.AddSeconds(3601));
        // The first secret signs: the token is the one a backend computes offline with it.
        Assert.Equal(AttuneClient.ComputeUserToken(NewSecret, "client-u7", expiresAt), token);
        Assert.Equal(UserTokenCheck.Valid, UserToken.Verify([Encoding.UTF8.GetBytes(NewSecret)], token, "client-u7", before.ToUnixTimeSeconds()));
        Assert.Equal(UserTokenCheck.Invalid, UserToken.Verify([Encoding.UTF8.GetBytes(OldSecret)], token, "client-u7", before.ToUnixTimeSeconds()));

        var answer = await HttpAssert.Ok(await Server.ClientWithKey(ClientKey).PostAsJsonAsync("/v1/events", new[] { View(userId: "client-u7", userToken: token) }, Ct));
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());

        using var attune = new AttuneClient(Server.BaseAddress, AdminKey);
        var viaClient = await attune.CreateUserTokenAsync("client-u7", ct: Ct);
        Assert.InRange(viaClient.ExpiresAt, before.AddSeconds(86399), DateTimeOffset.UtcNow.AddSeconds(86401));

        var admin = Server.ClientWithKey(AdminKey);
        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/user-tokens", new { ttlSeconds = 3600 }, Ct), HttpStatusCode.BadRequest, "userId");
        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/user-tokens", new { userId = "u", ttlSeconds = 5 }, Ct), HttpStatusCode.BadRequest, "ttlSeconds");
        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/user-tokens", new { userId = "u", ttlSeconds = "day" }, Ct), HttpStatusCode.BadRequest, "ttlSeconds");
        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/user-tokens", new { userId = 5 }, Ct), HttpStatusCode.BadRequest, "userId");
        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/user-tokens", new { userId = "u", user = "v" }, Ct), HttpStatusCode.BadRequest, "user");
    }

    [Fact]
    public async Task AnOldSecretStillVerifiesAfterRotation()
    {
        const string user = "client-u8";
        var answer = await HttpAssert.Ok(await Server.ClientWithKey(ClientKey).PostAsJsonAsync("/v1/events",
            new[] { View(userId: user, userToken: Token(user, OldSecret)), View(userId: user, userToken: Token(user, NewSecret)) }, Ct));
        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public void TheTokenFormatIsTheDocumentedOne()
    {
        var expires = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);
        string token = UserToken.Create("s3cret-s3cret-s3cret-s3cret-s3cret", "u|1", expires);
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes("s3cret-s3cret-s3cret-s3cret-s3cret"));
        string signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes("v1|u|1|1900000000"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal($"v1.1900000000.{signature}", token);

        byte[][] keys = [Encoding.UTF8.GetBytes("s3cret-s3cret-s3cret-s3cret-s3cret")];
        Assert.Equal(UserTokenCheck.Valid, UserToken.Verify(keys, token, "u|1", 1_899_999_999));
        Assert.Equal(UserTokenCheck.Expired, UserToken.Verify(keys, token, "u|1", 1_900_000_000));
        Assert.Equal(UserTokenCheck.Invalid, UserToken.Verify(keys, token, "u", 1_899_999_999));
        Assert.Equal(UserTokenCheck.Invalid, UserToken.Verify(keys, token.Replace("1900000000", "1900000001"), "u|1", 1_899_999_999));
        foreach (string bad in new[] { "", "v1", "v2.1900000000." + signature, "v1.abc." + signature, "v1.1900000000." + signature + "A", "v1.1900000000." + signature[..^1] + "=" })
            Assert.Equal(UserTokenCheck.Malformed, UserToken.Verify(keys, bad, "u|1", 0));
    }

    [Fact]
    public async Task APreflightIsAnsweredForAnOriginSomeKeyListsAndForNoOther()
    {
        var allowed = await Server.Client.SendAsync(Preflight(Shop), Ct);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal(Shop, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(allowed, "Access-Control-Allow-Methods"));
        Assert.Contains("X-Attune-User-Token", Header(allowed, "Access-Control-Allow-Headers"));
        Assert.Contains("Authorization", Header(allowed, "Access-Control-Allow-Headers"));
        Assert.Equal("600", Header(allowed, "Access-Control-Max-Age"));
        Assert.Contains("Origin", allowed.Headers.Vary);

        var unknown = await Server.Client.SendAsync(Preflight("https://evil.example.com"), Ct);
        Assert.False(unknown.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(unknown.Headers.Contains("Access-Control-Allow-Headers"));
    }

    [Fact]
    public async Task AnActualRequestFromAnOriginTheKeyDoesNotListIsRefusedAndStoresNothing()
    {
        var client = Server.ClientWithKey(ClientKey);
        var refused = await client.SendAsync(FromOrigin("https://evil.example.com", new[] { View(userId: "client-u9", userToken: Token("client-u9")) }), Ct);
        var problem = await HttpAssert.Problem(refused, HttpStatusCode.Forbidden);
        Assert.Contains("Origin not allowed for key 'web'", problem.GetProperty("detail").GetString());
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        await HttpAssert.Problem(await Server.ClientWithKey(AdminKey).GetAsync("/v1/users/client-u9/profile", Ct), HttpStatusCode.NotFound);

        var ok = await client.SendAsync(FromOrigin(Shop, new[] { View(userId: "client-u9", userToken: Token("client-u9")) }), Ct);
        await HttpAssert.Ok(ok);
        Assert.Equal(Shop, Header(ok, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", ok.Headers.Vary);

        // No Origin (a backend, an app) and the server's own origin are not browsers on other sites.
        var plain = await client.PostAsJsonAsync("/v1/events", new[] { View(anonymousId: "anon-c7") }, Ct);
        await HttpAssert.Ok(plain);
        Assert.False(plain.Headers.Contains("Access-Control-Allow-Origin"));
        await HttpAssert.Ok(await client.SendAsync(FromOrigin(Server.BaseAddress.GetLeftPart(UriPartial.Authority), new[] { View(anonymousId: "anon-c7") }), Ct));

        // A key without origins (not a client key) behaves as before: no CORS headers, no refusal.
        var backend = await Server.ClientWithKey(IngestKey).SendAsync(FromOrigin(Shop, new[] { View(anonymousId: "anon-c8") }), Ct);
        await HttpAssert.Ok(backend);
        Assert.False(backend.Headers.Contains("Access-Control-Allow-Origin"));

        // The page can read a 401 (the tracker then drops the batch instead of retrying a network error).
        var unknownKey = await Server.ClientWithKey("unknown-key-0123456789").SendAsync(FromOrigin(Shop, new[] { View(anonymousId: "a") }), Ct);
        await HttpAssert.Problem(unknownKey, HttpStatusCode.Unauthorized);
        Assert.Equal(Shop, Header(unknownKey, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task StoredKeysTakeClientAndOriginsWhichPreflightsThenHonour()
    {
        var admin = Server.ClientWithKey(AdminKey);
        var created = await admin.PostAsJsonAsync("/v1/keys", new { name = "mobile-web", scopes = new[] { "client" }, origins = new[] { "HTTPS://M.Example.com:443/", "*" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(["https://m.example.com", "*"], key.GetProperty("origins").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal(["client"], key.GetProperty("scopes").EnumerateArray().Select(o => o.GetString()));
        var listed = await HttpAssert.Ok(await admin.GetAsync("/v1/keys", Ct));
        var row = listed.EnumerateArray().Single(k => k.GetProperty("name").GetString() == "mobile-web");
        Assert.Equal(2, row.GetProperty("origins").GetArrayLength());
        var web = listed.EnumerateArray().Single(k => k.GetProperty("name").GetString() == "web");
        Assert.Equal([Shop], web.GetProperty("origins").EnumerateArray().Select(o => o.GetString()));

        // '*': any origin may use that key, so any origin's preflight is answered.
        var anywhere = await Server.Client.SendAsync(Preflight("https://anywhere.example.org"), Ct);
        Assert.Equal("https://anywhere.example.org", Header(anywhere, "Access-Control-Allow-Origin"));
        var used = await Server.ClientWithKey(key.GetProperty("key").GetString()!).SendAsync(FromOrigin("https://anywhere.example.org", new[] { View(anonymousId: "a9") }), Ct);
        await HttpAssert.Ok(used);
        await HttpAssert.Ok(await admin.DeleteAsync("/v1/keys/mobile-web", Ct));
        Assert.False((await Server.Client.SendAsync(Preflight("https://anywhere.example.org"), Ct)).Headers.Contains("Access-Control-Allow-Origin"));

        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/keys", new { name = "bad-origin", scopes = new[] { "client" }, origins = new[] { "https://shop.example.com/path" } }, Ct),
            HttpStatusCode.BadRequest, "origins[0]");
        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/keys", new { name = "bad-origin", scopes = new[] { "client" }, origins = "https://x.example" }, Ct),
            HttpStatusCode.BadRequest, "origins");
        await HttpAssert.ProblemNaming(await admin.PostAsJsonAsync("/v1/keys", new { name = "bad-origin", scopes = new[] { "client" }, origins = new object[] { 3 } }, Ct),
            HttpStatusCode.BadRequest, "origins[0]");
    }

    [Theory]
    [InlineData("Attune:ApiKeys:0:Origins:0", "shop.example.com", "Origins")]
    [InlineData("Attune:UserTokenSecrets:0", "short", "shorter than 32")]
    [InlineData("Attune:UserTokenSecret", "a-secret-of-thirty-two-characters-or-more", "not both")]
    public void BadSettingsStopTheStartNamingTheSetting(string setting, string value, string said)
    {
        using var dir = TestPaths.NewTempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Key"] = AdminKey, ["Attune:ApiKeys:0:Scopes:0"] = "admin",
            ["Attune:UserTokenSecrets:0"] = NewSecret,
            [setting] = value,
        };
        var e = Assert.Throws<AttuneStartException>(() => AttuneHost.Build([], "http://127.0.0.1:0", dir.Path, settings));
        Assert.Contains(said, e.Message);
    }

    [Fact]
    public async Task WithoutConfiguredSecretsOneIsMadeOnceAndKeptAcrossRestarts()
    {
        using var dir = TestPaths.NewTempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Key"] = AdminKey, ["Attune:ApiKeys:0:Scopes:0"] = "admin",
            ["Attune:ApiKeys:1:Name"] = "web", ["Attune:ApiKeys:1:Key"] = ClientKey, ["Attune:ApiKeys:1:Scopes:0"] = "client",
        };
        string token;
        await using (var first = await TestServer.StartAsync(settings, dir.Path))
        {
            token = (await HttpAssert.Ok(await first.ClientWithKey(AdminKey).PostAsJsonAsync("/v1/user-tokens", new { userId = "u-restart" }, Ct)))
                .GetProperty("token").GetString()!;
        }
        await using var second = await TestServer.StartAsync(settings, dir.Path);
        var answer = await HttpAssert.Ok(await second.ClientWithKey(ClientKey).PostAsJsonAsync("/v1/events", new[] { View(userId: "u-restart", userToken: token) }, Ct));
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/events");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization, content-type, x-attune-user-token");
        return request;
    }

    private static HttpRequestMessage FromOrigin(string origin, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(body) };
        request.Headers.Add("Origin", origin);
        return request;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";
}
