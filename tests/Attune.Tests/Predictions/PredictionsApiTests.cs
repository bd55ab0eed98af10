using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Predictions;

/// <summary>Customer lifetime value through the real server: fitted on the store's purchases, forecast per person.</summary>
public sealed class PredictionsApiTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task FrequentRecentBuyersAreForecastToBuyMoreThanLapsedOnes()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await HttpAssert.Ok(await client.PostAsync("/v1/items", Json("""[{"id": "sku", "title": "Thing", "price": 20}]""")));
        var now = DateTimeOffset.UtcNow;
        var random = new Random(5);
        var events = new List<object>();
        for (int u = 0; u < 120; u++)
        {
            // Regulars buy every 5–15 days over the last 150 days; lapsed ones bought a few times 150–100 days ago, then stopped.
            bool regular = u % 2 == 0;
            double day = 150 - random.NextDouble() * 10;
            int bought = 0;
            while (day > (regular ? 0.5 : 100) && bought < 30)
            {
                events.Add(new { type = "purchase", userId = $"c{u}", itemId = "sku", value = 15 + random.Next(20), timestamp = now.AddDays(-day).ToString("O") });
                bought++;
                day -= regular ? 5 + random.NextDouble() * 10 : 15 + random.NextDouble() * 20;
            }
        }
        events.Add(new { type = "view", userId = "browser", itemId = "sku", timestamp = now.AddDays(-1).ToString("O") });
        for (int i = 0; i < events.Count; i += 500)
            await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/events", events.Skip(i).Take(500)));

        var fit = await HttpAssert.Ok(await client.PostAsync("/v1/predictions/clv/fit", null));
        Assert.Equal(120, fit.GetProperty("buyers").GetInt32());
        Assert.Equal(["r", "alpha", "a", "b"], fit.GetProperty("purchases").GetProperty("params").EnumerateObject().Select(p => p.Name));
        Assert.Equal(fit.GetProperty("buyers").GetInt32(), (await HttpAssert.Ok(await client.GetAsync("/v1/predictions/clv"))).GetProperty("buyers").GetInt32());
        // How good it is on this shop: fitted on all but the last 30 days, it foresees them better than the buyers' mean does.
        var check = fit.GetProperty("check");
        Assert.Equal(120, check.GetProperty("buyers").GetInt32());
        Assert.True(check.GetProperty("meanAbsoluteError").GetDouble() < check.GetProperty("baselineError").GetDouble(), check.ToString());
        Assert.InRange(check.GetProperty("expected").GetDouble(), 0.5 * check.GetProperty("actual").GetInt32(), 2.0 * check.GetProperty("actual").GetInt32());

        async Task<JsonElement> Clv(string user) => (await HttpAssert.Ok(await client.GetAsync($"/v1/users/{user}/predictions"))).GetProperty("clv");
        double regularPurchases = 0, lapsedPurchases = 0, regularAlive = 0, lapsedAlive = 0;
        for (int u = 0; u < 20; u++)
        {
            var c = await Clv($"c{u}");
            Assert.InRange(c.GetProperty("pAlive").GetDouble(), 0.0, 1.0);
            Assert.True(c.GetProperty("value90d").GetDouble() >= 0);
            if (u % 2 == 0) { regularPurchases += c.GetProperty("purchases90d").GetDouble(); regularAlive += c.GetProperty("pAlive").GetDouble(); }
            else { lapsedPurchases += c.GetProperty("purchases90d").GetDouble(); lapsedAlive += c.GetProperty("pAlive").GetDouble(); }
        }
        Assert.True(regularPurchases > 3 * lapsedPurchases, $"regulars {regularPurchases / 10:0.00}, lapsed {lapsedPurchases / 10:0.00} purchases in 90 days");
        Assert.True(regularAlive > lapsedAlive, $"P(alive): regulars {regularAlive / 10:0.00}, lapsed {lapsedAlive / 10:0.00}");
        // A regular is expected to buy roughly at their pace: 90 days / ~10 days between purchases.
        Assert.InRange(regularPurchases / 10, 3.0, 15.0);

        var browser = await HttpAssert.Ok(await client.GetAsync("/v1/users/browser/predictions"));
        Assert.False(browser.TryGetProperty("clv", out var none) && none.ValueKind != JsonValueKind.Null);
        Assert.Contains("no purchase yet", browser.GetProperty("reason").GetString());
        await HttpAssert.Problem(await client.GetAsync("/v1/users/nobody/predictions"), HttpStatusCode.NotFound);
        await HttpAssert.ProblemNaming(await client.GetAsync("/v1/users/c1/predictions?anonymous=maybe"), HttpStatusCode.BadRequest, "anonymous");

        // A person's export holds what is predicted about them.
        var export = await HttpAssert.Ok(await client.GetAsync("/v1/users/c0/export"));
        // (Forecasts move with the clock: T grows by the milliseconds between two requests.)
        Assert.Equal((await Clv("c0")).GetProperty("pAlive").GetDouble(), export.GetProperty("predictions").GetProperty("pAlive").GetDouble(), 1e-6);

        // The customer value joins a decision's context as numeric profile features (and is logged for replay).
        await HttpAssert.Ok(await client.PutAsync("/v1/decisions/banner", Json("""{"actions": [{"id": "a"}, {"id": "b"}]}""")));
        var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/banner/rank", Json("""{"userId": "c0", "context": {"page": "home"}}""")));
        var store = server.Services.GetRequiredService<Attune.Storage.IAttuneStore>();
        var logged = await store.GetDecisionAsync(rank.GetProperty("eventId").GetString()!);
        using var context = JsonDocument.Parse(logged!.Decision.Context);
        var predictions = context.RootElement.GetProperty("predictions");
        Assert.Equal((await Clv("c0")).GetProperty("pAlive").GetDouble(), predictions.GetProperty("clv.palive").GetDouble(), 1e-6);
        Assert.True(predictions.GetProperty("clv.value90d").GetDouble() > 0);
    }
}
