using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;

namespace Attune.Tests.Experiments;

/// <summary>Experiments and the holdout through the real HTTP server over a small demo shop.</summary>
public sealed class ExperimentsApiTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 300, items: 200, days: 15, seed: 9);
        await StartAsync();
    }

    private async Task StartAsync()
    {
        _server = await TestServer.StartAsync(new Dictionary<string, string?>(), _dir.Path);
        await _server.WaitReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> Create(string json) => await Client.PostAsync("/v1/experiments", Json(json));

    private async Task<JsonElement> Start(string id) => await HttpAssert.Ok(await Client.PostAsync($"/v1/experiments/{id}/start", null));

    private const string PopOnly = """{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""";

    private static string Definition(string id, double controlWeight = 0.5, string extra = "") => $$"""
        {"id": "{{id}}", "name": "Personalization vs popularity", "hypothesis": "Personal lists sell more",
         "variants": [{"key": "control", "recipe": "pop-only", "weight": {{controlWeight.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},
                      {"key": "treatment", "recipe": "default", "weight": {{(1 - controlWeight).ToString(System.Globalization.CultureInfo.InvariantCulture)}}}],
         "scenarios": ["for-you"], "metrics": {"primary": "conversion", "secondary": ["revenue", "aov"], "guardrails": ["latency-p99"]}{{extra}}}
        """;

    private async Task<JsonElement> Recommend(string user, string scenario = "for-you") =>
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations", new { userId = user, scenario, count = 5 }));

    [Fact]
    public async Task ARunningExperimentSplitsPeopleStickilyAndEveryAnswerNamesItsVariant()
    {
        await HttpAssert.Ok(await Client.PutAsync("/v1/recipes/pop-only", Json(PopOnly)));
        var created = await Create(Definition("pers-vs-pop"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var draft = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Draft", draft.GetProperty("status").GetString());

        // A draft changes nothing.
        Assert.False((await Recommend("u00001")).TryGetProperty("experiment", out _));
        var running = await Start("pers-vs-pop");
        Assert.Equal("Running", running.GetProperty("status").GetString());
        Assert.Equal(1, running.GetProperty("phases")[0].GetProperty("number").GetInt32());

        var variants = new Dictionary<string, string>();
        for (int u = 1; u <= 200; u++)
        {
            var answer = await Recommend($"u{u:D5}");
            var experiment = answer.GetProperty("experiment");
            Assert.Equal("pers-vs-pop", experiment.GetProperty("id").GetString());
            string variant = experiment.GetProperty("variant").GetString()!;
            Assert.Equal(variant == "control" ? "pop-only" : "default", answer.GetProperty("recipe").GetString());
            variants[$"u{u:D5}"] = variant;
        }
        int control = variants.Values.Count(v => v == "control");
        Assert.InRange(control, 70, 130); // 50/50 of 200 people
        // Sticky: the same variant on every answer; other scenarios are not in the experiment.
        foreach (var (user, variant) in variants.Take(20)) Assert.Equal(variant, (await Recommend(user)).GetProperty("experiment").GetProperty("variant").GetString());
        Assert.False((await Recommend("u00001", "trending")).TryGetProperty("experiment", out _));

        // Changing the weights starts phase 2 and moves nobody already in.
        var changed = await HttpAssert.Ok(await Client.PutAsync("/v1/experiments/pers-vs-pop", Json(Definition("pers-vs-pop", controlWeight: 0.1))));
        Assert.Equal(2, changed.GetProperty("phases").GetArrayLength());
        Assert.Equal(JsonValueKind.String, changed.GetProperty("phases")[0].GetProperty("endedAt").ValueKind);
        foreach (var (user, variant) in variants.Take(40)) Assert.Equal(variant, (await Recommend(user)).GetProperty("experiment").GetProperty("variant").GetString());
        var newcomers = new List<string>();
        for (int u = 201; u <= 300; u++) newcomers.Add((await Recommend($"u{u:D5}")).GetProperty("experiment").GetProperty("variant").GetString()!);
        Assert.InRange(newcomers.Count(v => v == "control"), 0, 25); // 10 % of 100 newcomers

        // Sticky across a restart too (the store keeps first exposures).
        await Task.Delay(300); // the exposure writer batches for 100 ms
        await _server.DisposeAsync();
        await StartAsync();
        foreach (var (user, variant) in variants.Take(40)) Assert.Equal(variant, (await Recommend(user)).GetProperty("experiment").GetProperty("variant").GetString());

        var stopped = await HttpAssert.Ok(await Client.PostAsync("/v1/experiments/pers-vs-pop/stop", null));
        Assert.Equal("Stopped", stopped.GetProperty("status").GetString());
        Assert.False((await Recommend("u00001")).TryGetProperty("experiment", out _));
        var restart = await Client.PostAsync("/v1/experiments/pers-vs-pop/start", null);
        await HttpAssert.ProblemNaming(restart, HttpStatusCode.BadRequest, "status");
    }

    [Fact]
    public async Task ResultsCountWhatPeopleDidAfterExposureAndShipTheBetterVariant()
    {
        await HttpAssert.Ok(await Client.PutAsync("/v1/recipes/pop-only", Json(PopOnly)));
        // Fixed-horizon Welch test: with 400 people the sequential one (tuned for 5,000) is still too wide to call it.
        Assert.Equal(HttpStatusCode.Created, (await Create(Definition("results", extra: """, "analysis": {"sequential": false}"""))).StatusCode);
        await Start("results");
        var rng = new Random(17);
        var expected = new Dictionary<string, (int People, int Buyers, double Revenue, int Orders)>
        {
            ["control"] = (0, 0, 0, 0), ["treatment"] = (0, 0, 0, 0),
        };
        var events = new List<object>();
        var spent = new Dictionary<string, (string Variant, double Revenue)>();
        for (int u = 1; u <= 400; u++)
        {
            string user = $"r{u:D5}";
            string variant = (await Recommend(user)).GetProperty("experiment").GetProperty("variant").GetString()!;
            var (people, buyers, revenue, orders) = expected[variant];
            people++;
            // Treatment people buy nine times as often (so the larger variant has the 150 buyers results need before they judge
            // anything, ExperimentResults.MinimumSampleSize): one or two orders of one or two items.
            if (rng.NextDouble() < (variant == "treatment" ? 0.9 : 0.1))
            {
                buyers++;
                int personOrders = rng.Next(1, 3);
                for (int o = 0; o < personOrders; o++)
                {
                    orders++;
                    for (int i = 0; i < rng.Next(1, 3); i++)
                    {
                        double value = 10 + rng.Next(0, 90);
                        revenue += value;
                        events.Add(new { type = "purchase", userId = user, itemId = $"i{rng.Next(1, 200):D5}", value, sessionId = $"{user}-o{o}" });
                    }
                }
            }
            // Views do not count towards conversion or revenue.
            events.Add(new { type = "view", userId = user, itemId = "i00001" });
            spent[user] = (variant, revenue - expected[variant].Revenue);
            expected[variant] = (people, buyers, revenue, orders);
        }
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/events", events));

        var results = await HttpAssert.Ok(await Client.GetAsync("/v1/experiments/results/results"));
        var phase = results.GetProperty("phases")[0];
        var metrics = phase.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        // Revenue (and AOV's numerator) are capped at the 99th percentile of buyers' revenue (linear interpolation).
        var buyerRevenue = spent.Values.Where(v => v.Revenue > 0).Select(v => v.Revenue).Order().ToList();
        double rank = 0.99 * (buyerRevenue.Count - 1);
        double cap = buyerRevenue[(int)rank] + (rank - (int)rank) * (buyerRevenue[(int)rank + 1] - buyerRevenue[(int)rank]);
        Assert.Equal(cap, metrics["revenue"].GetProperty("cappedAt").GetDouble(), 6);
        foreach (var (variant, index) in new[] { ("control", 0), ("treatment", 1) })
        {
            var (people, buyers, _, orders) = expected[variant];
            double revenue = spent.Values.Where(v => v.Variant == variant).Sum(v => Math.Min(v.Revenue, cap));
            Assert.Equal(people, phase.GetProperty("variants")[index].GetProperty("people").GetInt64());
            var conversion = metrics["conversion"].GetProperty("variants")[index];
            Assert.Equal(people, conversion.GetProperty("people").GetInt64());
            Assert.Equal((double)buyers / people, conversion.GetProperty("value").GetDouble(), 9);
            Assert.Equal(revenue / people, metrics["revenue"].GetProperty("variants")[index].GetProperty("value").GetDouble(), 6);
            Assert.Equal(revenue / orders, metrics["aov"].GetProperty("variants")[index].GetProperty("value").GetDouble(), 6);
        }
        var treatment = metrics["conversion"].GetProperty("variants")[1].GetProperty("difference");
        // +800 % planted. The relative lift's delta-method interval is wide at an 8 % baseline, but clear of zero.
        Assert.True(treatment.GetProperty("expected").GetDouble() > 1);
        Assert.True(treatment.GetProperty("ci")[0].GetDouble() > 0);
        Assert.True(treatment.GetProperty("adjustedPValue").GetDouble() < 0.05);
        Assert.Equal("ship", phase.GetProperty("verdict").GetProperty("decision").GetString());
        Assert.Equal("treatment", phase.GetProperty("verdict").GetProperty("variant").GetString());
        Assert.False(phase.GetProperty("sampleRatioMismatch").GetBoolean());

        // The same after a restart: rebuilt from the stored exposures and events.
        await Task.Delay(300);
        await _server.DisposeAsync();
        await StartAsync();
        var again = (await HttpAssert.Ok(await Client.GetAsync("/v1/experiments/results/results"))).GetProperty("phases")[0];
        var conversionAgain = again.GetProperty("metrics").EnumerateArray().First(m => m.GetProperty("id").GetString() == "conversion");
        Assert.Equal((double)expected["treatment"].Buyers / expected["treatment"].People,
            conversionAgain.GetProperty("variants")[1].GetProperty("value").GetDouble(), 9);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/v1/experiments/none/results")).StatusCode);
    }

    [Fact]
    public async Task InterleavingMergesBothRecipesAndTheSignTestFindsThePreferredOne()
    {
        await HttpAssert.Ok(await Client.PutAsync("/v1/recipes/pop-only", Json(PopOnly)));
        var created = await Create("""
            {"id": "inter", "method": "interleaving", "variants": [{"key": "pop", "recipe": "pop-only"}, {"key": "pers", "recipe": "default"}],
             "scenarios": ["for-you"], "metrics": {"primary": "conversion"}}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await Start("inter");
        var events = new List<object>();
        for (int u = 1; u <= 120; u++)
        {
            string user = $"i{u:D5}";
            var answer = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations", new { userId = user, scenario = "for-you", count = 10 }));
            Assert.Equal("interleaved", answer.GetProperty("experiment").GetProperty("variant").GetString());
            Assert.Equal("pop-only+default", answer.GetProperty("recipe").GetString());
            var ids = answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            // Each shopper clicks what the personal recipe alone would have put first, when it was shown: a taste for "pers".
            var alone = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations",
                new { userId = user, scenario = "for-you", count = 10, recipe = "default" }));
            var pop = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations",
                new { userId = user, scenario = "for-you", count = 10, recipe = "pop-only" }));
            var popIds = pop.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToHashSet();
            string? pick = alone.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)
                .FirstOrDefault(id => ids.Contains(id) && !popIds.Contains(id));
            if (pick is not null)
                events.Add(new { type = "click", userId = user, itemId = pick, recommendationId = answer.GetProperty("recommendationId").GetString() });
        }
        Assert.True(events.Count >= 40, $"only {events.Count} shoppers could click a personal-only item");
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/events", events));
        var phase = (await HttpAssert.Ok(await Client.GetAsync("/v1/experiments/inter/results"))).GetProperty("phases")[0];
        var inter = phase.GetProperty("interleaving");
        Assert.Equal(120, inter.GetProperty("people").GetInt64());
        Assert.Equal(events.Count, inter.GetProperty("preferB").GetInt64());
        Assert.Equal(0, inter.GetProperty("preferA").GetInt64());
        Assert.True(inter.GetProperty("pValue").GetDouble() < 1e-6);
        Assert.Equal("ship", phase.GetProperty("verdict").GetProperty("decision").GetString());
        Assert.Equal("pers", phase.GetProperty("verdict").GetProperty("variant").GetString());
        await HttpAssert.ProblemNaming(await Create("""
            {"id": "inter3", "method": "interleaving", "variants": [{"key": "a", "recipe": "default"}, {"key": "b", "recipe": "default"},
             {"key": "c", "recipe": "default"}], "metrics": {"primary": "conversion"}}
            """), HttpStatusCode.BadRequest, "variants");
    }

    [Fact]
    public async Task TheLoggedRecommendationNamesRecipeExperimentAndVariant()
    {
        await HttpAssert.Ok(await Client.PutAsync("/v1/recipes/pop-only", Json(PopOnly)));
        Assert.Equal(HttpStatusCode.Created, (await Create(Definition("logged"))).StatusCode);
        await Start("logged");
        var answer = await Recommend("u00042");
        string id = answer.GetProperty("recommendationId").GetString()!;
        JsonElement logged = default;
        for (int i = 0; i < 50; i++)
        {
            var r = await Client.GetAsync($"/v1/recommendations/{id}");
            if (r.IsSuccessStatusCode) { logged = await r.Content.ReadFromJsonAsync<JsonElement>(); break; }
            await Task.Delay(50);
        }
        Assert.Equal("logged", logged.GetProperty("experiment").GetString());
        Assert.Equal(answer.GetProperty("experiment").GetProperty("variant").GetString(), logged.GetProperty("variant").GetString());
        Assert.Equal(answer.GetProperty("recipe").GetString(), logged.GetProperty("recipe").GetString());
    }

    [Fact]
    public async Task TargetingAndARequestThatNamesItsRecipeDecideWhoIsIn()
    {
        await HttpAssert.Ok(await Client.PutAsync("/v1/recipes/pop-only", Json(PopOnly)));
        Assert.Equal(HttpStatusCode.Created, (await Create(Definition("mobile-only", extra: """, "targeting": {"context.device": "mobile"}"""))).StatusCode);
        await Start("mobile-only");
        var desktop = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations",
            new { userId = "u00007", scenario = "for-you", context = new { device = "desktop" } }));
        Assert.False(desktop.TryGetProperty("experiment", out _));
        var mobile = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations",
            new { userId = "u00007", scenario = "for-you", context = new { device = "mobile" } }));
        Assert.Equal("mobile-only", mobile.GetProperty("experiment").GetProperty("id").GetString());
        var named = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations",
            new { userId = "u00007", scenario = "for-you", recipe = "default", context = new { device = "mobile" } }));
        Assert.False(named.TryGetProperty("experiment", out _));
    }

    [Fact]
    public async Task HoldoutPeopleGetTheNonPersonalRecipeAndAreNeverInExperiments()
    {
        await HttpAssert.Ok(await Client.PutAsync("/v1/recipes/pop-only", Json(PopOnly)));
        Assert.Equal(HttpStatusCode.Created, (await Create(Definition("with-holdout"))).StatusCode);
        await Start("with-holdout");
        var holdout = await HttpAssert.Ok(await Client.PutAsync("/v1/holdout", Json("""{"share": 0.2}""")));
        Assert.Equal(0.2, holdout.GetProperty("share").GetDouble());
        int held = 0;
        for (int u = 1; u <= 200; u++)
        {
            var answer = await Recommend($"h{u:D5}");
            var experiment = answer.GetProperty("experiment");
            if (experiment.GetProperty("id").GetString() == "holdout")
            {
                held++;
                Assert.Equal("holdout", experiment.GetProperty("variant").GetString());
                Assert.Equal("non-personal", answer.GetProperty("recipe").GetString());
            }
            else Assert.Equal("with-holdout", experiment.GetProperty("id").GetString());
        }
        Assert.InRange(held, 20, 60); // 20 % of 200
        Assert.Equal(0.2, (await Client.GetFromJsonAsync<JsonElement>("/v1/holdout")).GetProperty("share").GetDouble());
        await HttpAssert.ProblemNaming(await Client.PutAsync("/v1/holdout", Json("""{"share": 2}""")), HttpStatusCode.BadRequest, "share");
    }

    [Theory]
    [InlineData("""{"id": "w", "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.4}], "metrics": {"primary": "conversion"}}""", "variants")]
    [InlineData("""{"id": "c", "coverage": 1.5, "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.5}], "metrics": {"primary": "conversion"}}""", "coverage")]
    [InlineData("""{"id": "r", "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "nope", "weight": 0.5}], "metrics": {"primary": "conversion"}}""", "variants[1].recipe")]
    [InlineData("""{"id": "m", "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.5}], "metrics": {"primary": "happiness"}}""", "metrics.primary")]
    [InlineData("""{"id": "t", "targeting": {"country": {"$bogus": 1}}, "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.5}], "metrics": {"primary": "conversion"}}""", "targeting")]
    [InlineData("""{"id": "s", "scenarios": ["nowhere"], "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.5}], "metrics": {"primary": "conversion"}}""", "scenarios[0]")]
    [InlineData("""{"id": "k", "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "a", "recipe": "default", "weight": 0.5}], "metrics": {"primary": "conversion"}}""", "variants[1].key")]
    [InlineData("""{"id": "one", "variants": [{"key": "a", "recipe": "default", "weight": 1}], "metrics": {"primary": "conversion"}}""", "variants")]
    [InlineData("""{"id": "h", "hashAttribute": "email", "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.5}], "metrics": {"primary": "conversion"}}""", "hashAttribute")]
    [InlineData("""{"id": "x", "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.5}]}""", "metrics")]
    public async Task BadDefinitionsAre400NamingTheField(string json, string field) =>
        await HttpAssert.ProblemNaming(await Create(json), HttpStatusCode.BadRequest, field);

    [Fact]
    public async Task OverlappingNamespaceRangesAreRefusedAndDisjointOnesAccepted()
    {
        const string Variants = """ "variants": [{"key": "a", "recipe": "default", "weight": 0.5}, {"key": "b", "recipe": "default", "weight": 0.5}], "metrics": {"primary": "conversion"} """;
        Assert.Equal(HttpStatusCode.Created, (await Create($$"""{"id": "n1", "namespace": ["home", 0, 0.5], {{Variants}}}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Create($$"""{"id": "n2", "namespace": ["home", 0.5, 1], {{Variants}}}""")).StatusCode);
        await HttpAssert.ProblemNaming(await Create($$"""{"id": "n3", "namespace": ["home", 0.4, 0.6], {{Variants}}}"""), HttpStatusCode.BadRequest, "namespace");
        await HttpAssert.ProblemNaming(await Create($$"""{"id": "n4", "namespace": ["home", 0.6, 0.2], {{Variants}}}"""), HttpStatusCode.BadRequest, "namespace");
        Assert.Equal(HttpStatusCode.Conflict, (await Create($$"""{"id": "n1", {{Variants}}}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.PostAsync("/v1/experiments/nothing/start", null)).StatusCode);
        var list = await Client.GetFromJsonAsync<JsonElement>("/v1/experiments");
        Assert.Equal(2, list.GetArrayLength());
    }

    [Fact]
    public async Task ExperimentsNeedTheAdminScope()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Key"] = "serve-key-0123456789", ["Attune:ApiKeys:0:Scopes:0"] = "serve",
        });
        var client = server.ClientWithKey("serve-key-0123456789");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsync("/v1/holdout", Json("""{"share": 0.1}"""))).StatusCode);
    }
}
