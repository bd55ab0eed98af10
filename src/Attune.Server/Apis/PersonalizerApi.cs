using System.Text.Json.Serialization;
using Attune.Decisions.Service;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// Azure AI Personalizer's REST paths and JSON shapes, so its former users switch by changing the URL (the key goes in
/// <c>Ocp-Apim-Subscription-Key</c> or <c>Authorization: Bearer</c>). Every call decides at the decision point
/// <see cref="DecisionService.PersonalizerPoint"/> (created with default settings on first use; change them with
/// <c>PUT /v1/decisions/personalizer</c>). Errors come in Personalizer's shape: <c>{"error": {"code", "message", "target"}}</c>.
/// </summary>
public static class PersonalizerApi
{
    public static IEndpointRouteBuilder MapPersonalizerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/personalizer").WithTags("Personalizer compatibility").WithMetadata(new RequiredScope(Scope.Serve));
        foreach (var version in new[] { "v1.0", "v1.1-preview.1" })
        {
            api.MapPost($"/{version}/rank", (HttpContext c, AttuneServices s, DecisionService d) => Rank(c, s, d, multislot: false))
                .WithName($"PersonalizerRank-{version}").WithSummary("Personalizer's Rank: ranking with probabilities, eventId, rewardActionId (201)");
            api.MapPost($"/{version}/events/{{eventId}}/reward", (string eventId, HttpContext c, AttuneServices s, DecisionService d) => Reward(eventId, c, s, d))
                .WithName($"PersonalizerReward-{version}").WithSummary("Personalizer's Reward: {\"value\"} (204)");
            api.MapPost($"/{version}/events/{{eventId}}/activate", (string eventId, DecisionService d, CancellationToken ct) => Activate(eventId, d, ct))
                .WithName($"PersonalizerActivate-{version}").WithSummary("Personalizer's Activate (204)");
        }
        api.MapPost("/v1.1-preview.1/multislot/rank", (HttpContext c, AttuneServices s, DecisionService d) => Rank(c, s, d, multislot: true))
            .WithName("PersonalizerMultiSlotRank").WithSummary("Personalizer's multi-slot Rank: one action per slot, none twice (201)");
        api.MapPost("/v1.1-preview.1/multislot/events/{eventId}/reward", (string eventId, HttpContext c, AttuneServices s, DecisionService d) => Reward(eventId, c, s, d))
            .WithName("PersonalizerMultiSlotReward").WithSummary("Personalizer's multi-slot Reward: {\"reward\": [{\"slotId\", \"value\"}]} (204)");
        api.MapPost("/v1.1-preview.1/multislot/events/{eventId}/activate", (string eventId, DecisionService d, CancellationToken ct) => Activate(eventId, d, ct))
            .WithName("PersonalizerMultiSlotActivate").WithSummary("Personalizer's multi-slot Activate (204)");
        return app;
    }

    private static async Task<IResult> Rank(HttpContext context, AttuneServices s, DecisionService decisions, bool multislot)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return FromProblem(problem, "InvalidRankRequest");
        using (body)
        {
            var errors = new List<FieldError>();
            var input = RankReader.Read(body!.Records[0], DecisionService.PersonalizerPoint, lenient: true, errors);
            if (input is not null && input.Actions is null) errors.Add(new("actions", "Personalizer's rank needs its actions (between 1 and 50)"));
            if (input is not null && multislot && input.Slots is null) errors.Add(new("slots", "the multi-slot rank needs slots"));
            if (input is null || errors.Count > 0) return Error(400, multislot ? "InvalidMultiSlotRankRequest" : "InvalidRankRequest", errors[0].Field, errors[0].Message);
            if (!multislot && input.Slots is not null) return Error(400, "InvalidRankRequest", "slots", "slots belong to /personalizer/v1.1-preview.1/multislot/rank");
            await decisions.EnsureAsync(DecisionService.PersonalizerPoint, context.RequestAborted);
            try
            {
                var result = await decisions.RankAsync(input, context.RequestAborted);
                if (multislot)
                    return TypedResults.Json(new MultiSlotRankResponse(result.Slots.Select(x => new SlotResponse(x.SlotId, x.ChosenId)).ToList(), result.EventId),
                        statusCode: StatusCodes.Status201Created);
                var first = result.Slots[0];
                // Personalizer lists every action, the excluded ones with probability 0.
                return TypedResults.Json(new RankResponse(first.Ranking.Select(r => new RankedActionResponse(r.Id, r.Probability)).ToList(), result.EventId, first.ChosenId),
                    statusCode: StatusCodes.Status201Created);
            }
            catch (DecisionException e)
            {
                // Personalizer answered every refused request with 400 and its code (404 for what does not exist).
                return Error(e.Status == 404 ? 404 : 400, e.Status == 404 ? "ResourceNotFound" : multislot ? "InvalidMultiSlotRankRequest" : "InvalidRankRequest", e.Field, e.Message);
            }
        }
    }

    private static async Task<IResult> Reward(string eventId, HttpContext context, AttuneServices s, DecisionService decisions)
    {
        if (Attune.Decisions.Points.PointReader.CheckId(eventId) is { } bad) return Error(400, "InvalidRewardRequest", "eventId", bad);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return FromProblem(problem, "InvalidRewardRequest");
        using (body)
        {
            var errors = new List<FieldError>();
            var rewards = RankReader.ReadReward(body!.Records[0], lenient: true, errors);
            if (rewards is null) return Error(400, "InvalidRewardRequest", errors[0].Field, errors[0].Message);
            var (_, failure) = await DecisionsApi.RecordAsync(eventId, rewards, s, decisions, context.RequestAborted);
            return failure is { } f ? Error(f.Status == 404 ? 404 : 400, f.Code, f.Field, f.Message) : TypedResults.NoContent();
        }
    }

    private static async Task<IResult> Activate(string eventId, DecisionService decisions, CancellationToken ct)
    {
        if (Attune.Decisions.Points.PointReader.CheckId(eventId) is { } bad) return Error(400, "InvalidEventIdToActivate", "eventId", bad);
        return await decisions.ActivateAsync(eventId, ct)
            ? TypedResults.NoContent()
            : Error(400, "InvalidEventIdToActivate", "eventId", $"no decision with event id '{eventId}' to activate");
    }

    private static IResult FromProblem(IResult problem, string code) =>
        Error((problem as IStatusCodeHttpResult)?.StatusCode ?? 400, code, "body", "the request body is not valid JSON within the size limit");

    private static IResult Error(int status, string code, string target, string message) =>
        TypedResults.Json(new ErrorResponse(new ErrorBody(code, $"{target}: {message}", target)), statusCode: status);

    public sealed record RankedActionResponse(string Id, double Probability);

    public sealed record RankResponse(IReadOnlyList<RankedActionResponse> Ranking, string EventId, string RewardActionId);

    public sealed record SlotResponse(string Id, string RewardActionId);

    public sealed record MultiSlotRankResponse(IReadOnlyList<SlotResponse> Slots, string EventId);

    public sealed record ErrorBody(string Code, string Message, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Target);

    public sealed record ErrorResponse(ErrorBody Error);
}
