using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Decisions.Learning;
using Attune.Decisions.Service;
using Attune.Storage;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Decisions;

/// <summary>Decision points over the real HTTP server and store: rank, reward, activation, defaults, learning, restarts, bad input.</summary>
public sealed class DecisionsApiTests
{
    private const string Banner = """
        {"description": "Home page hero banner",
         "actions": [
           {"id": "summer-sale", "features": {"theme": "sale", "discount": 0.2}, "text": "Summer sale: 20% off"},
           {"id": "new-arrivals", "features": {"theme": "new"}},
           {"id": "app-promo", "features": {"theme": "app"}, "eligibility": {"context.device.mobile": true}}],
         "settings": {"rewardWaitSeconds": 600, "defaultReward": 0}}
        """;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> PutBannerAsync(HttpClient client, string body = Banner) =>
        await HttpAssert.Ok(await client.PutAsync("/v1/decisions/hero-banner", Json(body)));

    private static async Task WaitForExamplesAsync(HttpClient client, string point, long examples)
    {
        for (int i = 0; i < 100; i++)
        {
            var p = await HttpAssert.Ok(await client.GetAsync($"/v1/decisions/{point}"));
            if (p.GetProperty("learner").GetProperty("examples").GetInt64() >= examples) return;
            await Task.Delay(20);
        }
        Assert.Fail($"the learner of {point} did not reach {examples} examples within 2 s");
    }

    [Fact]
    public async Task ARankChoosesAnEligibleActionAndARewardIsLearnedWithinASecond()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        var stored = await PutBannerAsync(client);
        Assert.Equal(1, stored.GetProperty("version").GetInt32());
        Assert.Equal("square-cb", stored.GetProperty("settings").GetProperty("exploration").GetProperty("algorithm").GetString());

        // A desktop visitor: the app promotion is not eligible, so it has probability 0 and is never chosen.
        var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank",
            Json("""{"context": {"device": {"mobile": false}, "time": {"part": "evening"}}, "userId": "u1"}""")));
        string eventId = rank.GetProperty("eventId").GetString()!;
        var ranking = rank.GetProperty("ranking").EnumerateArray().ToList();
        Assert.Equal(3, ranking.Count);
        Assert.Equal(rank.GetProperty("chosen").GetString(), ranking[0].GetProperty("id").GetString());
        Assert.Equal(1.0, ranking.Sum(r => r.GetProperty("probability").GetDouble()), 9);
        Assert.Equal(0, ranking.Single(r => r.GetProperty("id").GetString() == "app-promo").GetProperty("probability").GetDouble());
        Assert.NotEqual("app-promo", rank.GetProperty("chosen").GetString());
        Assert.True(rank.GetProperty("activated").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/v1/decisions/events/{eventId}/reward", Json("""{"value": 1}"""))).StatusCode);
        await WaitForExamplesAsync(client, "hero-banner", 1);

        // The log holds the decision with the reward and its probabilities.
        var logged = await server.Services.GetRequiredService<IAttuneStore>().GetDecisionAsync(eventId);
        Assert.NotNull(logged);
        Assert.Equal((1.0, false), logged.Rewards[""]);
        Assert.Equal("u1", logged.Decision.PersonId);

        // A second reward, an unknown event, a value out of range: 4xx naming the field.
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/decisions/events/{eventId}/reward", Json("""{"value": 0}""")), HttpStatusCode.Conflict, "eventId");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/events/ghost/reward", Json("""{"value": 1}""")), HttpStatusCode.NotFound, "eventId");
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/decisions/events/{eventId}/reward", Json("""{"value": 1.5}""")), HttpStatusCode.BadRequest, "value");
    }

    [Fact]
    public async Task AConversionPointLearnsWhichActionConvertsAndScoresItByItsWorth()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/decisions/deal", Json("""{"actions": [{"id": "a", "worth": 1.5}]}""")),
            HttpStatusCode.BadRequest, "actions[0].worth");
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/decisions/deal", Json("""{"settings": {"learning": {"rewardModel": "logit"}}}""")),
            HttpStatusCode.BadRequest, "settings.learning.rewardModel");
        var point = await HttpAssert.Ok(await client.PutAsync("/v1/decisions/deal", Json("""
            {"actions": [{"id": "full", "worth": 1}, {"id": "half", "worth": 0.5}],
             "settings": {"learning": {"rewardModel": "conversion"}, "exploration": {"algorithm": "epsilon-greedy", "epsilon": 0.5}}}
            """)));
        Assert.Equal("conversion", point.GetProperty("settings").GetProperty("learning").GetProperty("rewardModel").GetString());
        Assert.Equal(0.5, point.GetProperty("actions")[1].GetProperty("worth").GetDouble());

        // Nothing learned: each converts with probability ½, so each scores half its worth.
        var first = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/deal/rank", Json("""{"context": {"x": 1}}""")));
        foreach (var r in first.GetProperty("ranking").EnumerateArray())
            Assert.Equal(r.GetProperty("id").GetString() == "full" ? 0.5 : 0.25, r.GetProperty("score").GetDouble(), 6);

        // "half" always converts (its reward is its worth), "full" never does: "half" comes to score above "full".
        int learned = 0;
        for (int i = 0; i < 60; i++)
        {
            var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/deal/rank", Json("""{"context": {"x": 1}}""")));
            string chosen = rank.GetProperty("chosen").GetString()!;
            string value = chosen == "half" ? "0.5" : "0";
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/v1/decisions/events/{rank.GetProperty("eventId").GetString()}/reward",
                Json($$"""{"value": {{value}}}"""))).StatusCode);
            learned++;
        }
        await WaitForExamplesAsync(client, "deal", learned);
        var last = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/deal/rank", Json("""{"context": {"x": 1}}""")));
        var scores = last.GetProperty("ranking").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("score").GetDouble());
        Assert.True(scores["half"] > scores["full"], $"half {scores["half"]}, full {scores["full"]}");
        Assert.InRange(scores["half"], 0.3, 0.5); // worth × P(convert): from ½ × ½ up towards ½ × 1
        Assert.InRange(scores["full"], 0, 0.35); // from 1 × ½ down towards 1 × 0

        // The checkpoint keeps the reward model (a learner with other settings would not be resumed from it).
        var learner = new CbLearner(LearningSettings.Default with { RewardModel = RewardModel.Conversion });
        using var stream = new MemoryStream();
        learner.Save(stream);
        stream.Position = 0;
        Assert.Equal(RewardModel.Conversion, CbLearner.Load(stream).Settings.RewardModel);
    }

    [Fact]
    public async Task APersonsTastesJoinTheContextWhenTheirConsentAllows()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client);
        await HttpAssert.Ok(await client.PostAsync("/v1/items", Json("""
            [{"id": "run-1", "title": "Runner", "categories": ["shoes/running"], "brand": "Swift"},
             {"id": "run-2", "title": "Trail runner", "categories": ["shoes/running"], "brand": "Swift"},
             {"id": "cap-1", "title": "Cap", "categories": ["hats"], "brand": "Topper"}]
            """)));
        await HttpAssert.Ok(await client.PostAsync("/v1/events", Json("""
            [{"type": "view", "userId": "tia", "itemId": "run-1"}, {"type": "purchase", "userId": "tia", "itemId": "run-2", "value": 80},
             {"type": "view", "userId": "tia", "itemId": "cap-1"}, {"type": "view", "anonymousId": "v-9", "itemId": "cap-1"}]
            """)));
        var store = server.Services.GetRequiredService<IAttuneStore>();

        async Task<JsonElement?> TastesOf(string body)
        {
            var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json(body)));
            var logged = await store.GetDecisionAsync(rank.GetProperty("eventId").GetString()!);
            using var context = JsonDocument.Parse(logged!.Decision.Context);
            return context.RootElement.TryGetProperty("tastes", out var t) ? t.Clone() : null;
        }

        var tia = await TastesOf("""{"userId": "tia"}""");
        Assert.NotNull(tia);
        var names = tia!.Value.EnumerateArray().Select(t => (t.GetProperty("kind").GetString(), t.GetProperty("name").GetString())).ToList();
        Assert.Contains(names, n => n.Item1 == "category" && n.Item2!.StartsWith("shoes", StringComparison.Ordinal));
        Assert.Contains(("brand", "Swift"), names);
        Assert.All(tia.Value.EnumerateArray(), t => Assert.InRange(t.GetProperty("weight").GetDouble(), 0.0, 1.0));
        // An anonymous visitor's tastes too.
        var visitor = await TastesOf("""{"anonymousId": "v-9"}""");
        Assert.Contains(visitor!.Value.EnumerateArray(), t => t.GetProperty("name").GetString() == "hats");
        // Without personalization consent, neither the record nor the tastes join.
        await HttpAssert.Ok(await client.PostAsync("/v1/users", Json("""[{"id": "tia", "consent": {"personalization": false}}]""")));
        Assert.Null(await TastesOf("""{"userId": "tia"}"""));
    }

    [Fact]
    public async Task BadRankInputIsRefusedNamingTheField()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/decisions/hero-banner", Json("""{"actions": [{"id": "a"}, {"id": "a"}]}""")),
            HttpStatusCode.BadRequest, "actions[1].id");
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/decisions/events", Json("""{"actions": [{"id": "a"}]}""")), HttpStatusCode.BadRequest, "point");
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/decisions/x", Json("""{"settings": {"exploration": {"algorithm": "greedy"}}}""")),
            HttpStatusCode.BadRequest, "settings.exploration.algorithm");
        await PutBannerAsync(client);

        string[][] cases =
        [
            ["""{"context": {"device": null}}""", "context.device"],
            ["""{"context": {"ok": 1}, "actions": [{"id": "a"}, {"id": "a"}]}""", "actions[1].id"],
            ["""{"context": 5}""", "context"],
            ["""{"actions": [{"id": "a", "features": {"tags": [true, null]}}]}""", "actions[0].features.tags[1]"],
            ["""{"excludedActions": ["summer-sale", "new-arrivals", "app-promo"]}""", "actions"],
            ["""{"surprise": 1}""", "surprise"],
            ["""{"eventId": ""}""", "eventId"],
        ];
        foreach (var c in cases)
            await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero-banner/rank", Json(c[0])), HttpStatusCode.BadRequest, c[1]);

        await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"eventId": "once"}""")));
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"eventId": "once"}""")), HttpStatusCode.Conflict, "eventId");
        await HttpAssert.Problem(await client.PostAsync("/v1/decisions/nowhere/rank", Json("{}")), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeferredDecisionsAwaitActivationAndSilentOnesGetTheDefaultReward()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client, Banner.Replace("\"rewardWaitSeconds\": 600, \"defaultReward\": 0", "\"rewardWaitSeconds\": 1, \"defaultReward\": 0.1"));
        var deferred = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"deferActivation": true}""")));
        string id = deferred.GetProperty("eventId").GetString()!;
        Assert.False(deferred.GetProperty("activated").GetBoolean());
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/decisions/events/{id}/reward", Json("""{"value": 1}""")), HttpStatusCode.Conflict, "eventId");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/v1/decisions/events/{id}/activate", null)).StatusCode);
        await HttpAssert.Problem(await client.PostAsync("/v1/decisions/events/ghost/activate", null), HttpStatusCode.NotFound);

        // Nobody rewards the activated decision: after the wait its default reward is recorded and learned.
        var decisions = server.Services.GetRequiredService<DecisionService>();
        var store = server.Services.GetRequiredService<IAttuneStore>();
        for (int i = 0; i < 60 && (await store.GetDecisionAsync(id))!.Rewards.Count == 0; i++)
        {
            await Task.Delay(100);
            await decisions.SettleDueAsync();
        }
        Assert.Equal((0.1, true), (await store.GetDecisionAsync(id))!.Rewards[""]);
        await WaitForExamplesAsync(client, "hero-banner", 1);
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/decisions/events/{id}/reward", Json("""{"value": 1}""")), HttpStatusCode.Conflict, "eventId");
    }

    [Fact]
    public async Task NamedRewardsCombineByThePointsWeightsAndMultiSlotRanksNeverRepeatAnAction()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client, Banner.Replace("\"defaultReward\": 0", "\"defaultReward\": 0, \"rewardWeights\": {\"click\": 0.3, \"purchase\": 0.7}"));
        var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank",
            Json("""{"context": {"device": {"mobile": true}}, "slots": [{"id": "top"}, {"id": "middle"}, {"id": "bottom", "features": {"size": "small"}}]}""")));
        var chosen = rank.GetProperty("slots").EnumerateArray().Select(s => s.GetProperty("chosen").GetString()).ToList();
        Assert.Equal(3, chosen.Distinct().Count());
        string id = rank.GetProperty("eventId").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/v1/decisions/events/{id}/reward",
            Json("""{"reward": [{"slotId": "top", "value": 1}, {"slotId": "bottom", "value": 0.5}]}"""))).StatusCode);
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/decisions/events/{id}/reward", Json("""{"slot": "nowhere", "value": 1}""")),
            HttpStatusCode.BadRequest, "slot");

        var single = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("{}")));
        string sid = single.GetProperty("eventId").GetString()!;
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/decisions/events/{sid}/reward", Json("""{"rewards": [{"name": "share", "value": 1}]}""")),
            HttpStatusCode.BadRequest, "rewards");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/v1/decisions/events/{sid}/reward",
            Json("""{"rewards": [{"name": "click", "value": 1}, {"name": "purchase", "value": 0.5}]}"""))).StatusCode);
        var logged = await server.Services.GetRequiredService<IAttuneStore>().GetDecisionAsync(sid);
        Assert.Equal(0.3 + 0.35, logged!.Rewards[""].Value, 9);
    }

    [Fact]
    public async Task TheLearnerSurvivesARestartFromItsCheckpointAndTheLogAfterIt()
    {
        using var dir = TestPaths.NewTempDirectory();
        long examples;
        await using (var server = await TestServer.StartAsync(dataDirectory: dir.Path))
        {
            var client = server.Client;
            await PutBannerAsync(client);
            for (int i = 0; i < 5; i++)
            {
                var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"context": {"device": {"mobile": true}}}""")));
                await HttpAssert.Ok(await client.PostAsync($"/v1/decisions/events/{rank.GetProperty("eventId").GetString()}/reward", Json("""{"value": 1}""")));
                if (i == 2) await server.Services.GetRequiredService<DecisionService>().CheckpointAsync(); // the last two come from the log
            }
            await WaitForExamplesAsync(client, "hero-banner", 5);
            examples = 5;
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir.Path, "decisions", "hero-banner"), "v*.cb"));
        await using (var server = await TestServer.StartAsync(dataDirectory: dir.Path))
        {
            var point = await HttpAssert.Ok(await server.Client.GetAsync("/v1/decisions/hero-banner"));
            Assert.Equal(examples, point.GetProperty("learner").GetProperty("examples").GetInt64());
        }
    }

    [Fact]
    public async Task ErasingAUserErasesTheirDecisionsAndOptedOutPeopleAreNotLoggedByName()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client);
        await HttpAssert.Ok(await client.PostAsync("/v1/users", Json("""[{"id": "anna", "attributes": {"tier": "gold"}}, {"id": "ben", "consent": {"analytics": false}}]""")));
        var anna = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"userId": "anna"}""")));
        var ben = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"userId": "ben"}""")));
        var store = server.Services.GetRequiredService<IAttuneStore>();
        var annaDecision = await store.GetDecisionAsync(anna.GetProperty("eventId").GetString()!);
        Assert.Contains("\"tier\":\"gold\"", annaDecision!.Decision.Context); // the profile joined the context
        Assert.Null((await store.GetDecisionAsync(ben.GetProperty("eventId").GetString()!))!.Decision.PersonId);

        // The person's export holds the decision; the erasure removes it.
        var export = await HttpAssert.Ok(await client.GetAsync("/v1/users/anna/export"));
        var exported = Assert.Single(export.GetProperty("decisions").EnumerateArray());
        Assert.Equal("hero-banner", exported.GetProperty("point").GetString());
        Assert.Equal(anna.GetProperty("chosen").GetString(), exported.GetProperty("chosen").GetProperty("").GetString());
        Assert.True((await client.DeleteAsync("/v1/users/anna")).IsSuccessStatusCode);
        Assert.Null(await store.GetDecisionAsync(anna.GetProperty("eventId").GetString()!));
    }

    [Fact]
    public async Task RewardsComeInBatchesWithEachBadRecordNamedAndTheGoodOnesKept()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
            ids.Add((await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("{}")))).GetProperty("eventId").GetString()!);
        var result = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/rewards", Json($$"""
            [{"eventId": "{{ids[0]}}", "value": 1}, {"eventId": "ghost", "value": 1}, {"eventId": "{{ids[1]}}", "value": 7},
             {"eventId": "{{ids[2]}}", "value": 0}, {"value": 1}, {"eventId": "{{ids[0]}}", "value": 0}]
            """)));
        Assert.Equal(2, result.GetProperty("accepted").GetInt32());
        var rejected = result.GetProperty("rejected").EnumerateArray()
            .ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(new Dictionary<int, string?> { [1] = "eventId", [2] = "value", [4] = "eventId", [5] = "eventId" }, rejected);
        await WaitForExamplesAsync(client, "hero-banner", 2);
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/rewards", Json("""[{"eventId": "ghost", "value": 1}]""")), HttpStatusCode.BadRequest, "[0].eventId");
    }

    [Fact]
    public async Task EvaluateComparesTheLoggedPolicyWithCandidatesOnThePointsOwnLog()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client);
        // Mobile visitors click the app promotion, others the sale; nothing else is clicked.
        for (int i = 0; i < 200; i++)
        {
            bool mobile = i % 2 == 0;
            var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("{\"context\": {\"device\": {\"mobile\": " + (mobile ? "true" : "false") + "}}}")));
            string chosen = rank.GetProperty("chosen").GetString()!;
            bool click = chosen == (mobile ? "app-promo" : "summer-sale");
            await HttpAssert.Ok(await client.PostAsync($"/v1/decisions/events/{rank.GetProperty("eventId").GetString()}/reward", Json($$"""{"value": {{(click ? 1 : 0)}}}""")));
        }
        var report = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/evaluate", Json("""{"estimator": "sndr"}""")));
        Assert.Equal(200, report.GetProperty("rounds").GetInt32());
        Assert.Equal("sndr", report.GetProperty("estimator").GetString());
        var logged = report.GetProperty("logged").GetProperty("value").GetDouble();
        var candidates = report.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(["as-configured", "epsilon-greedy-0.05", "epsilon-greedy-0.2", "softmax", "thompson", "current-greedy"],
            candidates.Select(c => c.GetProperty("policy").GetString()));
        foreach (var c in candidates)
        {
            Assert.True(c.GetProperty("lower").GetDouble() <= c.GetProperty("value").GetDouble());
            Assert.Equal(7, c.GetProperty("estimates").EnumerateObject().Count());
        }
        // The learner has learned the rule: acting greedily on it now beats what was logged while it explored.
        var greedy = candidates.Single(c => c.GetProperty("policy").GetString() == "current-greedy");
        Assert.True(greedy.GetProperty("value").GetDouble() > logged, $"greedy {greedy.GetProperty("value").GetDouble()} vs logged {logged}");

        var own = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/evaluate",
            Json("""{"candidates": [{"name": "eg10", "exploration": {"algorithm": "epsilon-greedy", "epsilon": 0.1}}]}""")));
        Assert.Equal("eg10", own.GetProperty("candidates")[0].GetProperty("policy").GetString());
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero-banner/evaluate", Json("""{"estimator": "magic"}""")), HttpStatusCode.BadRequest, "estimator");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero-banner/evaluate", Json("""{"candidates": [{"name": "x", "exploration": {"epsilon": 2}}]}""")),
            HttpStatusCode.BadRequest, "candidates[0].exploration.epsilon");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero-banner/evaluate", Json("""{"from": "2020-01-01T00:00:00Z", "to": "2020-01-02T00:00:00Z"}""")),
            HttpStatusCode.BadRequest, "from");
    }

    [Fact]
    public async Task TheLogExportsAsVowpalWabbitDecisionServiceJson()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client);
        var first = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"context": [{"device": {"mobile": true}}, {"time": "evening"}]}""")));
        await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("""{"context": {"device": {"mobile": false}}}""")));
        string id = first.GetProperty("eventId").GetString()!;
        await client.PostAsync($"/v1/decisions/events/{id}/reward", Json("""{"value": 0.75}"""));

        var response = await client.GetAsync("/v1/decisions/hero-banner/log?format=dsjson");
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        var line = lines.Single(l => l.GetProperty("EventId").GetString() == id);
        Assert.Equal(-0.75, line.GetProperty("_label_cost").GetDouble());
        int chosen = line.GetProperty("_labelIndex").GetInt32();
        Assert.Equal(chosen + 1, line.GetProperty("_label_Action").GetInt32());
        Assert.Equal(chosen + 1, line.GetProperty("a")[0].GetInt32());
        Assert.Equal(line.GetProperty("_label_probability").GetDouble(), line.GetProperty("p")[0].GetDouble());
        Assert.Equal(3, line.GetProperty("c").GetProperty("_multi").GetArrayLength());
        Assert.Equal("evening", line.GetProperty("c").GetProperty("time").GetString());
        Assert.True(line.GetProperty("c").GetProperty("device").GetProperty("mobile").GetBoolean());
        Assert.Equal(0.75, line.GetProperty("o")[0].GetProperty("v").GetDouble());
        Assert.Equal(0, lines.Single(l => l.GetProperty("EventId").GetString() != id).GetProperty("_label_cost").GetDouble());
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/decisions/hero-banner/log?format=csv"), HttpStatusCode.BadRequest, "format");
    }

    [Fact]
    public async Task ALearnerRollsBackToAnEarlierCheckpoint()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await PutBannerAsync(client);
        var decisions = server.Services.GetRequiredService<DecisionService>();
        async Task RewardedAsync(int n)
        {
            for (int i = 0; i < n; i++)
            {
                var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero-banner/rank", Json("{}")));
                await client.PostAsync($"/v1/decisions/events/{rank.GetProperty("eventId").GetString()}/reward", Json("""{"value": 1}"""));
            }
        }
        await RewardedAsync(3);
        await WaitForExamplesAsync(client, "hero-banner", 3);
        await decisions.CheckpointAsync();
        await RewardedAsync(4);
        await WaitForExamplesAsync(client, "hero-banner", 7);

        var versions = await HttpAssert.Ok(await client.GetAsync("/v1/decisions/hero-banner/learner/versions"));
        var v1 = Assert.Single(versions.EnumerateArray());
        Assert.Equal(3, v1.GetProperty("examples").GetInt64());
        var rolled = await HttpAssert.Ok(await client.PostAsync($"/v1/decisions/hero-banner/learner/rollback?version={v1.GetProperty("version").GetInt32()}", null));
        Assert.Equal(3, rolled.GetProperty("learner").GetProperty("examples").GetInt64());
        // The rolled-back state is the newest checkpoint now, and later rewards build on it.
        Assert.Equal(2, (await HttpAssert.Ok(await client.GetAsync("/v1/decisions/hero-banner/learner/versions"))).GetArrayLength());
        await RewardedAsync(1);
        await WaitForExamplesAsync(client, "hero-banner", 4);

        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero-banner/learner/rollback?version=x", null), HttpStatusCode.BadRequest, "version");
        await HttpAssert.Problem(await client.PostAsync("/v1/decisions/hero-banner/learner/rollback?version=99", null), HttpStatusCode.NotFound);
    }
}
