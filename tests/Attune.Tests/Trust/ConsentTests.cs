using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;

namespace Attune.Tests.Trust;

/// <summary>Consent by purpose through the real server: analytics keeps people out of experiments, withdrawing everything
/// erases them and refuses their events, and a deployment's default governs people who stated nothing.</summary>
public sealed class ConsentTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 200, items: 150, days: 14, seed: 3);
        await StartAsync(null);
    }

    private async Task StartAsync(IDictionary<string, string?>? settings)
    {
        if (_server is not null) await _server.DisposeAsync();
        _server = await TestServer.StartAsync(settings, _dir.Path);
        await _server.WaitReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static StringContent Json(string s) => new(s, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task WithoutAnalyticsConsentAPersonIsNeverInAnExperiment()
    {
        await HttpAssert.Ok(await Client.PostAsync("/v1/experiments", Json("""
            {"id": "everyone", "variants": [{"key": "control", "recipe": "default", "weight": 0.5}, {"key": "treatment", "recipe": "non-personal", "weight": 0.5}],
             "scenarios": ["for-you"], "metrics": {"primary": "conversion"}}
            """)));
        await HttpAssert.Ok(await Client.PostAsync("/v1/experiments/everyone/start", null));
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/users", new { id = "u00003", consent = new { analytics = false } }));

        var outside = await HttpAssert.Ok(await Client.GetAsync("/v1/recommendations?userId=u00003&scenario=for-you&count=3"));
        Assert.False(outside.TryGetProperty("experiment", out _));
        // Their anonymous id, once linked, is them: a request carrying only it stays outside an experiment on anonymous ids too.
        await HttpAssert.Ok(await Client.PostAsync("/v1/experiments", Json("""
            {"id": "devices", "hashAttribute": "anonymousId", "variants": [{"key": "control", "recipe": "default"}, {"key": "treatment", "recipe": "non-personal"}],
             "scenarios": ["for-you"], "metrics": {"primary": "conversion"}}
            """)));
        await HttpAssert.Ok(await Client.PostAsync("/v1/experiments/devices/start", null));
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/identify", new { anonymousId = "device-of-u00003", userId = "u00003" }));
        JsonElement device = default;
        for (int i = 0; i < 50; i++, await Task.Delay(20)) // the link reaches live state through the change feed
        {
            device = await HttpAssert.Ok(await Client.GetAsync("/v1/recommendations?anonymousId=device-of-u00003&scenario=for-you&count=3"));
            if (!device.TryGetProperty("experiment", out _)) break;
        }
        Assert.False(device.TryGetProperty("experiment", out _));
        // The device of someone who gave analytics is in, as they are.
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/identify", new { anonymousId = "device-of-u00004", userId = "u00004" }));
        JsonElement other = default;
        for (int i = 0; i < 50; i++, await Task.Delay(20))
        {
            other = await HttpAssert.Ok(await Client.GetAsync("/v1/recommendations?anonymousId=device-of-u00004&scenario=for-you&count=3"));
            if (other.TryGetProperty("experiment", out _)) break;
        }
        Assert.True(other.TryGetProperty("experiment", out var oe) && oe.GetProperty("id").GetString() == "devices", other.GetRawText()[..Math.Min(300, other.GetRawText().Length)]);
        var inside = await HttpAssert.Ok(await Client.GetAsync("/v1/recommendations?userId=u00004&scenario=for-you&count=3"));
        Assert.Equal("everyone", inside.GetProperty("experiment").GetProperty("id").GetString());
        var user = await HttpAssert.Ok(await Client.GetAsync("/v1/users/u00003"));
        Assert.False(user.GetProperty("consent").GetProperty("analytics").GetBoolean());
        Assert.True(user.GetProperty("consent").GetProperty("marketing").GetBoolean()); // a purpose left out is given
    }

    [Fact]
    public async Task WithdrawingEveryPurposeErasesThePersonKeepsASuppressionRecordAndRefusesTheirEvents()
    {
        var before = await HttpAssert.Ok(await Client.GetAsync("/v1/users/u00005/profile"));
        Assert.True(before.GetProperty("eventCount").GetInt64() > 0);

        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/users",
            new { id = "u00005", attributes = new { city = "Lyon" }, consent = new { personalization = false, marketing = false, analytics = false } }));

        var record = await HttpAssert.Ok(await Client.GetAsync("/v1/users/u00005"));
        Assert.Empty(record.GetProperty("attributes").EnumerateObject()); // only the suppression record is kept
        Assert.False(record.GetProperty("consent").GetProperty("personalization").GetBoolean());
        var after = await HttpAssert.Ok(await Client.GetAsync("/v1/users/u00005/profile"));
        Assert.Equal(0, after.GetProperty("eventCount").GetInt64());
        // Their events are refused with the reason; the good events of the same batch are kept.
        var batch = await HttpAssert.Ok(await Client.PostAsync("/v1/events", Json("""
            [{"type": "view", "userId": "u00005", "itemId": "i00002"}, {"type": "view", "userId": "u00006", "itemId": "i00002"}]
            """)));
        Assert.Equal(1, batch.GetProperty("accepted").GetInt32());
        Assert.Contains("withdrew consent", batch.GetProperty("rejected")[0].GetRawText());
        await HttpAssert.ProblemNaming(await Client.PostAsync("/v1/events", Json("""{"type": "view", "userId": "u00005", "itemId": "i00002"}""")),
            HttpStatusCode.BadRequest, "userId");
    }

    [Fact]
    public async Task AnOptInDeploymentPersonalizesOnlyThoseWhoSaidYes()
    {
        await StartAsync(new Dictionary<string, string?> { ["Attune:Serving:DefaultConsent:Personalization"] = "false" });
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/users", new { id = "u00007", consent = new { personalization = true } }));

        var visitor = await HttpAssert.Ok(await Client.GetAsync("/v1/recommendations?anonymousId=someone-new&scenario=for-you&count=3"));
        Assert.False(visitor.GetProperty("personalized").GetBoolean());
        // A user whose record states no consent (the demo's users all state one).
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/users", new { id = "said-nothing" }));
        await HttpAssert.Ok(await Client.PostAsync("/v1/events", Json("""{"type": "view", "userId": "said-nothing", "itemId": "i00002"}""")));
        var unsaid = await HttpAssert.Ok(await Client.GetAsync("/v1/recommendations?userId=said-nothing&scenario=for-you&count=3"));
        Assert.False(unsaid.GetProperty("personalized").GetBoolean());
        var yes = await HttpAssert.Ok(await Client.GetAsync("/v1/recommendations?userId=u00007&scenario=for-you&count=3"));
        Assert.True(yes.GetProperty("personalized").GetBoolean());
    }
}
