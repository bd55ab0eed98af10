using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Decisions.Prices;
using Attune.Decisions.Service;
using Attune.Storage;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Attune.Tests.Decisions;

/// <summary>Personal prices over HTTP and across days: always inside the guardrails, audited, the level moving at most the daily change.</summary>
public sealed class PricesApiTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task EveryPriceShownIsInsideTheGuardrailsAndAudited()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Attune:ProtectedAttributes:0"] = "gender" });
        var client = server.Client;
        await HttpAssert.Ok(await client.PostAsync("/v1/items", Json("""[{"id": "shoe", "title": "Trail shoe", "price": 120, "categories": ["shoes"]}, {"id": "free", "title": "Sticker"}]""")));
        await HttpAssert.Ok(await client.PutAsync("/v1/prices/rules/default", Json("""{"floor": 0.8, "maxSpread": 0.1, "levels": 5}""")));

        var shown = new Dictionary<string, double>();
        for (int i = 0; i < 30; i++)
        {
            var d = await HttpAssert.Ok(await client.PostAsync("/v1/prices/decide",
                Json("{\"itemId\": \"shoe\", \"userId\": \"u" + i + "\", \"context\": {\"device\": \"" + (i % 2 == 0 ? "mobile" : "desktop") + "\", \"gender\": \"f\"}}")));
            double price = d.GetProperty("price").GetDouble();
            Assert.InRange(price, 96, 120); // floor 0.8 of 120, never above the list price
            Assert.Equal(120, d.GetProperty("listPrice").GetDouble());
            var points = d.GetProperty("points").EnumerateArray().Select(p => p.GetDouble()).ToList();
            Assert.Equal(5, points.Count);
            Assert.Contains(price, points);
            Assert.True(points.Max() - points.Min() <= d.GetProperty("level").GetDouble() * 0.1 + 1e-9);
            shown[d.GetProperty("eventId").GetString()!] = price;
        }
        string first = shown.Keys.First();
        var outcome = await HttpAssert.Ok(await client.PostAsync($"/v1/prices/events/{first}/outcome", Json("""{"purchased": true}""")));
        Assert.Equal(shown[first] / 120, outcome.GetProperty("reward").GetDouble(), 9);
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/prices/events/{first}/outcome", Json("""{"purchased": true}""")), HttpStatusCode.Conflict, "eventId");

        // The audit: who saw which price, with its probability and policy, and the outcome.
        var audit = (await HttpAssert.Ok(await client.GetAsync("/v1/prices/audit?itemId=shoe"))).EnumerateArray().ToList();
        Assert.Equal(30, audit.Count);
        foreach (var a in audit) Assert.Equal(shown[a.GetProperty("eventId").GetString()!], a.GetProperty("price").GetDouble());
        Assert.Contains(audit, a => a.GetProperty("person").GetString() == "u0");
        Assert.Contains("\"purchased\":true", audit.Single(a => a.GetProperty("eventId").GetString() == first).GetProperty("outcome").GetString());
        var logged = await server.Services.GetRequiredService<IAttuneStore>().GetDecisionAsync(first);
        Assert.DoesNotContain("gender", logged!.Decision.Context);

        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/prices/decide", Json("""{"itemId": "free"}""")), HttpStatusCode.BadRequest, "itemId");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/prices/decide", Json("""{"userId": "u1"}""")), HttpStatusCode.BadRequest, "itemId");
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/prices/rules/shoe", Json("""{"floor": 0.9, "ceiling": 0.8}""")), HttpStatusCode.BadRequest, "ceiling");
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/prices/rules/shoe", Json("""{"ceiling": 1.2}""")), HttpStatusCode.BadRequest, "ceiling");
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/prices/rules/shoe", Json("""{"levels": 20}""")), HttpStatusCode.BadRequest, "levels");
    }

    [Fact]
    public async Task TheLevelMovesTowardsTheBestEarningPriceByAtMostTheDailyChange()
    {
        using var dir = TestPaths.NewTempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false }, time);
        await store.UpsertItemsAsync([new Attune.Model.Item { Id = "mug", Title = "Mug", Price = 20 }]);
        await using var decisions = new DecisionService(store, Path.Combine(dir.Path, "decisions"), time, NullLogger.Instance);
        await decisions.StartAsync();
        var prices = new PriceDesk(store, decisions, time);
        await prices.PutRuleAsync(new PriceRule { Id = PriceRule.Default, Floor = 0.5, MaxDailyChange = 0.05, MaxSpread = 0.2 });

        double level = 0;
        for (int day = 0; day < 4; day++)
        {
            for (int i = 0; i < 60; i++)
            {
                var d = await prices.DecideAsync("mug", $"u{i}", null, default, null);
                if (i == 0 && day > 0) Assert.True(Math.Abs(d.Level - level) <= level * 0.05 + 1e-9, $"day {day}: level {d.Level} from {level}");
                level = d.Level;
                Assert.InRange(d.Price, 10, 20);
                // Only the cheapest point of the day sells.
                await prices.RecordOutcomeAsync(d.EventId, purchased: d.Price == d.Points.Min());
            }
            time.Advance(TimeSpan.FromDays(1));
        }
        Assert.True(level < 20 * 0.95, $"after four days of sales only at the bottom the level should have come down (it is {level})");
    }
}
