using System.Text.Json;
using Attune.Model;
using Attune.Storage;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

public static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Events").WithMetadata(new RequiredScope(Scope.Ingest, Client: true));

        api.MapPost("/events", IngestEvents)
            .WithName("IngestEvents")
            .WithSummary("Record behavioural events")
            .WithDescription("One event object or an array of up to 10,000. Good events are stored durably even when others in the " +
                "batch are rejected; the answer lists each rejected index with its problems. All rejected: 400. With an " +
                "'Idempotency-Key' header (up to 255 visible ASCII characters, unique per batch), a batch sent again with the same " +
                "key within 24 hours is not stored again: the answer is the same, with 'Idempotency-Replayed: true'; the same key " +
                "with another body: 422.")
            .Accepts<EventInput[]>("application/json")
            .Produces<BatchResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        api.MapPost("/identify", Identify)
            .WithName("Identify")
            .WithSummary("Link an anonymous visitor to a known user")
            .WithDescription("The anonymous history becomes part of the user's profile, and later events of the anonymous id go to the " +
                "user. Idempotent.")
            .Accepts<IdentifyInput>("application/json")
            .Produces<IdentifyResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";

    public static Task<IResult> IngestEvents(HttpContext context, AttuneServices s, UserTokens tokens)
    {
        var client = ClientKeyRules.For(context, tokens);
        string? key = null;
        if (context.Request.Headers.TryGetValue(IdempotencyKeyHeader, out var keys))
        {
            if ((keys.Count != 1 ? "must be given once" : IdempotencyKeyProblem(keys[0])) is { } problem)
                return Task.FromResult(Problems.BadField(IdempotencyKeyHeader, problem));
            key = keys[0];
        }
        return BatchWrite.HandleAsync<Event>(context, s, (json, errors) => Permitted(client, json, Collectable(s, s.Reader.ReadEvent(json, errors), errors), errors),
            async (events, body, ct) =>
            {
                if (key is null) await s.Store.AppendEventsAsync(events, ct);
                else
                {
                    switch (await s.Store.AppendEventsAsync(events, key, body.Sha256(), ct))
                    {
                        case IdempotentAppend.Conflict:
                            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused",
                                $"The {IdempotencyKeyHeader} '{key}' was used within the last 24 hours with another body: nothing of this " +
                                "request was stored. Send a new key with each new batch.");
                        case IdempotentAppend.Replayed:
                            context.Response.Headers[ReplayedHeader] = "true"; // stored before: not again
                            break;
                    }
                }
                await s.Serving.CatchUpAsync(ct);
                return null;
            });
    }

    /// <summary>Why a header value cannot be an idempotency key (null when it can): 1–255 visible ASCII characters.</summary>
    private static string? IdempotencyKeyProblem(string? key)
    {
        if (string.IsNullOrEmpty(key)) return "is empty";
        if (key.Length > Idempotency.MaxKeyLength) return $"is longer than {Idempotency.MaxKeyLength} characters";
        foreach (char c in key) if (c is < '!' or > '~') return "must be visible ASCII characters (no spaces or control characters)";
        return null;
    }

    /// <summary>With a client key, an event for a user id needs that user's token (the record's <c>userToken</c>, else the header's).</summary>
    private static Event? Permitted(ClientKeyRules? client, JsonElement json, Event? e, List<FieldError> errors)
    {
        if (client is null || e?.UserId is not { } userId) return e;
        string? token = json.TryGetProperty(ClientKeyRules.Field, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (client.Check(userId, token) is not { } reason) return e;
        errors.Add(new FieldError(ClientKeyRules.Field, reason));
        return null;
    }

    /// <summary>An event of a person who withdrew every purpose (or, with no user id, where the default withholds them all) is refused.</summary>
    private static Event? Collectable(AttuneServices s, Event? e, List<FieldError> errors)
    {
        if (e is null || !s.Serving.ConsentOf(e.UserId).WithdrawnEntirely) return e;
        errors.Add(new FieldError(e.UserId is null ? "anonymousId" : "userId",
            e.UserId is null ? "this deployment collects nothing from anonymous visitors by default (Serving:DefaultConsent)"
                : "this person withdrew consent for every purpose: their events are not collected"));
        return null;
    }

    public static async Task<IResult> Identify(HttpContext context, AttuneServices s, UserTokens tokens)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var root = body!.Records[0];
            var errors = new Dictionary<string, string[]>();
            string? anonymousId = IdField(root, "anonymousId", errors);
            string? userId = IdField(root, "userId", errors);
            string? token = null;
            foreach (var p in root.EnumerateObject())
            {
                if (p.Name == ClientKeyRules.Field)
                {
                    if (p.Value.ValueKind == JsonValueKind.String) token = p.Value.GetString();
                    else if (p.Value.ValueKind != JsonValueKind.Null) errors[p.Name] = ["must be a string (a user token)"];
                }
                else if (p.Name is not ("anonymousId" or "userId")) errors[p.Name] = ["unknown field; known fields: anonymousId, userId, userToken"];
            }
            if (errors.Count > 0)
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
            if (ClientKeyRules.For(context, tokens)?.Check(userId!, token) is { } refused) return ClientKeyRules.Refusal(refused);
            long moved = await s.Store.IdentifyAsync(anonymousId!, userId!, context.RequestAborted);
            await s.Serving.CatchUpAsync(context.RequestAborted);
            return TypedResults.Ok(new IdentifyResult(anonymousId!, userId!, moved));
        }
    }

    private static string? IdField(JsonElement root, string name, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            errors[name] = ["is required"];
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            errors[name] = ["must be a string"];
            return null;
        }
        string s = v.GetString()!;
        if (RecordReader.CheckId(s) is { } problem)
        {
            errors[name] = [problem];
            return null;
        }
        return s;
    }
}
