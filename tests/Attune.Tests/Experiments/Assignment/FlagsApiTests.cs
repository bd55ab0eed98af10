using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Serving;
using Attune.Serving.Flags;
using Attune.Server.Security;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;

namespace Attune.Tests.Experiments.Assignment;

/// <summary>Flags through the real HTTP server: stored versioned, validated, evaluated per person with the GrowthBook engine.</summary>
public sealed class FlagsApiTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Attune:Serving:LogRecommendations"] = "false" });
        for (int i = 0; i < 600 && !(await Client.GetAsync("/ready")).IsSuccessStatusCode; i++) await Task.Delay(50);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<JsonElement> Put(string key, string json) => await HttpAssert.Ok(await Client.PutAsync($"/v1/flags/{key}", Json(json)));

    private async Task<JsonElement> Evaluate(string query) => await HttpAssert.Ok(await Client.GetAsync($"/v1/flags/evaluate?{query}"));

    private static JsonElement Flag(JsonElement evaluation, string key) => evaluation.GetProperty("flags").GetProperty(key);

    [Fact]
    public async Task FlagsAreStoredVersionedListedAndDeleted()
    {
        // Act
        var first = await Put("new-search", """{"description": "The new search page", "defaultValue": false}""");
        var second = await Put("new-search", """{"defaultValue": false, "rules": [{"id": "staff", "condition": {"staff": "true"}, "force": true}]}""");
        var list = await HttpAssert.Ok(await Client.GetAsync("/v1/flags"));
        var current = await HttpAssert.Ok(await Client.GetAsync("/v1/flags/new-search"));
        var old = await HttpAssert.Ok(await Client.GetAsync("/v1/flags/new-search?version=1"));
        var deleted = await Client.DeleteAsync("/v1/flags/new-search");
        var gone = await Client.GetAsync("/v1/flags/new-search");
        var versions = await HttpAssert.Ok(await Client.GetAsync("/v1/flags/new-search/versions"));
        var empty = await HttpAssert.Ok(await Client.GetAsync("/v1/flags"));

        // Assert
        Assert.Equal(1, first.GetProperty("version").GetInt32());
        Assert.Equal(2, second.GetProperty("version").GetInt32());
        Assert.Equal("new-search", Assert.Single(list.EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal("staff", current.GetProperty("rules")[0].GetProperty("id").GetString());
        Assert.Equal("The new search page", old.GetProperty("description").GetString());
        Assert.Equal(0, old.GetProperty("rules").GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await HttpAssert.Problem(gone, HttpStatusCode.NotFound);
        Assert.Equal([1, 2, 3], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.True(versions[2].GetProperty("deleted").GetBoolean());
        Assert.All(versions.EnumerateArray(), v => Assert.True(v.GetProperty("updatedAt").GetDateTimeOffset() > DateTimeOffset.UnixEpoch));
        Assert.Equal(0, empty.GetArrayLength());
        await HttpAssert.Problem(await Client.DeleteAsync("/v1/flags/new-search"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ARolloutAtHalfCoverageTurnsTheFlagOnForAboutHalfOfThePeopleAndStaysPut()
    {
        await Put("checkout-v2", """{"defaultValue": false, "rules": [{"id": "rollout", "force": true, "coverage": 0.5, "hashVersion": 2}]}""");

        var on = new List<string>();
        var off = new List<string>();
        for (int i = 0; i < 200; i++)
        {
            var flag = Flag(await Evaluate($"userId=user-{i}"), "checkout-v2");
            if (flag.GetProperty("value").GetBoolean())
            {
                Assert.Equal("force", flag.GetProperty("source").GetString());
                Assert.Equal("rollout", flag.GetProperty("ruleId").GetString());
                on.Add($"user-{i}");
            }
            else
            {
                Assert.Equal("defaultValue", flag.GetProperty("source").GetString());
                Assert.Equal(JsonValueKind.Null, flag.GetProperty("ruleId").ValueKind);
                off.Add($"user-{i}");
            }
            Assert.Equal(JsonValueKind.Null, flag.GetProperty("experiment").ValueKind);
        }

        Assert.InRange(on.Count, 70, 130);
        Assert.NotEmpty(off);
        // The same person gets the same answer again; raising coverage keeps everyone who had it.
        Assert.True(Flag(await Evaluate($"userId={on[0]}"), "checkout-v2").GetProperty("value").GetBoolean());
        await Put("checkout-v2", """{"defaultValue": false, "rules": [{"id": "rollout", "force": true, "coverage": 0.8, "hashVersion": 2}]}""");
        foreach (string id in on.Take(20)) Assert.True(Flag(await Evaluate($"userId={id}"), "checkout-v2").GetProperty("value").GetBoolean());
    }

    [Fact]
    public async Task ConditionsSeeTheUserRecordTheContextAndTheIds()
    {
        // Arrange
        await HttpAssert.Ok(await Client.PostAsync("/v1/users", Json("""{"id": "ana", "attributes": {"plan": "pro", "country": "DE"}}""")));
        await HttpAssert.Ok(await Client.PostAsync("/v1/users", Json("""{"id": "ben", "attributes": {"plan": "free", "country": "DE"}}""")));
        await Put("theme", """
            {"defaultValue": "light", "rules": [
              {"id": "pro-dark", "condition": {"plan": "pro"}, "force": "dark"},
              {"id": "mobile-compact", "condition": {"device": "mobile", "appVersion": {"$vgte": "2.1.0"}}, "force": "compact"},
              {"id": "anonymous", "condition": {"userId": {"$exists": false}}, "force": "guest"}
            ]}
            """);

        // Act
        var ana = Flag(await Evaluate("userId=ana"), "theme");
        var ben = Flag(await Evaluate("userId=ben"), "theme");
        var benOnMobile = Flag(await Evaluate("userId=ben&context.device=mobile&context.appVersion=2.3.0"), "theme");
        var benOnOldApp = Flag(await Evaluate("userId=ben&context.device=mobile&context.appVersion=2.0.9"), "theme");
        var visitor = await Evaluate("anonymousId=v-1");

        // Assert
        Assert.Equal("dark", ana.GetProperty("value").GetString());
        Assert.Equal("pro-dark", ana.GetProperty("ruleId").GetString());
        Assert.Equal("light", ben.GetProperty("value").GetString());
        Assert.Equal("compact", benOnMobile.GetProperty("value").GetString());
        Assert.Equal("light", benOnOldApp.GetProperty("value").GetString());
        Assert.Equal("guest", Flag(visitor, "theme").GetProperty("value").GetString());
        Assert.Equal("v-1", visitor.GetProperty("anonymousId").GetString());
    }

    [Fact]
    public async Task AnExperimentRuleAssignsAVariationAndSaysWhich()
    {
        await Put("search-ranking", """
            {"defaultValue": "bm25", "rules": [{"key": "ranking-test", "variations": ["bm25", "learned"], "weights": [0.5, 0.5],
              "meta": [{"key": "control"}, {"key": "learned", "name": "Learned ranking"}], "hashVersion": 2}]}
            """);

        var seen = new HashSet<string>();
        for (int i = 0; i < 40; i++)
        {
            var flag = Flag(await Evaluate($"userId=p{i}"), "search-ranking");
            var experiment = flag.GetProperty("experiment");
            Assert.Equal("experiment", flag.GetProperty("source").GetString());
            Assert.Equal("ranking-test", experiment.GetProperty("key").GetString());
            Assert.True(experiment.GetProperty("inExperiment").GetBoolean());
            Assert.Equal("id", experiment.GetProperty("hashAttribute").GetString());
            Assert.Equal($"p{i}", experiment.GetProperty("hashValue").GetString());
            int variation = experiment.GetProperty("variationId").GetInt32();
            Assert.Equal(variation == 0 ? "bm25" : "learned", flag.GetProperty("value").GetString());
            Assert.Equal(variation == 0 ? "control" : "learned", experiment.GetProperty("variationKey").GetString());
            seen.Add(experiment.GetProperty("variationKey").GetString()!);
        }
        Assert.Equal(2, seen.Count);
    }

    [Theory]
    [InlineData("""{"defaultValue": 1, "rules": [{"variations": [1, 2], "weights": [0.5, 0.6]}]}""", "rules[0].weights")]
    [InlineData("""{"defaultValue": 1, "rules": [{"force": 2, "coverage": 1.5}]}""", "rules[0].coverage")]
    [InlineData("""{"defaultValue": 1, "rules": [{"force": 2, "condition": {"age": {"$gtt": 3}}}]}""", "rules[0].condition.age.$gtt")]
    [InlineData("""{"defaultValue": 1, "rules": [{"force": 2, "condition": {"ua": {"$regex": "(("}}}]}""", "rules[0].condition.ua.$regex")]
    [InlineData("""{"defaultValue": 1, "rules": [{"force": 2, "coverage": 0.5, "hashAttribute": "user id"}]}""", "rules[0].hashAttribute")]
    [InlineData("""{"defaultValue": 1, "rules": [{"force": 2, "hashAttribute": 7}]}""", "rules[0].hashAttribute")]
    [InlineData("""{"defaultValue": 1, "rules": [{"variations": [1, 2], "hashVersion": 3}]}""", "rules[0].hashVersion")]
    [InlineData("""{"defaultValue": 1, "rules": [{"variations": [1, 2], "coverge": 0.5}]}""", "rules[0].coverge")]
    [InlineData("""{"defaultValue": 1, "rules": [{"condition": {"a": 1}}]}""", "rules[0]")]
    [InlineData("""{"defaultValue": 1, "rules": {"force": 2}}""", "rules")]
    [InlineData("""{"defaultValue": 1, "key": "other"}""", "key")]
    [InlineData("""[1, 2]""", "body")]
    public async Task BadFlagsAreRefusedNamingTheField(string json, string field)
    {
        var r = await Client.PutAsync("/v1/flags/bad-flag", Json(json));

        await HttpAssert.ProblemNaming(r, HttpStatusCode.BadRequest, field);
        await HttpAssert.Problem(await Client.GetAsync("/v1/flags/bad-flag"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/v1/flags/evaluate", "userId")]
    [InlineData("/v1/flags/evaluate?userId=a&color=red", "color")]
    [InlineData("/v1/flags/evaluate?userId=", "userId")]
    public async Task BadEvaluationsAreRefusedNamingTheParameter(string url, string field)
    {
        await HttpAssert.ProblemNaming(await Client.GetAsync(url), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task BadKeysAreRefused()
    {
        await HttpAssert.ProblemNaming(await Client.PutAsync("/v1/flags/evaluate", Json("""{"defaultValue": 1}""")), HttpStatusCode.BadRequest, "key");
        await HttpAssert.ProblemNaming(await Client.PutAsync("/v1/flags/a%20b", Json("""{"defaultValue": 1}""")), HttpStatusCode.BadRequest, "key");
    }

    [Fact]
    public async Task TheOpenApiDocumentListsTheFlagRoutes()
    {
        var openapi = await HttpAssert.Ok(await Client.GetAsync("/openapi/v1.json"));

        Assert.True(openapi.GetProperty("paths").TryGetProperty("/v1/flags/{key}", out _));
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/v1/flags/evaluate", out _));
    }
}

/// <summary>Who may read, change and evaluate flags.</summary>
public sealed class FlagsScopeTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789";
    private const string ServeKey = "serve-key-0123456789";
    private const string IngestKey = "ingest-key-0123456789";
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Attune:ApiKeys:0:Key"] = AdminKey,
        ["Attune:ApiKeys:0:Scopes:0"] = "admin",
        ["Attune:ApiKeys:1:Key"] = ServeKey,
        ["Attune:ApiKeys:1:Scopes:0"] = "serve",
        ["Attune:ApiKeys:2:KeyHash"] = ApiKeyStore.HashHex(IngestKey),
        ["Attune:ApiKeys:2:Scopes:0"] = "ingest",
        ["Attune:Serving:LogRecommendations"] = "false",
    });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task AdminKeysManageFlagsServeKeysOnlyEvaluateThem()
    {
        var admin = _server.ClientWithKey(AdminKey);
        var serve = _server.ClientWithKey(ServeKey);
        var ingest = _server.ClientWithKey(IngestKey);

        await HttpAssert.Ok(await admin.PutAsync("/v1/flags/banner", Json("""{"defaultValue": "off"}""")));
        await HttpAssert.Ok(await admin.GetAsync("/v1/flags"));
        await HttpAssert.Ok(await admin.GetAsync("/v1/flags/evaluate?userId=u1"));
        var served = await HttpAssert.Ok(await serve.GetAsync("/v1/flags/evaluate?userId=u1"));
        Assert.Equal("off", served.GetProperty("flags").GetProperty("banner").GetProperty("value").GetString());

        await HttpAssert.Problem(await serve.GetAsync("/v1/flags"), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await serve.GetAsync("/v1/flags/banner"), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await serve.PutAsync("/v1/flags/banner", Json("""{"defaultValue": "on"}""")), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await serve.DeleteAsync("/v1/flags/banner"), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await ingest.GetAsync("/v1/flags/evaluate?userId=u1"), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await _server.Client.GetAsync("/v1/flags/evaluate?userId=u1"), HttpStatusCode.Unauthorized);
        await HttpAssert.Problem(await _server.Client.PutAsync("/v1/flags/banner", Json("""{"defaultValue": "on"}""")), HttpStatusCode.Unauthorized);
    }
}

/// <summary>Flags written by another writer of the store (another node, an admin job) reach evaluation through the change feed.</summary>
public sealed class FlagsChangeFeedTests
{
    [Fact]
    public async Task AFlagDocumentWrittenStraightToTheStoreIsEvaluatedAfterTheFeedCatchesUp()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        await store.PutDocumentAsync(FlagBook.Kind, "at-start", """{"key": "at-start", "version": 1, "defaultValue": 1}""", ct);
        await using var engine = new ServingEngine(store, new ServingOptions { RetrainAfterEvents = 0, RetrainIntervalMinutes = 0, LogRecommendations = false }, dir.Path);
        await engine.StartAsync(ct);
        Assert.True(engine.Flags.TryGet("at-start", out _));

        // Act: another writer adds one flag and deletes the other, not through the engine.
        await store.PutDocumentAsync(FlagBook.Kind, "later", """{"key": "later", "version": 1, "defaultValue": "x", "rules": [{"force": "y"}]}""", ct);
        await store.DeleteDocumentAsync(FlagBook.Kind, "at-start", ct);
        await engine.CatchUpAsync(ct);

        // Assert
        Assert.False(engine.Flags.TryGet("at-start", out _));
        var result = engine.Flags.Features.Evaluate("later", new() { Attributes = new() { ["id"] = "u1" } });
        Assert.Equal("y", result.Value.AsString);
    }
}

/// <summary>The flag definitions in docs/flags.md are accepted as written (the docs cannot rot).</summary>
public sealed class FlagsDocsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Attune:Serving:LogRecommendations"] = "false" });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TheDocumentedFlagsAreAcceptedAndEvaluateAsShown()
    {
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "flags.md"));
        var puts = System.Text.RegularExpressions.Regex.Matches(doc, @"curl -s -X PUT localhost:5080(/v1/flags/[\w.-]+) -H 'Content-Type: application/json' -d '([^']*)'");
        Assert.Equal(3, puts.Count);

        // The first two are good, the last one is the documented bad one.
        for (int i = 0; i < 2; i++)
            await HttpAssert.Ok(await _server.Client.PutAsync(puts[i].Groups[1].Value, new StringContent(puts[i].Groups[2].Value, Encoding.UTF8, "application/json")));
        var bad = await _server.Client.PutAsync(puts[2].Groups[1].Value, new StringContent(puts[2].Groups[2].Value, Encoding.UTF8, "application/json"));
        await HttpAssert.ProblemNaming(bad, HttpStatusCode.BadRequest, "rules[0].condition.country.$inn");
        await HttpAssert.Ok(await _server.Client.PostAsync("/v1/users",
            new StringContent("""{"id": "u00001", "attributes": {"email": "kim@example.com", "country": "DE"}}""", Encoding.UTF8, "application/json")));
        var answer = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/flags/evaluate?userId=u00001&context.appVersion=2.3.0"));

        Assert.Equal("staff", answer.GetProperty("flags").GetProperty("new-checkout").GetProperty("ruleId").GetString());
        Assert.Equal("control", answer.GetProperty("flags").GetProperty("search-ranking").GetProperty("experiment").GetProperty("variationKey").GetString());
    }
}
