using System.Text.Json;
using Attune.Decisions.Offers;
using Attune.Decisions.Points;
using Attune.Decisions.Service;
using Attune.Server.Security;
using Attune.Storage;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// Offers and promotions (docs/decisions.md, "Offers"): offers with eligibility, caps, budgets, a margin floor, stacking and
/// dates; <c>POST /v1/offers/decide</c> chooses one (or none) with the <c>offer</c> decision point; the outcome after it
/// (purchase or not, revenue, margin) is its margin-aware reward.
/// </summary>
public static class OffersApi
{
    public static IEndpointRouteBuilder MapOffersApi(this IEndpointRouteBuilder app)
    {
        var serve = app.MapGroup("/v1/offers").WithTags("Offers").WithMetadata(new RequiredScope(Scope.Serve));
        serve.MapPost("/decide", Decide).WithName("DecideOffer")
            .WithSummary("Choose an offer, or none, for a person and cart")
            .WithDescription("Body: {\"userId\", \"anonymousId\", \"cart\": {\"value\", \"margin\", \"items\", \"shippingCost\", \"appliedOffers\"}, " +
                "\"context\": {…}, \"eventId\"}. Answer: the offer (null: show none), its probability, the ranking, and why the other offers were left out.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        serve.MapPost("/events/{eventId}/outcome", Outcome).WithName("OfferOutcome")
            .WithSummary("What happened after an offer decision: {\"purchased\", \"revenue\", \"margin\"} (the reward is the margin kept)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var admin = app.MapGroup("/v1/offers").WithTags("Offers").WithMetadata(new RequiredScope(Scope.Admin));
        admin.MapGet("/", (OfferDesk offers) => TypedResults.Ok(offers.Offers.Select(o => Output(offers, o)).ToList()))
            .WithName("ListOffers").WithSummary("Every offer with its redemptions and spend so far");
        admin.MapGet("/{id}", (string id, OfferDesk offers) => offers.TryGet(id, out var o) ? TypedResults.Ok(Output(offers, o)) : Problems.NotFound("Offer", id))
            .WithName("GetOffer");
        admin.MapPut("/{id}", Put).WithName("PutOffer")
            .WithSummary("Create or change an offer (a new version)")
            .WithDescription("Body: {\"kind\": \"discount|free-shipping|bundle|gift\", \"percentOff\" | \"amountOff\" | \"cost\", \"text\", \"features\", " +
                "\"eligibility\" (a condition over user, cart and context), \"perPersonCap\", \"budgetRedemptions\", \"budgetSpend\", \"marginFloor\", " +
                "\"stackingGroup\", \"stackable\", \"startsAt\", \"endsAt\", \"paused\"}")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        admin.MapDelete("/{id}", async (string id, OfferDesk offers, CancellationToken ct) =>
            await offers.DeleteAsync(id, ct) ? TypedResults.NoContent() : Problems.NotFound("Offer", id)).WithName("DeleteOffer");
        return app;
    }

    private static string? CheckId(string id) =>
        id is "decide" or "events" ? $"'{id}' is reserved by the offers API" : PointReader.CheckName(id);

    public static async Task<IResult> Put(string id, HttpContext context, AttuneServices s, OfferDesk offers)
    {
        if (CheckId(id) is { } bad) return Problems.BadField("id", bad);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new List<FieldError>();
            var offer = OfferReader.Read(body!.Records[0], id, errors);
            if (offer is null) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            return TypedResults.Ok(Output(offers, await offers.PutAsync(offer, context.RequestAborted)));
        }
    }

    public static async Task<IResult> Decide(HttpContext context, AttuneServices s, OfferDesk offers)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var json = body!.Records[0];
            var errors = new List<FieldError>();
            string? userId = null, anonymousId = null, eventId = null;
            Cart? cart = null;
            JsonElement ctx = default;
            if (json.ValueKind != JsonValueKind.Object) errors.Add(new("body", "must be a JSON object"));
            else
            {
                foreach (var p in json.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "userId" or "anonymousId":
                            string? id = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                            if ((id is null ? "must be a string" : RecordReader.CheckId(id)) is { } bad) errors.Add(new(p.Name, bad));
                            else if (p.Name == "userId") userId = id; else anonymousId = id;
                            break;
                        case "eventId":
                            eventId = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                            if (PointReader.CheckId(eventId) is { } badEvent) errors.Add(new("eventId", badEvent));
                            break;
                        case "cart":
                            cart = OfferReader.ReadCart(p.Value, errors);
                            break;
                        case "context":
                            if (p.Value.ValueKind != JsonValueKind.Object) errors.Add(new("context", "must be an object of features"));
                            else if (Attune.Decisions.Features.Featurizer.Add(p.Value, new Attune.Decisions.Features.FeatureSet(), "context") is { } badContext) errors.Add(badContext);
                            else ctx = p.Value;
                            break;
                        default:
                            errors.Add(new(p.Name, "unknown field; known fields: userId, anonymousId, cart, context, eventId"));
                            break;
                    }
                }
                if (cart is null && !errors.Any(e => e.Field.StartsWith("cart", StringComparison.Ordinal)))
                    errors.Add(new("cart", "is required: {\"value\", \"margin\", …}"));
            }
            if (errors.Count > 0) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            try
            {
                var d = await offers.DecideAsync(userId, anonymousId, cart!, ctx, eventId, context.RequestAborted);
                return TypedResults.Ok(new DecisionOutput(d.EventId, d.Offer is null ? null : Output(offers, d.Offer), d.Probability,
                    d.Ranking.Select(r => new DecisionsApi.RankedOutput(r.Id, r.Probability, r.Score)).ToList(),
                    d.Excluded.Select(e => new ExclusionOutput(e.Offer, e.Reason)).ToList(), d.Experiment, d.Variant));
            }
            catch (DecisionException e)
            {
                return DecisionsApi.Problem(e);
            }
        }
    }

    public static async Task<IResult> Outcome(string eventId, HttpContext context, AttuneServices s, OfferDesk offers)
    {
        if (PointReader.CheckId(eventId) is { } badId) return Problems.BadField("eventId", badId);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var json = body!.Records[0];
            var errors = new List<FieldError>();
            bool? purchased = null;
            double? revenue = null, margin = null;
            if (json.ValueKind != JsonValueKind.Object) errors.Add(new("body", "must be a JSON object"));
            else foreach (var p in json.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "purchased":
                        if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) purchased = p.Value.GetBoolean();
                        else errors.Add(new("purchased", "must be true or false"));
                        break;
                    case "revenue": revenue = PointReader.Number(p.Value, "revenue", 0, 1e9, errors); break;
                    case "margin": margin = PointReader.Number(p.Value, "margin", -1e9, 1e9, errors); break;
                    default: errors.Add(new(p.Name, "unknown field; known fields: purchased, revenue, margin")); break;
                }
            }
            if (purchased is null && errors.Count == 0) errors.Add(new("purchased", "is required (true or false)"));
            if (errors.Count > 0) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            var (outcome, result) = await offers.RecordOutcomeAsync(eventId, purchased!.Value, revenue, margin, context.RequestAborted);
            return result switch
            {
                RewardOutcome.Recorded => TypedResults.Ok(outcome),
                RewardOutcome.UnknownEvent => Problems.Result(404, "Not found", $"eventId: no offer decision with event id '{eventId}'",
                    new Dictionary<string, string[]> { ["eventId"] = [$"no offer decision with event id '{eventId}'"] }),
                _ => Problems.Result(409, "Conflict", $"eventId: the decision's outcome was already recorded or its wait is over ({result})",
                    new Dictionary<string, string[]> { ["eventId"] = [$"the outcome was already recorded or the wait is over ({result})"] }),
            };
        }
    }

    private static OfferOutput Output(OfferDesk offers, Offer o)
    {
        var (redemptions, spend) = offers.Spent(o.Id);
        return new OfferOutput(o, redemptions, spend);
    }

    public sealed record OfferOutput(Offer Offer, long Redemptions, double Spend);

    public sealed record ExclusionOutput(string Offer, string Reason);

    /// <param name="Offer">The offer to show; null: show none.</param>
    public sealed record DecisionOutput(string EventId,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] OfferOutput? Offer, double Probability, IReadOnlyList<DecisionsApi.RankedOutput> Ranking,
        IReadOnlyList<ExclusionOutput> Excluded, string? Experiment = null, string? Variant = null);
}
