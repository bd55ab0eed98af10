using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Tests.Server;

namespace Attune.Tests.Decisions;

/// <summary>
/// Azure Personalizer's own request bodies (its REST specification's examples, in Fixtures/personalizer with their sources)
/// sent to Personalizer's paths with its key header: the answers have its statuses and shapes.
/// </summary>
public sealed class PersonalizerCompatibilityTests
{
    private const string Key = "personalizer-compat-test-key-0123456789";

    private static readonly Dictionary<string, string?> s_settings = new()
    {
        ["Attune:ApiKeys:0:Name"] = "app",
        ["Attune:ApiKeys:0:Key"] = Key,
        ["Attune:ApiKeys:0:Scopes:0"] = "admin",
    };

    private static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Attune.Tests", "Decisions", "Fixtures", "personalizer", name));

    private static HttpClient PersonalizerClient(TestServer server)
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Add("Ocp-Apim-Subscription-Key", Key);
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Personalizer's error shape: {"error": {"code", "message", "target"}}.</summary>
    private static async Task ExpectError(HttpResponseMessage response, HttpStatusCode status, string code, string target)
    {
        var body = await Expect(response, status);
        var error = body.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(target, error.GetProperty("target").GetString());
    }

    [Fact]
    public async Task TheDocumentedRankRewardAndActivateBodiesWorkOnPersonalizersPaths()
    {
        await using var server = await TestServer.StartAsync(s_settings);
        using var client = PersonalizerClient(server);
        var expected = JsonDocument.Parse(Fixture("rank-response.json")).RootElement;

        var rank = await Expect(await client.PostAsync("/personalizer/v1.0/rank", Json(Fixture("rank-request.json"))), HttpStatusCode.Created);
        Assert.Equal(expected.GetProperty("eventId").GetString(), rank.GetProperty("eventId").GetString());
        // Every action is listed, the excluded one with probability 0; the reward action is never the excluded one.
        var ranking = rank.GetProperty("ranking").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("probability").GetDouble());
        Assert.Equal(expected.GetProperty("ranking").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).Order(), ranking.Keys.Order());
        Assert.Equal(0, ranking["SportsArticle"]);
        Assert.Equal(1.0, ranking.Values.Sum(), 9);
        string chosen = rank.GetProperty("rewardActionId").GetString()!;
        Assert.NotEqual("SportsArticle", chosen);
        Assert.Equal(["ranking", "eventId", "rewardActionId"], rank.EnumerateObject().Select(p => p.Name));

        string eventId = rank.GetProperty("eventId").GetString()!;
        await Expect(await client.PostAsync($"/personalizer/v1.0/events/{eventId}/reward", Json(Fixture("reward-request.json"))), HttpStatusCode.NoContent);
        await ExpectError(await client.PostAsync($"/personalizer/v1.0/events/{eventId}/reward", Json(Fixture("reward-request.json"))),
            HttpStatusCode.BadRequest, "InvalidRewardRequest", "eventId");

        // Deferred activation: the same body with another event id and deferActivation, then Activate.
        var deferred = Fixture("rank-request.json").Replace("75269AD0-BFEE-4598-8196-C57383D38E10", "deferred-1").Replace("\"deferActivation\": false", "\"deferActivation\": true");
        var second = await Expect(await client.PostAsync("/personalizer/v1.0/rank", Json(deferred)), HttpStatusCode.Created);
        Assert.Equal("deferred-1", second.GetProperty("eventId").GetString());
        await ExpectError(await client.PostAsync("/personalizer/v1.0/events/deferred-1/reward", Json("""{"value": 1}""")), HttpStatusCode.BadRequest, "InvalidRewardRequest", "eventId");
        await Expect(await client.PostAsync("/personalizer/v1.0/events/deferred-1/activate", null), HttpStatusCode.NoContent);
        await Expect(await client.PostAsync("/personalizer/v1.0/events/deferred-1/reward", Json("""{"value": 0.5}""")), HttpStatusCode.NoContent);
        await ExpectError(await client.PostAsync("/personalizer/v1.0/events/unknown-event/activate", null), HttpStatusCode.BadRequest, "InvalidEventIdToActivate", "eventId");
    }

    [Fact]
    public async Task TheDocumentedMultiSlotBodiesChooseOneActionPerSlotWithoutRepeats()
    {
        await using var server = await TestServer.StartAsync(s_settings);
        using var client = PersonalizerClient(server);
        var rank = await Expect(await client.PostAsync("/personalizer/v1.1-preview.1/multislot/rank", Json(Fixture("multislot-rank-request.json"))), HttpStatusCode.Created);
        var expected = JsonDocument.Parse(Fixture("multislot-rank-response.json")).RootElement;
        Assert.Equal(expected.GetProperty("eventId").GetString(), rank.GetProperty("eventId").GetString());
        var slots = rank.GetProperty("slots").EnumerateArray().ToList();
        Assert.Equal(expected.GetProperty("slots").EnumerateArray().Select(s => s.GetProperty("id").GetString()), slots.Select(s => s.GetProperty("id").GetString()));
        var chosen = slots.Select(s => s.GetProperty("rewardActionId").GetString()!).ToList();
        Assert.Equal(2, chosen.Distinct().Count());
        Assert.NotEqual("SportsArticle", chosen[0]); // excluded from the main article

        // The documented reward body names slots of another example ("Heroposition", "SideBar"): refused, naming the slot.
        string eventId = rank.GetProperty("eventId").GetString()!;
        await ExpectError(await client.PostAsync($"/personalizer/v1.1-preview.1/multislot/events/{eventId}/reward", Json(Fixture("multislot-reward-request.json"))),
            HttpStatusCode.BadRequest, "InvalidRewardRequest", "reward[0].slotId");
        var ours = Fixture("multislot-reward-request.json").Replace("Heroposition", "Main Article").Replace("SideBar", "Side Bar");
        await Expect(await client.PostAsync($"/personalizer/v1.1-preview.1/multislot/events/{eventId}/reward", Json(ours)), HttpStatusCode.NoContent);
        await Expect(await client.PostAsync($"/personalizer/v1.1-preview.1/multislot/events/{eventId}/activate", null), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task BadInputOnPersonalizersPathsGetsItsErrorShapeNamingTheField()
    {
        await using var server = await TestServer.StartAsync(s_settings);
        using var client = PersonalizerClient(server);
        var rank = await Expect(await client.PostAsync("/personalizer/v1.0/rank", Json(Fixture("rank-request.json"))), HttpStatusCode.Created);
        string eventId = rank.GetProperty("eventId").GetString()!;

        await ExpectError(await client.PostAsync($"/personalizer/v1.0/events/{eventId}/reward", Json("""{"value": 1.5}""")), HttpStatusCode.BadRequest, "InvalidRewardRequest", "value");
        await ExpectError(await client.PostAsync("/personalizer/v1.0/events/nobody/reward", Json("""{"value": 1}""")), HttpStatusCode.NotFound, "ResourceNotFound", "eventId");
        await ExpectError(await client.PostAsync("/personalizer/v1.0/rank", Json("""{"contextFeatures": [{"a": 1}], "actions": [{"id": "x"}, {"id": "x"}]}""")),
            HttpStatusCode.BadRequest, "InvalidRankRequest", "actions[1].id");
        await ExpectError(await client.PostAsync("/personalizer/v1.0/rank", Json("""{"contextFeatures": [{"a": null}], "actions": [{"id": "x"}]}""")),
            HttpStatusCode.BadRequest, "InvalidRankRequest", "contextFeatures[0].a");
        await ExpectError(await client.PostAsync("/personalizer/v1.0/rank", Json("""{"actions": [{"id": "x"}], "excludedActions": ["x"]}""")),
            HttpStatusCode.BadRequest, "InvalidRankRequest", "actions");
        await ExpectError(await client.PostAsync("/personalizer/v1.0/rank", Json("""{"contextFeatures": []}""")), HttpStatusCode.BadRequest, "InvalidRankRequest", "actions");
        await ExpectError(await client.PostAsync("/personalizer/v1.0/rank", Json("{\"actions\": [")), HttpStatusCode.BadRequest, "InvalidRankRequest", "body");
        var fiftyOne = "{\"actions\": [" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"{{\"id\": \"a{i}\"}}")) + "]}";
        await ExpectError(await client.PostAsync("/personalizer/v1.0/rank", Json(fiftyOne)), HttpStatusCode.BadRequest, "InvalidRankRequest", "actions");

        // Without the key: refused.
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/personalizer/v1.0/rank", Json(Fixture("rank-request.json")))).StatusCode);
    }
}
