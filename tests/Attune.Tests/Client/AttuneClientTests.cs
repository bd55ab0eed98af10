using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Client;
using Attune.Model;

namespace Attune.Tests.Client;

/// <summary><see cref="AttuneClient"/> against the real server (Kestrel in-process, a demo shop): each family of calls, the
/// problem+json errors, and the client-side records checked field for field against the server's JSON.</summary>
public sealed class AttuneClientTests(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
{
    private AttuneClient Attune => fixture.Client;

    [Fact]
    public async Task EventsAndIdentifyJoinTheVisitorsHistoryToTheUsersProfile()
    {
        var sent = await Attune.SendEventsAsync([
            new EventInput("view", AnonymousId: "client-visitor-1", ItemId: "i00001", Channel: "web",
                Context: new Dictionary<string, object> { ["device"] = "mobile" }),
            new EventInput("add_to_cart", AnonymousId: "client-visitor-1", ItemId: "i00001"),
            new EventInput("purchse", AnonymousId: "client-visitor-1", ItemId: "i00001"),
        ]);
        Assert.Equal(2, sent.Accepted);
        Assert.Equal(2, Assert.Single(sent.Rejected).Index);

        var linked = await Attune.IdentifyAsync("client-visitor-1", "client-user-1");
        Assert.Equal(2, linked.MovedEvents);
        Assert.Equal(0, (await Attune.IdentifyAsync("client-visitor-1", "client-user-1")).MovedEvents);

        var profile = await Attune.GetProfileAsync("client-user-1");
        Assert.NotNull(profile);
        Assert.Equal(2, profile.EventCount);
        Assert.Contains("client-visitor-1", profile.AnonymousIds);
        Assert.Contains("mobile", profile.Devices);
        Assert.Null(await Attune.GetProfileAsync("nobody-at-all"));
    }

    [Fact]
    public async Task ABatchWithEveryRecordRejectedIsAProblemNamingEachRecordsField()
    {
        var e = await Assert.ThrowsAsync<AttuneApiException>(() => Attune.SendEventsAsync([
            new EventInput("view", AnonymousId: "v"), new EventInput("view", ItemId: "i00001")]));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("Invalid input", e.Title);
        Assert.Contains("[0].itemId", e.Errors.Keys);
        Assert.Equal([0, 1], e.Rejected!.Select(r => r.Index));
        Assert.Contains("POST /v1/events: 400", e.Message);
    }

    [Fact]
    public async Task ItemsAndUsersAreUpsertedReadListedAndDeleted()
    {
        var item = new Item { Id = "client-sku-1", Title = "Trail shoe", Categories = ["shoes/running"], Brand = "Acme", Price = 89.5, Currency = "EUR",
            Properties = new Dictionary<string, object> { ["size"] = "42" } };
        Assert.Equal(1, (await Attune.UpsertItemsAsync([item])).Accepted);
        var read = await Attune.GetItemAsync("client-sku-1");
        Assert.NotNull(read);
        Assert.Equal("Trail shoe", read.Title);
        Assert.Equal(89.5, read.Price);
        Assert.Equal(["shoes/running"], read.Categories);
        Assert.Equal("42", ((JsonElement)read.Properties["size"]).GetString());

        var page = await Attune.ListItemsAsync(limit: 50);
        Assert.Equal(50, page.Data.Count);
        Assert.NotNull(page.NextCursor);
        var next = await Attune.ListItemsAsync(page.NextCursor, 50);
        Assert.DoesNotContain(next.Data[0].Id, page.Data.Select(i => i.Id));

        Assert.True(await Attune.DeleteItemAsync("client-sku-1"));
        Assert.Null(await Attune.GetItemAsync("client-sku-1"));
        Assert.False(await Attune.DeleteItemAsync("client-sku-1"));

        var user = new User { Id = "client-user-2", Attributes = new Dictionary<string, string> { ["country"] = "FR" }, Consent = new Consent { Personalization = false } };
        Assert.Equal(1, (await Attune.UpsertUsersAsync([user])).Accepted);
        var readUser = await Attune.GetUserAsync("client-user-2");
        Assert.Equal("FR", readUser!.Attributes["country"]);
        Assert.False(readUser.Consent!.Personalization);
        Assert.NotEmpty((await Attune.ListUsersAsync(limit: 10)).Data);
        Assert.True(await Attune.DeleteUserAsync("client-user-2"));
        Assert.Null(await Attune.GetUserAsync("client-user-2"));

        var stats = await Attune.GetStatsAsync();
        Assert.True(stats.Items >= 200);
        Assert.True(stats.EventsByType["view"] > 0);
    }

    [Fact]
    public async Task ARecommendationsClickIsAttributedToItThroughItsId()
    {
        var answer = await Attune.RecommendAsync(new RecommendationInput(UserId: "u00001", Count: 5, Fields: ["title", "price"]));
        Assert.Equal("for-you", answer.Scenario);
        Assert.Equal(5, answer.Items.Length);
        Assert.NotNull(answer.ModelVersion);
        Assert.Equal([1, 2, 3, 4, 5], answer.Items.Select(i => i.Position));
        Assert.All(answer.Items, i => Assert.NotEmpty(i.Reasons));
        Assert.All(answer.Items, i => Assert.Equal(JsonValueKind.String, i.Fields!["title"].ValueKind));

        var clicked = answer.Items[1];
        await Attune.SendEventAsync(new EventInput("click", UserId: "u00001", ItemId: clicked.Id, RecommendationId: answer.RecommendationId));
        // The answer log is written in batches (one transaction per 0.1 s): wait for it.
        LoggedRecommendation? logged = null;
        for (int i = 0; i < 100 && logged is null; i++)
        {
            logged = await Attune.GetRecommendationAsync(answer.RecommendationId);
            if (logged is null) await Task.Delay(50);
        }
        Assert.NotNull(logged);
        Assert.Equal("u00001", logged.UserId);
        Assert.Equal(answer.Items.Select(i => i.Id), logged.Items);
        var click = Assert.Single(logged.Events);
        Assert.Equal(("click", clicked.Id, 2), (click.Type, click.ItemId, click.Position));
        Assert.Equal(1, logged.Clicks);
        Assert.Null(await Attune.GetRecommendationAsync("no-such-answer"));

        var similar = await Attune.RecommendAsync(new RecommendationInput(Scenario: "similar", ItemId: "i00010", Count: 3));
        Assert.DoesNotContain("i00010", similar.Items.Select(i => i.Id));
        var rows = await Attune.RecommendAsync(new RecommendationInput(Scenario: "home-rows", UserId: "u00002", Count: 3));
        Assert.NotEmpty(rows.Rows!);

        var ranked = await Attune.RankAsync(new RecommendationInput(UserId: "u00001", Candidates: ["i00003", "i00004", "not-an-item"]));
        Assert.Equal(2, ranked.Items.Length);
        Assert.Equal(["not-an-item"], ranked.Unknown!);

        var scenarios = await Attune.ListScenariosAsync();
        Assert.Contains(scenarios, s => s.Name == "similar" && s.RequiresItem);
    }

    [Fact]
    public async Task ABadRecommendationRequestIsAProblemNamingTheField()
    {
        var e = await Assert.ThrowsAsync<AttuneApiException>(() =>
            Attune.RecommendAsync(new RecommendationInput(UserId: "u00001", Filter: "price <")));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.True(e.Errors.ContainsKey("filter"), string.Join(", ", e.Errors.Keys));
        Assert.False(string.IsNullOrEmpty(e.Detail));
    }

    [Fact]
    public async Task APinRuleIsStoredListedAppliedAndDeleted()
    {
        var rule = await Attune.PutRuleAsync(new Rule("client-pin", "pin", ItemId: "i00007", Position: 1, Description: "from the client"));
        Assert.Equal("pin", rule.Action);
        Assert.Equal(1, rule.Position);
        Assert.Contains(await Attune.ListRulesAsync(), r => r.Id == "client-pin");
        Assert.Equal("from the client", (await Attune.GetRuleAsync("client-pin"))!.Description);

        var answer = await Attune.RecommendAsync(new RecommendationInput(UserId: "u00003", Count: 5));
        Assert.Equal("i00007", answer.Items[0].Id);

        Assert.True(await Attune.DeleteRuleAsync("client-pin"));
        Assert.Null(await Attune.GetRuleAsync("client-pin"));

        // The client's Rule knows every field the server writes for a rule.
        var raw = await fixture.Server.Client.PostAsJsonAsync("/v1/rules", new { id = "client-boost", action = "boost", filter = "price > 10", weight = 0.3, set = "s", scenarios = new[] { "for-you" } });
        var json = await raw.Content.ReadFromJsonAsync<JsonElement>();
        var known = typeof(Rule).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet();
        Assert.All(json.EnumerateObject(), p => Assert.Contains(p.Name, known));
        var viaClient = await Attune.GetRuleAsync("client-boost");
        Assert.Equal(new Rule("client-boost", "boost", "s", viaClient!.Scenarios, "price > 10", 0.3, Queries: viaClient.Queries), viaClient);
        Assert.Empty(viaClient.Queries!);
        Assert.True(await Attune.DeleteRuleAsync("client-boost"));
    }

    [Fact]
    public async Task RecipesAndExperimentsAreCreatedStartedAndReadWithResults()
    {
        var recipe = await Attune.PutRecipeAsync("client-pop", new { scenarios = new Dictionary<string, object> { ["for-you"] = new { sources = new { popularity = 1 } } } });
        Assert.Equal("client-pop", recipe.GetProperty("name").GetString());
        Assert.NotNull(await Attune.GetRecipeAsync("client-pop"));
        Assert.Null(await Attune.GetRecipeAsync("no-such-recipe"));
        Assert.Contains((await Attune.ListRecipesAsync()).EnumerateArray(), r => r.GetProperty("name").GetString() == "client-pop");

        var bad = await Assert.ThrowsAsync<AttuneApiException>(() => Attune.PutRecipeAsync("client-bad",
            new { scenarios = new Dictionary<string, object> { ["for-you"] = new { sources = new { magic = 1 } } } }));
        Assert.Contains("scenarios.for-you.sources.magic", bad.Errors.Keys);

        var created = await Attune.CreateExperimentAsync(new
        {
            id = "client-ab", scenarios = new[] { "for-you" },
            variants = new object[] { new { key = "control", recipe = "client-pop", weight = 0.5 }, new { key = "treatment", recipe = "default", weight = 0.5 } },
            metrics = new { primary = "conversion" },
        });
        Assert.Equal("Draft", created.GetProperty("status").GetString());
        Assert.Equal("Running", (await Attune.StartExperimentAsync("client-ab")).GetProperty("status").GetString());
        var answer = await Attune.RecommendAsync(new RecommendationInput(UserId: "u00010", Count: 3));
        Assert.Equal("client-ab", answer.Experiment!.Id);

        Assert.Contains((await Attune.ListExperimentsAsync()).EnumerateArray(), x => x.GetProperty("id").GetString() == "client-ab");
        Assert.Equal("client-ab", (await Attune.GetExperimentAsync("client-ab"))!.Value.GetProperty("id").GetString());
        Assert.Null(await Attune.GetExperimentAsync("no-such-experiment"));
        var results = await Attune.GetExperimentResultsAsync("client-ab");
        Assert.Equal(JsonValueKind.Object, results.ValueKind);
        Assert.Equal("Stopped", (await Attune.StopExperimentAsync("client-ab")).GetProperty("status").GetString());
        var twice = await Assert.ThrowsAsync<AttuneApiException>(() => Attune.CreateExperimentAsync(new { id = "client-ab" }));
        Assert.True(twice.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadRequest, twice.Message);
    }

    [Fact]
    public async Task AModelIsTrainedActivatedBackAndEveryFieldOfAVersionIsKnown()
    {
        Assert.Equal("ok", (await Attune.GetHealthAsync()).Status);
        Assert.True(await Attune.IsReadyAsync());
        var before = await Attune.ListModelsAsync();
        Assert.NotNull(before.Active);
        var trained = await Attune.TrainAsync(wait: true);
        Assert.NotNull(trained);
        Assert.Equal("api", trained.Reason);
        Assert.True(trained.Events > 0);
        Assert.NotEmpty(trained.Metrics);
        Assert.Equal(trained.Version, (await Attune.ListModelsAsync()).Active);

        var tuned = await Attune.TuneAsync(wait: true);
        Assert.NotNull(tuned);
        Assert.Equal("tuning", tuned.Reason);
        Assert.NotNull(tuned.Tuning);
        Assert.Equal(tuned.Tuning.Parameters, tuned.AlsParameters);
        Assert.True(tuned.Tuning.TunedValue >= tuned.Tuning.DefaultValue);
        Assert.Null(tuned.Tuning.Other);
        Assert.NotNull(tuned.Tunings);
        Assert.Equal(["als", "sequence", "for-you"], tuned.Tunings.Select(t => t.Component)); // the blend's weights last
        Assert.Equal(tuned.Tunings[1].Parameters, tuned.SequenceParameters);
        Assert.Null(tuned.Other); // the client knows every field the server sends

        var back = await Attune.ActivateModelAsync(before.Active!);
        Assert.Equal(before.Active, back.Version);
        var after = await Attune.ListModelsAsync();
        Assert.Equal(before.Active, after.Active);
        Assert.All(after.Versions, v => Assert.Null(v.Other)); // nothing the server writes is unknown to the client's record
        Assert.True(await Attune.DeleteModelAsync(trained.Version));
        Assert.True(await Attune.DeleteModelAsync(tuned.Version));
        var missing = await Assert.ThrowsAsync<AttuneApiException>(() => Attune.ActivateModelAsync("v999"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
