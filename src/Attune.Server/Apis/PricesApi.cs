using System.Text.Json;
using Attune.Decisions.Points;
using Attune.Decisions.Prices;
using Attune.Decisions.Service;
using Attune.Server.Security;
using Attune.Storage;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// Personal prices within guardrails (docs/decisions.md, "Prices"): rules per item (or <c>default</c>), a price per person
/// from the day's allowed points, the outcome's revenue reward, and the audit of every price shown.
/// </summary>
public static class PricesApi
{
    public static IEndpointRouteBuilder MapPricesApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/prices").WithTags("Prices").WithMetadata(new RequiredScope(Scope.Admin));
        admin.MapGet("/rules", (PriceDesk prices) => TypedResults.Ok(prices.Rules)).WithName("ListPriceRules");
        admin.MapPut("/rules/{id}", PutRule).WithName("PutPriceRule")
            .WithSummary("An item's price guardrails (or 'default'): {\"listPrice\", \"floor\", \"ceiling\", \"maxDailyChange\", \"maxSpread\", \"levels\"}")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        admin.MapDelete("/rules/{id}", async (string id, PriceDesk prices, CancellationToken ct) =>
            await prices.DeleteRuleAsync(id, ct) ? TypedResults.NoContent() : Problems.NotFound("Price rule", id)).WithName("DeletePriceRule");
        admin.MapGet("/audit", Audit).WithName("PriceAudit")
            .WithSummary("Every price shown for an item: who, when, which price, with what probability, by which policy, and the outcome (?itemId=&from=&to=)");

        var serve = app.MapGroup("/v1/prices").WithTags("Prices").WithMetadata(new RequiredScope(Scope.Serve));
        serve.MapPost("/decide", Decide).WithName("DecidePrice")
            .WithSummary("A person's price for an item: {\"itemId\", \"userId\", \"anonymousId\", \"context\", \"eventId\"}")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        serve.MapPost("/events/{eventId}/outcome", Outcome).WithName("PriceOutcome")
            .WithSummary("Whether the person bought at the price: {\"purchased\"} (the reward is the revenue as a share of the list price)")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<IResult> PutRule(string id, HttpContext context, AttuneServices s, PriceDesk prices)
    {
        if (RecordReader.CheckId(id) is { } badId) return Problems.BadField("id", badId);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var json = body!.Records[0];
            var errors = new List<FieldError>();
            var rule = new PriceRule { Id = id };
            if (json.ValueKind != JsonValueKind.Object) errors.Add(new("body", "must be a JSON object"));
            else foreach (var p in json.EnumerateObject())
            {
                var v = p.Value;
                switch (p.Name)
                {
                    case "listPrice": if (PointReader.Number(v, "listPrice", 0.01, 1e9, errors) is { } l) rule = rule with { ListPrice = l }; break;
                    case "floor": if (PointReader.Number(v, "floor", 0.01, 1, errors) is { } f) rule = rule with { Floor = f }; break;
                    case "ceiling": if (PointReader.Number(v, "ceiling", 0.01, 1, errors) is { } c) rule = rule with { Ceiling = c }; break;
                    case "maxDailyChange": if (PointReader.Number(v, "maxDailyChange", 0, 1, errors) is { } d) rule = rule with { MaxDailyChange = d }; break;
                    case "maxSpread": if (PointReader.Number(v, "maxSpread", 0, 1, errors) is { } sp) rule = rule with { MaxSpread = sp }; break;
                    case "levels":
                        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n is < 2 or > 11) errors.Add(new("levels", "must be a whole number from 2 to 11"));
                        else rule = rule with { Levels = n };
                        break;
                    default: errors.Add(new(p.Name, "unknown field; known fields: listPrice, floor, ceiling, maxDailyChange, maxSpread, levels")); break;
                }
            }
            if (errors.Count == 0 && rule.Ceiling < rule.Floor) errors.Add(new("ceiling", "must not be below floor"));
            if (errors.Count > 0) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            return TypedResults.Ok(await prices.PutRuleAsync(rule, context.RequestAborted));
        }
    }

    public static async Task<IResult> Decide(HttpContext context, AttuneServices s, PriceDesk prices)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var json = body!.Records[0];
            var errors = new List<FieldError>();
            string? itemId = null, userId = null, anonymousId = null, eventId = null;
            JsonElement ctx = default;
            if (json.ValueKind != JsonValueKind.Object) errors.Add(new("body", "must be a JSON object"));
            else foreach (var p in json.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "itemId" or "userId" or "anonymousId":
                        string? id = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        if ((id is null ? "must be a string" : RecordReader.CheckId(id)) is { } bad) errors.Add(new(p.Name, bad));
                        else if (p.Name == "itemId") itemId = id; else if (p.Name == "userId") userId = id; else anonymousId = id;
                        break;
                    case "eventId":
                        eventId = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        if (PointReader.CheckId(eventId) is { } badEvent) errors.Add(new("eventId", badEvent));
                        break;
                    case "context":
                        if (p.Value.ValueKind != JsonValueKind.Object) errors.Add(new("context", "must be an object of features"));
                        else if (Attune.Decisions.Features.Featurizer.Add(p.Value, new Attune.Decisions.Features.FeatureSet(), "context") is { } badContext) errors.Add(badContext);
                        else ctx = p.Value;
                        break;
                    default: errors.Add(new(p.Name, "unknown field; known fields: itemId, userId, anonymousId, context, eventId")); break;
                }
            }
            if (itemId is null && !errors.Any(e => e.Field == "itemId")) errors.Add(new("itemId", "is required"));
            if (errors.Count > 0) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            try { return TypedResults.Ok(await prices.DecideAsync(itemId!, userId, anonymousId, ctx, eventId, context.RequestAborted)); }
            catch (DecisionException e)
            {
                return DecisionsApi.Problem(e);
            }
        }
    }

    public static async Task<IResult> Outcome(string eventId, HttpContext context, AttuneServices s, PriceDesk prices)
    {
        if (PointReader.CheckId(eventId) is { } badId) return Problems.BadField("eventId", badId);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var json = body!.Records[0];
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("purchased", out var purchased) || purchased.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Problems.BadField("purchased", "is required (true or false)");
            foreach (var p in json.EnumerateObject())
                if (p.Name != "purchased") return Problems.BadField(p.Name, "unknown field; known fields: purchased");
            var (reward, result) = await prices.RecordOutcomeAsync(eventId, purchased.GetBoolean(), context.RequestAborted);
            return result switch
            {
                RewardOutcome.Recorded => TypedResults.Ok(new { reward }),
                RewardOutcome.UnknownEvent => Problems.Result(404, "Not found", $"eventId: no price decision with event id '{eventId}'",
                    new Dictionary<string, string[]> { ["eventId"] = [$"no price decision with event id '{eventId}'"] }),
                _ => Problems.Result(409, "Conflict", $"eventId: the outcome was already recorded or the wait is over ({result})",
                    new Dictionary<string, string[]> { ["eventId"] = [$"the outcome was already recorded or the wait is over ({result})"] }),
            };
        }
    }

    public static async Task<IResult> Audit(string? itemId, string? from, string? to, AttuneServices s, PriceDesk prices, CancellationToken ct)
    {
        if (itemId is null || RecordReader.CheckId(itemId) is not null) return Problems.BadField("itemId", "is required: the item whose prices to audit");
        if (DecisionsApi.Window(from, to, s.Time.GetUtcNow(), out long start, out long end) is { } problem) return problem;
        return TypedResults.Ok(await prices.AuditAsync(itemId, start, end, ct));
    }
}
