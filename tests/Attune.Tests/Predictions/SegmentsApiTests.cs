using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Tests.Server;

namespace Attune.Tests.Predictions;

/// <summary>Segments through the real server: rule segments kept current as events arrive, RFM segments, members, exports,
/// and segments in business rules, experiments' targeting and decisions' eligibility.</summary>
public sealed class SegmentsApiTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<TestServer> ShopAsync()
    {
        var server = await TestServer.StartAsync();
        var client = server.Client;
        await HttpAssert.Ok(await client.PostAsync("/v1/items", Json("""
            [{"id": "shoe", "title": "Shoe", "price": 80, "categories": ["shoes"]}, {"id": "bag", "title": "Bag", "price": 40, "categories": ["bags"]},
             {"id": "hat", "title": "Hat", "price": 20, "categories": ["hats"]}, {"id": "sock", "title": "Sock", "price": 5, "categories": ["socks"]}]
            """)));
        var now = DateTimeOffset.UtcNow;
        var events = new List<object>();
        // b0…b9 bought 0…9 times over the last 60 days; everyone viewed a bag yesterday.
        for (int u = 0; u < 10; u++)
        {
            for (int k = 0; k < u; k++) events.Add(new { type = "purchase", userId = $"b{u}", itemId = "sock", value = 5, timestamp = now.AddDays(-60 + 6 * k).ToString("O") });
            events.Add(new { type = "view", userId = $"b{u}", itemId = "bag", timestamp = now.AddDays(-1).ToString("O") });
        }
        await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/events", events));
        await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/users", new[] { new { id = "b3", attributes = new { country = "DE" } } }));
        // Scores everyone (the models themselves need more history than this shop has: 404, but everyone is indexed).
        var train = await client.PostAsync("/v1/predictions/propensity/train", null);
        Assert.True(train.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, train.StatusCode.ToString());
        return server;
    }

    [Fact]
    public async Task RuleSegmentsHoldTheRightPeopleFollowNewEventsAndExport()
    {
        await using var server = await ShopAsync();
        var client = server.Client;
        var put = await HttpAssert.Ok(await client.PutAsync("/v1/segments/frequent", Json("""{"name": "Frequent buyers", "rule": "activity.purchasesAll >= 5"}""")));
        Assert.Equal("rule", put.GetProperty("kind").GetString());
        Assert.Equal(5, put.GetProperty("members").GetInt32()); // b5…b9

        var page1 = await HttpAssert.Ok(await client.GetAsync("/v1/segments/frequent/members?limit=3"));
        Assert.Equal(["b5", "b6", "b7"], page1.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(5, page1.GetProperty("total").GetInt32());
        var page2 = await HttpAssert.Ok(await client.GetAsync($"/v1/segments/frequent/members?limit=3&cursor={Uri.EscapeDataString(page1.GetProperty("nextCursor").GetString()!)}"));
        Assert.Equal(["b8", "b9"], page2.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.False(page2.TryGetProperty("nextCursor", out _));

        // b4 buys a fifth time: a member within the refresh period (200 ms), without any training.
        await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/events", new[] { new { type = "purchase", userId = "b4", itemId = "sock", value = 5 } }));
        bool joined = false;
        for (int i = 0; i < 100 && !joined; i++)
        {
            await Task.Delay(50);
            joined = (await HttpAssert.Ok(await client.GetAsync("/v1/users/b4/segments"))).GetProperty("segments").EnumerateArray().Any(s => s.GetString() == "frequent");
        }
        Assert.True(joined, "b4 did not join the segment within 5 s of the event");
        Assert.Equal(6, (await HttpAssert.Ok(await client.GetAsync("/v1/segments/frequent"))).GetProperty("members").GetInt32());

        var csv = await (await client.GetAsync("/v1/segments/frequent/export")).Content.ReadAsStringAsync();
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("id,anonymous,since", lines[0]);
        Assert.Equal(["b4", "b5", "b6", "b7", "b8", "b9"], lines.Skip(1).Select(l => l.Split(',')[0]));
        var jsonl = await (await client.GetAsync("/v1/segments/frequent/export?format=jsonl")).Content.ReadAsStringAsync();
        Assert.Equal(6, jsonl.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).Count());

        // A person's export says which segments they are in; erasing them takes them out.
        var export = await HttpAssert.Ok(await client.GetAsync("/v1/users/b7/export"));
        Assert.Contains("frequent", export.GetProperty("segments").EnumerateArray().Select(x => x.GetString()));
        Assert.True((await client.DeleteAsync("/v1/users/b7")).IsSuccessStatusCode);
        bool left = false;
        for (int i = 0; i < 100 && !left; i++)
        {
            left = !(await HttpAssert.Ok(await client.GetAsync("/v1/segments/frequent/members"))).GetProperty("data").EnumerateArray().Any(m => m.GetProperty("id").GetString() == "b7");
            if (!left) await Task.Delay(50);
        }
        Assert.True(left, "an erased person stayed in the segment");

        // User attributes and the built-in RFM segments.
        await HttpAssert.Ok(await client.PutAsync("/v1/segments/germans", Json("""{"rule": "user.country = 'DE'"}""")));
        Assert.Equal(["b3"], (await HttpAssert.Ok(await client.GetAsync("/v1/segments/germans/members"))).GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var all = await HttpAssert.Ok(await client.GetAsync("/v1/segments"));
        var rfm = all.EnumerateArray().Where(s => s.GetProperty("kind").GetString() == "rfm").ToArray();
        Assert.Equal(10, rfm.Length);
        Assert.Equal(8, rfm.Sum(s => s.GetProperty("members").GetInt32())); // every buyer (b1…b9, b7 erased) in exactly one
        Assert.Contains("rfm-", string.Join(",", (await HttpAssert.Ok(await client.GetAsync("/v1/users/b9/segments"))).GetProperty("segments").EnumerateArray().Select(s => s.GetString())));

        await HttpAssert.Problem(await client.DeleteAsync("/v1/segments/rfm-champions"), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/segments/germans")).StatusCode);
        await HttpAssert.Problem(await client.GetAsync("/v1/segments/germans"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"rule": "predictions.purchase9d > 0.6"}""", "rule", "at position 0: unknown field 'predictions.purchase9d'")]
    [InlineData("""{"rule": "activity.purchasesAll >= "}""", "rule", "at position 25: ")]
    [InlineData("""{"rule": "(clv.value90d > 100"}""", "rule", "at position 19: expected ')'")]
    [InlineData("""{"rule": 5}""", "rule", "must be a string")]
    [InlineData("""{"name": "x"}""", "rule", "is required")]
    [InlineData("""{"rule": "anonymous", "colour": "red"}""", "colour", "unknown field")]
    public async Task BadSegmentsAre400sNamingTheFieldAndPosition(string body, string field, string message)
    {
        await using var server = await TestServer.StartAsync();
        var problem = await HttpAssert.ProblemNaming(await server.Client.PutAsync("/v1/segments/s1", Json(body)), HttpStatusCode.BadRequest, field);
        Assert.Contains(message, problem.GetProperty("errors").GetProperty(field)[0].GetString());
    }

    [Fact]
    public async Task SegmentsScopeBusinessRulesAndTargetExperimentsAndOffers()
    {
        await using var server = await ShopAsync();
        var client = server.Client;
        await HttpAssert.Ok(await client.PutAsync("/v1/segments/frequent", Json("""{"rule": "activity.purchasesAll >= 5"}""")));
        // A pin for the segment only: members see the hat first, others do not.
        await HttpAssert.Ok(await client.PutAsync("/v1/rules/hat-for-frequent", Json("""{"action": "pin", "itemId": "hat", "position": 1, "segment": "frequent"}""")));
        async Task<string?> First(string user) =>
            (await HttpAssert.Ok(await client.GetAsync($"/v1/recommendations?userId={user}&scenario=for-you&count=3"))).GetProperty("items").EnumerateArray()
                .Select(i => i.GetProperty("id").GetString()).FirstOrDefault();
        Assert.Equal("hat", await First("b7"));
        Assert.NotEqual("hat", await First("b1"));
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/rules/bad", Json("""{"action": "boost", "filter": "price > 1", "segment": 7}""")), HttpStatusCode.BadRequest, "segment");

        // Recipes: a segment's recipe serves its members (outside experiments, when the request names none).
        await HttpAssert.Ok(await client.PutAsync("/v1/recipes/pop-only", Json("""{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""")));
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/segments/frequent", Json("""{"rule": "activity.purchasesAll >= 5", "recipe": "nope"}""")),
            HttpStatusCode.BadRequest, "recipe");
        await HttpAssert.Ok(await client.PutAsync("/v1/segments/frequent", Json("""{"rule": "activity.purchasesAll >= 5", "recipe": "pop-only"}""")));
        async Task<string?> RecipeServed(string user) =>
            (await HttpAssert.Ok(await client.GetAsync($"/v1/recommendations?userId={user}&scenario=for-you&count=3"))).GetProperty("recipe").GetString();
        Assert.Equal("pop-only", await RecipeServed("b7"));
        Assert.Equal("default", await RecipeServed("b1"));
        Assert.Equal("default", (await HttpAssert.Ok(await client.GetAsync("/v1/recommendations?userId=b7&scenario=for-you&recipe=default"))).GetProperty("recipe").GetString());

        // Decisions: an offer only the segment is eligible for.
        await HttpAssert.Ok(await client.PutAsync("/v1/decisions/banner", Json("""
            {"actions": [{"id": "vip-offer", "features": {"kind": "vip"}, "eligibility": {"segments": {"$in": ["frequent"]}}},
                         {"id": "plain", "features": {"kind": "plain"}}]}
            """)));
        async Task<string[]> Allowed(string user)
        {
            var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/banner/rank", Json($$$"""{"userId": "{{{user}}}", "context": {"page": "home"}}""")));
            // The ranking lists every action; the ineligible ones with probability 0.
            return [.. rank.GetProperty("ranking").EnumerateArray().Where(r => r.GetProperty("probability").GetDouble() > 0).Select(r => r.GetProperty("id").GetString()!)];
        }
        Assert.Contains("vip-offer", await Allowed("b8"));
        Assert.DoesNotContain("vip-offer", await Allowed("b2"));
    }
}
