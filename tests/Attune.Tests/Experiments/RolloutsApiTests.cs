using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;

namespace Attune.Tests.Experiments;

/// <summary><c>/v1/rollouts</c> through the real HTTP server: the contract, what a running rollout reads, bad input.</summary>
public sealed class RolloutsApiTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 200, items: 120, days: 10, seed: 12);
        _server = await TestServer.StartAsync(new Dictionary<string, string?>(), _dir.Path);
        await _server.WaitReadyAsync();
        await HttpAssert.Ok(await Client.PutAsync("/v1/recipes/pop-only", Json("""{"scenarios": {"for-you": {"sources": {"popularity": 1}}}}""")));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task ARolloutStartsAtItsFirstStepServesItsShareAndRollsBackByHand()
    {
        var created = await Client.PostAsync("/v1/rollouts", Json("""
            {"id": "pop", "name": "Popularity on for-you", "recipe": "pop-only", "scenarios": ["for-you"],
             "steps": [{"percent": 20, "waitMinutes": 30}, 60, 100], "waitMinutes": 15, "guardrails": {"maxErrorRate": 0.02, "metric": "add-to-cart"}}
            """));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/rollouts/pop", created.Headers.Location!.OriginalString);
        var rollout = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("running", rollout.GetProperty("status").GetString());
        Assert.Equal(0.2, rollout.GetProperty("share").GetDouble());
        Assert.Equal([30.0, 15, 15], rollout.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("waitMinutes").GetDouble()));
        Assert.Equal("add-to-cart", rollout.GetProperty("guardrails").GetProperty("metric").GetString());
        Assert.Equal("hold", rollout.GetProperty("now").GetProperty("next").GetString());

        int onNewSide = 0;
        for (int u = 1; u <= 200; u++)
        {
            var answer = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations", new { userId = $"u{u:D5}", count = 3 }));
            var experiment = answer.GetProperty("experiment");
            Assert.Equal("rollout:pop", experiment.GetProperty("id").GetString());
            Assert.Equal(1, experiment.GetProperty("phase").GetInt32()); // the step
            if (experiment.GetProperty("variant").GetString() == "rollout")
            {
                onNewSide++;
                Assert.Equal("pop-only", answer.GetProperty("recipe").GetString());
            }
        }
        Assert.InRange(onNewSide, 20, 65); // 20 % of 200

        var read = await HttpAssert.Ok(await Client.GetAsync("/v1/rollouts/pop"));
        Assert.Equal(onNewSide, read.GetProperty("now").GetProperty("reading").GetProperty("answers").GetInt64());
        Assert.Contains("answers to", read.GetProperty("now").GetProperty("summary").GetString());
        var results = await HttpAssert.Ok(await Client.GetAsync("/v1/rollouts/pop/results"));
        var step = Assert.Single(results.EnumerateArray().ToList());
        Assert.Equal("rollout:pop:1", step.GetProperty("id").GetString());
        Assert.Equal(200, step.GetProperty("phases")[0].GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("people").GetInt64()));

        // One rollout per scenario at a time; ids are never reused.
        var overlapping = await Client.PostAsync("/v1/rollouts", Json("""{"id": "pop2", "recipe": "pop-only"}"""));
        await HttpAssert.ProblemNaming(overlapping, HttpStatusCode.Conflict, "scenarios");
        var again = await Client.PostAsync("/v1/rollouts", Json("""{"id": "pop", "recipe": "pop-only", "scenarios": ["trending"]}"""));
        await HttpAssert.ProblemNaming(again, HttpStatusCode.Conflict, "id");

        var rolledBack = await HttpAssert.Ok(await Client.PostAsync("/v1/rollouts/pop/rollback", Json("""{"reason": "marketing asked"}""")));
        Assert.Equal("rolled-back", rolledBack.GetProperty("status").GetString());
        Assert.Equal("rolled back by hand: marketing asked", rolledBack.GetProperty("reason").GetString());
        Assert.Equal(0, rolledBack.GetProperty("share").GetDouble());
        var after = await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/recommendations", new { userId = "u00001", count = 3 }));
        Assert.False(after.TryGetProperty("experiment", out _));
        await HttpAssert.ProblemNaming(await Client.PostAsync("/v1/rollouts/pop/rollback", null), HttpStatusCode.Conflict, "status");
        Assert.Equal(HttpStatusCode.NotFound, (await Client.PostAsync("/v1/rollouts/nope/rollback", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/v1/rollouts/nope")).StatusCode);
        var list = await HttpAssert.Ok(await Client.GetAsync("/v1/rollouts"));
        Assert.Equal("pop", Assert.Single(list.EnumerateArray().ToList()).GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("""{"recipe": "pop-only"}""", "id")]
    [InlineData("""{"id": "x"}""", "recipe")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "modelVersion": "v1"}""", "recipe")]
    [InlineData("""{"id": "x", "recipe": "no-such-recipe"}""", "recipe")]
    [InlineData("""{"id": "x", "recipe": "default"}""", "recipe")]
    [InlineData("""{"id": "x", "modelVersion": "v99"}""", "modelVersion")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "baseline": "nope"}""", "baseline")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "scenarios": ["nope"]}""", "scenarios[0]")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "steps": [5, 50]}""", "steps")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "steps": [50, 5, 100]}""", "steps[1].percent")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "steps": [0, 100]}""", "steps[0].percent")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "steps": [{"percent": 10, "waitMinutes": -1}, 100]}""", "steps[0].waitMinutes")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "steps": []}""", "steps")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "waitMinutes": "soon"}""", "waitMinutes")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "guardrails": {"maxErrorRate": 2}}""", "guardrails.maxErrorRate")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "guardrails": {"metric": "latency-p99"}}""", "guardrails.metric")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "guardrails": {"minAnswers": 0}}""", "guardrails.minAnswers")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "guardrails": {"speed": 1}}""", "guardrails.speed")]
    [InlineData("""{"id": "x y", "recipe": "pop-only"}""", "id")]
    [InlineData("""{"id": "x", "recipe": "pop-only", "colour": "red"}""", "colour")]
    [InlineData("""[1]""", "body")]
    public async Task BadInputIsA400NamingTheField(string body, string field)
    {
        var response = await Client.PostAsync("/v1/rollouts", Json(body));
        await HttpAssert.ProblemNaming(response, HttpStatusCode.BadRequest, field);
        Assert.Empty((await HttpAssert.Ok(await Client.GetAsync("/v1/rollouts"))).EnumerateArray());
    }
}
