using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Storage;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Decisions;

/// <summary>Offers over HTTP: eligibility, margin floor, stacking, dates, per-person caps and budgets, the outcome's reward.</summary>
public sealed class OffersApiTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> DecideAsync(HttpClient client, string body) =>
        await HttpAssert.Ok(await client.PostAsync("/v1/offers/decide", Json(body)));

    private static Dictionary<string, string> Excluded(JsonElement decision) =>
        decision.GetProperty("excluded").EnumerateArray().ToDictionary(e => e.GetProperty("offer").GetString()!, e => e.GetProperty("reason").GetString()!);

    [Fact]
    public async Task OnlyEligibleOffersCompeteWithNoOfferAndEveryExclusionSaysWhy()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Attune:ProtectedAttributes:0"] = "age" });
        var client = server.Client;
        await HttpAssert.Ok(await client.PutAsync("/v1/offers/ten-off", Json("""{"kind": "discount", "percentOff": 10, "text": "10% off", "marginFloor": 0.15}""")));
        await HttpAssert.Ok(await client.PutAsync("/v1/offers/ship-free", Json("""{"kind": "free-shipping", "eligibility": {"cart.value": {"$gte": 50}}, "stackable": true}""")));
        await HttpAssert.Ok(await client.PutAsync("/v1/offers/gold-gift", Json("""{"kind": "gift", "cost": 3, "eligibility": {"user.tier": "gold"}}""")));
        await HttpAssert.Ok(await client.PutAsync("/v1/offers/old", Json("""{"kind": "discount", "amountOff": 5, "endsAt": "2020-01-01T00:00:00Z"}""")));
        await HttpAssert.Ok(await client.PostAsync("/v1/users", Json("""{"id": "gina", "attributes": {"tier": "gold", "age": "34"}}""")));

        // A 100 cart with a margin of 30: 10 % off keeps 20 % (above the 15 % floor); shipping is free above 50; gina is gold.
        var d = await DecideAsync(client, """{"userId": "gina", "cart": {"value": 100, "margin": 30, "items": 2, "shippingCost": 5}, "context": {"age": 34, "device": "mobile"}}""");
        var ranked = d.GetProperty("ranking").EnumerateArray().Select(r => r.GetProperty("id").GetString()).Order().ToList();
        Assert.Equal(["gold-gift", "no-offer", "ship-free", "ten-off"], ranked);
        Assert.True(Excluded(d).TryGetValue("old", out var oldReason), d.ToString());
        Assert.Equal("ended", oldReason);
        var logged = await server.Services.GetRequiredService<IAttuneStore>().GetDecisionAsync(d.GetProperty("eventId").GetString()!);
        Assert.DoesNotContain("age", logged!.Decision.Context); // a protected attribute is no feature, in the context nor from the profile
        Assert.Contains("\"tier\":\"gold\"", logged.Decision.Context);

        // A thin-margin small cart from an unknown visitor with a non-stackable offer applied: only no-offer is left.
        var thin = await DecideAsync(client, """{"anonymousId": "v1", "cart": {"value": 40, "margin": 6, "appliedOffers": ["welcome"]}}""");
        Assert.Equal("no-offer", Assert.Single(thin.GetProperty("ranking").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, thin.GetProperty("offer").ValueKind);
        var reasons = Excluded(thin);
        Assert.Equal("below the margin floor", reasons["ten-off"]); // (6 - 4) / 40 = 5 % < 15 %
        Assert.Equal("does not stack with the cart's offers", reasons["gold-gift"]);
        Assert.Equal("not eligible", reasons["ship-free"]); // stackable, but the cart is under 50

        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/offers/bad", Json("""{"kind": "discount"}""")), HttpStatusCode.BadRequest, "percentOff");
        await HttpAssert.ProblemNaming(await client.PutAsync("/v1/offers/decide", Json("""{"kind": "gift", "cost": 1}""")), HttpStatusCode.BadRequest, "id");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/offers/decide", Json("""{"cart": {"value": 10, "margin": 20}}""")), HttpStatusCode.BadRequest, "cart.margin");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/offers/decide", Json("""{"userId": "x"}""")), HttpStatusCode.BadRequest, "cart");
    }

    [Fact]
    public async Task RedemptionsCountAgainstThePersonsCapAndTheBudgetAndTheRewardIsTheMarginKept()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await HttpAssert.Ok(await client.PutAsync("/v1/offers/once", Json("""{"kind": "discount", "percentOff": 10, "perPersonCap": 1, "budgetRedemptions": 2}""")));
        const string Cart = """ "cart": {"value": 100, "margin": 30} """;

        // Decide until the learner shows the offer to ann, then she buys with it.
        async Task<JsonElement> ShownTo(string user)
        {
            for (int i = 0; i < 200; i++)
            {
                var d = await DecideAsync(client, $$"""{"userId": "{{user}}", {{Cart}} }""");
                if (d.GetProperty("offer").ValueKind != JsonValueKind.Null) return d;
                await client.PostAsync($"/v1/offers/events/{d.GetProperty("eventId").GetString()}/outcome", Json("""{"purchased": false}"""));
            }
            throw new InvalidOperationException("the offer was never shown");
        }
        var shown = await ShownTo("ann");
        var outcome = await HttpAssert.Ok(await client.PostAsync($"/v1/offers/events/{shown.GetProperty("eventId").GetString()}/outcome",
            Json("""{"purchased": true, "revenue": 100}""")));
        Assert.True(outcome.GetProperty("redeemed").GetBoolean());
        Assert.Equal(10, outcome.GetProperty("cost").GetDouble(), 9);
        Assert.Equal(0.2, outcome.GetProperty("reward").GetDouble(), 9); // (30 - 10) / 100
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/offers/events/{shown.GetProperty("eventId").GetString()}/outcome",
            Json("""{"purchased": true}""")), HttpStatusCode.Conflict, "eventId");

        // Ann has used her one; the offer shows the redemption.
        Assert.Equal("per-person cap reached", Excluded(await DecideAsync(client, $$"""{"userId": "ann", {{Cart}} }"""))["once"]);
        var offer = await HttpAssert.Ok(await client.GetAsync("/v1/offers/once"));
        Assert.Equal(1, offer.GetProperty("redemptions").GetInt64());
        Assert.Equal(10, offer.GetProperty("spend").GetDouble(), 9);

        // Bob redeems the second and last: the budget is spent for everyone.
        var bob = await ShownTo("bob");
        await HttpAssert.Ok(await client.PostAsync($"/v1/offers/events/{bob.GetProperty("eventId").GetString()}/outcome", Json("""{"purchased": true}""")));
        Assert.Equal("redemption budget spent", Excluded(await DecideAsync(client, $$"""{"userId": "cid", {{Cart}} }"""))["once"]);

        // Without an offer a purchase earns its whole margin; the log keeps the outcome.
        var plain = await DecideAsync(client, $$"""{"userId": "dan", {{Cart}} }""");
        var kept = await HttpAssert.Ok(await client.PostAsync($"/v1/offers/events/{plain.GetProperty("eventId").GetString()}/outcome", Json("""{"purchased": true}""")));
        Assert.Equal(0.3, kept.GetProperty("reward").GetDouble(), 9);
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/offers/events/ghost/outcome", Json("""{"purchased": true}""")), HttpStatusCode.NotFound, "eventId");
        await HttpAssert.ProblemNaming(await client.PostAsync($"/v1/offers/events/{plain.GetProperty("eventId").GetString()}/outcome", Json("""{"revenue": 5}""")),
            HttpStatusCode.BadRequest, "purchased");
    }
}
