using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Tests.Server;

namespace Attune.Tests.Decisions;

/// <summary>Experiments and the global holdout on decision points: the control action against the learner, with the rewards per variant.</summary>
public sealed class DecisionExperimentTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 100, items: 60, days: 5, seed: 3);
        _server = await TestServer.StartAsync(new Dictionary<string, string?>(), _dir.Path);
        await _server.WaitReadyAsync();
        await HttpAssert.Ok(await Client.PutAsync("/v1/decisions/hero-banner", Json("""
            {"actions": [{"id": "usual", "features": {"theme": "brand"}}, {"id": "sale", "features": {"theme": "sale"}},
                         {"id": "new", "features": {"theme": "new"}}],
             "settings": {"controlAction": "usual"}}
            """)));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private const string Definition = """
        {"id": "banner-test", "name": "Learned banner vs the usual one",
         "variants": [{"key": "control", "policy": "control"}, {"key": "learned"}],
         "points": ["hero-banner"], "metrics": {"primary": "conversion"}}
        """;

    [Fact]
    public async Task AnExperimentSplitsPeopleBetweenTheControlActionAndTheLearnerAndComparesTheirRewards()
    {
        await HttpAssert.ProblemNaming(await Client.PostAsync("/v1/experiments", Json(Definition.Replace("\"hero-banner\"]", "\"nowhere\"]"))),
            HttpStatusCode.BadRequest, "points[0]");
        await HttpAssert.ProblemNaming(await Client.PostAsync("/v1/experiments", Json(Definition.Replace("\"policy\": \"control\"", "\"policy\": \"fixed\""))),
            HttpStatusCode.BadRequest, "variants[0].policy");
        await HttpAssert.ProblemNaming(await Client.PostAsync("/v1/experiments", Json(Definition.Replace("\"points\": [\"hero-banner\"], ", ""))),
            HttpStatusCode.BadRequest, "variants[0].recipe");
        await HttpAssert.ProblemNaming(await Client.PutAsync("/v1/decisions/other", Json("""{"actions": [{"id": "a"}], "settings": {"controlAction": "b"}}""")),
            HttpStatusCode.BadRequest, "settings.controlAction");

        Assert.Equal(HttpStatusCode.Created, (await Client.PostAsync("/v1/experiments", Json(Definition))).StatusCode);
        await HttpAssert.Ok(await Client.PostAsync("/v1/experiments/banner-test/start", null));

        var seen = new Dictionary<string, int> { ["control"] = 0, ["learned"] = 0 };
        for (int u = 0; u < 120; u++)
        {
            string user = $"visitor-{u}";
            for (int visit = 0; visit < 2; visit++)
            {
                var rank = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/decisions/hero-banner/rank", new { userId = user, context = new { page = "home" } }));
                Assert.Equal("banner-test", rank.GetProperty("experiment").GetString());
                string variant = rank.GetProperty("variant").GetString()!;
                if (visit == 0) seen[variant]++;
                if (variant == "control")
                {
                    // The control action, for certain.
                    Assert.Equal("usual", rank.GetProperty("chosen").GetString());
                    Assert.Equal(1.0, rank.GetProperty("ranking")[0].GetProperty("probability").GetDouble());
                    Assert.StartsWith("control", rank.GetProperty("policy").GetString());
                }
                // The learned variant earns more in this test's world.
                string reward = variant == "learned" ? "1" : "0";
                Assert.Equal(HttpStatusCode.NoContent, (await Client.PostAsync(
                    $"/v1/decisions/events/{rank.GetProperty("eventId").GetString()}/reward", Json($$"""{"value": {{reward}}}"""))).StatusCode);
            }
        }
        Assert.InRange(seen["control"], 35, 85); // a 50/50 split of 120 people
        Assert.Equal(120, seen["control"] + seen["learned"]);

        var results = await HttpAssert.Ok(await Client.GetAsync("/v1/experiments/banner-test/decisions"));
        var variants = results.GetProperty("points")[0].GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal("hero-banner", results.GetProperty("points")[0].GetProperty("point").GetString());
        Assert.Equal(["control", "learned"], variants.Select(v => v.GetProperty("variant").GetString()));
        Assert.Equal(2 * seen["control"], variants[0].GetProperty("decisions").GetInt64());
        Assert.Equal(2 * seen["learned"], variants[1].GetProperty("decisions").GetInt64());
        Assert.Equal(0, variants[0].GetProperty("meanReward").GetDouble());
        Assert.Equal(1, variants[1].GetProperty("meanReward").GetDouble());
        var difference = variants[1].GetProperty("difference");
        Assert.Equal(1, difference.GetProperty("absolute").GetDouble(), 9);

        // The exposures reach the experiment's event metrics too (the same people's conversions, revenue…).
        var eventResults = await HttpAssert.Ok(await Client.GetAsync("/v1/experiments/banner-test/results"));
        long people = eventResults.GetProperty("phases")[0].GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("people").GetInt64());
        Assert.Equal(120, people);

        // A decision-point experiment leaves recommendation answers alone.
        var answer = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations", new { userId = "visitor-1", scenario = "for-you", count = 3 }));
        Assert.NotEmpty(answer.GetProperty("items").EnumerateArray());
        Assert.False(answer.TryGetProperty("experiment", out var e) && e.ValueKind == JsonValueKind.Object && e.GetProperty("id").GetString() == "banner-test",
            answer.ToString());
    }

    [Fact]
    public async Task TheGlobalHoldoutGetsThePointsControlAction()
    {
        await HttpAssert.Ok(await Client.PutAsync("/v1/holdout", Json("""{"share": 0.5}""")));
        int held = 0;
        for (int u = 0; u < 60; u++)
        {
            var rank = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/decisions/hero-banner/rank", new { userId = $"h-{u}", context = new { page = "home" } }));
            Assert.Equal("holdout", rank.GetProperty("experiment").GetString());
            if (rank.GetProperty("variant").GetString() != "holdout") continue;
            held++;
            Assert.Equal("usual", rank.GetProperty("chosen").GetString());
            Assert.Equal(1.0, rank.GetProperty("ranking")[0].GetProperty("probability").GetDouble());
        }
        Assert.InRange(held, 15, 45);
        var results = await HttpAssert.Ok(await Client.GetAsync("/v1/holdout/decisions"));
        var variants = results.GetProperty("points")[0].GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal("holdout", variants[0].GetProperty("variant").GetString());
        Assert.Equal(held, variants[0].GetProperty("awaiting").GetInt64()); // no rewards sent yet

        // Prices: holdout people see the day's level (the point nearest it), for certain; offers: no offer.
        await HttpAssert.Ok(await Client.PutAsync("/v1/prices/rules/default", Json("""{"listPrice": 50, "floor": 0.8, "levels": 5}""")));
        await HttpAssert.Ok(await Client.PutAsync("/v1/offers/ten-off", Json("""{"kind": "discount", "percentOff": 10}""")));
        int pricedHeld = 0, offeredHeld = 0;
        for (int u = 0; u < 60; u++)
        {
            var price = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/prices/decide", new { itemId = "sku-1", userId = $"h-{u}" }));
            var offer = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/offers/decide", new { userId = $"h-{u}", cart = new { value = 100, margin = 30 } }));
            if (price.GetProperty("variant").GetString() != "holdout") continue;
            pricedHeld++;
            double level = price.GetProperty("level").GetDouble();
            var points = price.GetProperty("points").EnumerateArray().Select(p => p.GetDouble()).ToList();
            Assert.Equal(points.MinBy(p => Math.Abs(p - level)), price.GetProperty("price").GetDouble());
            Assert.Equal(1.0, price.GetProperty("probability").GetDouble());
            Assert.Equal("holdout", offer.GetProperty("variant").GetString());
            Assert.Equal(JsonValueKind.Null, offer.GetProperty("offer").ValueKind);
            offeredHeld++;
        }
        Assert.Equal(held, pricedHeld); // the same people: the holdout is sticky per person
        Assert.Equal(held, offeredHeld);
    }
}
