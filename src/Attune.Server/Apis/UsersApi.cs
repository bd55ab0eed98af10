using Attune.Model;
using Attune.Server.Security;
using Attune.Storage;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/users").WithTags("Users");

        api.MapPost("/", UpsertUsers)
            .WithName("UpsertUsers")
            .WithSummary("Create or replace users")
            .WithDescription("One user or an array of up to 10,000. A record without consent keeps the consent given before. " +
                "consent: {personalization, marketing, analytics} (a purpose left out is given); withdrawing every purpose erases " +
                "what is held about the person and keeps only a suppression record, and their events are refused from then on.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Accepts<User[]>("application/json")
            .Produces<BatchResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/{id}", GetUser)
            .WithName("GetUser")
            .WithSummary("Read one user")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<User>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/", ListUsers)
            .WithName("ListUsers")
            .WithSummary("Page through users")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<Page<User>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{id}", DeleteUser)
            .WithName("DeleteUser")
            .WithSummary("Erase a person (a user, or with ?anonymous=true an anonymous id)")
            .WithDescription("Removes the user record, every event of the unified profile, the links of its anonymous ids, its " +
                "recommendation-log rows and experiment exposures, live state and what every loaded model holds of them, before it " +
                "answers; every stored model version is rewritten without them in the background. 202 with the audit record; " +
                "GET /v1/erasures/{erasureId} says when it is complete. New events for the id start a new, empty person.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<Attune.Serving.Engine.ErasureRecord>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/export", Export)
            .WithName("ExportPerson")
            .WithSummary("Everything Attune holds about a person (?anonymous=true: an anonymous id), as one JSON document")
            .WithDescription("The user record, the unified profile with what is derived from it (event counts, channels, devices, " +
                "tastes), every event with its context, the recommendations served to them and their experiment assignments.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<PersonExport>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/v1/erasures/{erasureId}", GetErasure)
            .WithName("GetErasure").WithTags("Users")
            .WithSummary("An erasure's audit record: what was removed, when, by which key, and whether stored models are rewritten yet")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<Attune.Serving.Engine.ErasureRecord>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/profile", GetProfile)
            .WithName("GetProfile")
            .WithSummary("The unified profile of a person")
            .WithDescription("Attributes, consent, event counts per type, first and last seen, channels, devices, recent items, " +
                "top categories and brands with weights, and linked anonymous ids. ?anonymous=true looks the id up as an anonymous id.")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<Profile>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static Task<IResult> UpsertUsers(HttpContext context, AttuneServices s) =>
        BatchWrite.HandleAsync(context, s, s.Reader.ReadUser, async (users, ct) =>
        {
            await s.Store.UpsertUsersAsync(users, ct);
            await s.Serving.CatchUpAsync(ct);
            // Every purpose withdrawn: what is held about them is erased, and a suppression record (id and consent) is kept
            // so their events are refused from now on.
            foreach (var user in users)
            {
                if (user.Consent is not { WithdrawnEntirely: true } consent) continue;
                if (await s.Store.GetProfileAsync(user.Id, false, ct) is { EventCount: 0, AnonymousIds.Count: 0 } && user.Attributes.Count == 0) continue;
                await s.Serving.EraseAsync(user.Id, anonymous: false, Security.ApiKeyMiddleware.KeyName(context), ct);
                await s.Store.UpsertUsersAsync([new User { Id = user.Id, Consent = consent, CreatedAt = s.Time.GetUtcNow() }], ct);
                await s.Serving.CatchUpAsync(ct);
            }
        });

    public static async Task<IResult> GetUser(string id, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        var user = await s.Store.GetUserAsync(id, ct);
        return user is null ? Problems.NotFound("User", id) : TypedResults.Ok(user with { Consent = user.Consent ?? new Consent() });
    }

    public static async Task<IResult> ListUsers(string? cursor, string? limit, AttuneServices s, CancellationToken ct)
    {
        if (Paging.Limit(limit) is not { } n) return Problems.BadField("limit", Paging.LimitProblem);
        try
        {
            var page = await s.Store.ListUsersAsync(cursor, n, ct);
            return TypedResults.Ok(new Page<User>(page.Data.Select(u => u with { Consent = u.Consent ?? new Consent() }).ToList(), page.NextCursor));
        }
        catch (FormatException e)
        {
            return Problems.BadField("cursor", e.Message);
        }
    }

    /// <summary>
    /// Erases a person (<c>?anonymous=true</c>: an anonymous id): gone from the store, live state and loaded models when this
    /// answers; stored model versions are rewritten in the background (<c>GET /v1/erasures/{erasureId}</c> says when).
    /// </summary>
    public static async Task<IResult> DeleteUser(string id, string? anonymous, HttpContext context, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (anonymous is not (null or "true" or "false")) return Problems.BadField("anonymous", "must be true or false");
        bool visitor = anonymous == "true";
        var record = await s.Serving.EraseAsync(id, visitor, Security.ApiKeyMiddleware.KeyName(context), ct);
        if (record is null) return Problems.NotFound(visitor ? "Anonymous visitor" : "User", id);
        return TypedResults.Accepted($"/v1/erasures/{record.Id}", record);
    }

    public static async Task<IResult> Export(string id, string? anonymous, AttuneServices s, Attune.Decisions.Service.DecisionService decisions,
        Hosting.CustomerValueService customerValue, Hosting.PropensityService propensity, Hosting.SegmentService segments, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (anonymous is not (null or "true" or "false")) return Problems.BadField("anonymous", "must be true or false");
        bool visitor = anonymous == "true";
        var profile = await s.Store.GetProfileAsync(id, visitor, ct);
        if (profile is null) return Problems.NotFound(visitor ? "Anonymous visitor" : "User", id);
        // The unified person: an anonymous id linked to a user exports that user.
        bool linked = visitor && profile.UserId != id;
        string owner = linked ? profile.UserId : id;
        bool ownerIsVisitor = visitor && !linked;
        var user = ownerIsVisitor ? null : await s.Store.GetUserAsync(owner, ct);
        var events = new List<ExportedEvent>();
        await foreach (var e in s.Store.ReadProfileEventsAsync(owner, ownerIsVisitor, 0, long.MaxValue, null, ct))
        {
            events.Add(new ExportedEvent(EventTypes.BuiltInNameOf(e.TypeCode) ?? $"custom:{e.TypeCode}", e.ItemId,
                DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs), e.Value,
                e.Extra is null ? null : System.Text.Json.JsonDocument.Parse(e.Extra).RootElement.Clone()));
        }
        var ids = new List<string> { owner };
        foreach (string a in profile.AnonymousIds) if (a != owner) ids.Add(a);
        var records = await s.Store.GetPersonRecordsAsync(ids, ct);
        // Decisions (banners, offers, prices…) logged under the person or one of their anonymous ids, at every point there is.
        var decided = new List<ExportedDecision>();
        foreach (var point in decisions.Points)
        {
            for (int i = 0; i < ids.Count; i++)
            {
                bool anonymousId = i > 0 || ownerIsVisitor;
                await foreach (var d in s.Store.ReadPersonDecisionsAsync(point.Id, ids[i], anonymousId, ct))
                    decided.Add(ExportedDecision.Of(d));
            }
        }
        decided.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        // Derived predictions about them (profiling is personal data too): their customer-value forecast, when they have bought.
        var forecast = await customerValue.ForecastAsync(owner, ownerIsVisitor, ct);
        return TypedResults.Ok(new PersonExport(s.Time.GetUtcNow(), owner, ownerIsVisitor, user, profile, events,
            records.Recommendations.Select(r => new ExportedRecommendation(r.Id, r.PersonId, r.Anonymous, r.Scenario, r.Timestamp, r.ItemIds,
                r.Recipe, r.Experiment, r.Variant, r.ModelVersion)).ToList(),
            records.Exposures.Select(x => new ExportedAssignment(x.ExperimentId, x.Variant, x.Phase, x.PersonId, x.Anonymous,
                DateTimeOffset.FromUnixTimeMilliseconds(x.AtMs))).ToList(), decided)
        {
            Predictions = forecast is { } f && customerValue.Model is { } model
                ? new PredictionsApi.ClvOutput(f.ExpectedPurchases, f.ExpectedValue, f.ProbabilityAlive, f.ExpectedSpendPerPurchase, model.FittedAt)
                : null,
            Propensities = (await PredictionsApi.PropensitiesAsync(propensity, owner, ownerIsVisitor, ct)).Output,
            Segments = segments.SegmentsOf(owner, ownerIsVisitor),
        });
    }

    /// <summary>A person's export: everything held, raw and derived.</summary>
    /// <param name="Id">The person: the user id, or the anonymous id of a visitor not linked to a user.</param>
    /// <param name="Profile">Derived: event counts by type, channels, devices, tastes (top categories and brands), linked ids, consent.</param>
    /// <param name="Recommendations">Every answer served to them that the recommendation log keeps.</param>
    /// <param name="Experiments">Their experiment assignments (first exposure per experiment).</param>
    /// <param name="Decisions">Every decision made for them at a decision point (what was chosen, with which context, its reward).</param>
    public sealed record PersonExport(DateTimeOffset ExportedAt, string Id, bool Anonymous, Attune.Model.User? User, Attune.Model.Profile Profile,
        IReadOnlyList<ExportedEvent> Events, IReadOnlyList<ExportedRecommendation> Recommendations, IReadOnlyList<ExportedAssignment> Experiments,
        IReadOnlyList<ExportedDecision> Decisions)
    {
        /// <summary>Derived: their customer-value forecast (expected purchases and spend over 90 days, P(alive)); null before
        /// a first purchase or a first fit.</summary>
        public PredictionsApi.ClvOutput? Predictions { get; init; }

        /// <summary>Derived: the propensity models' probabilities about them, with the reasons; null before a first training.</summary>
        public PredictionsApi.PropensitiesOutput? Propensities { get; init; }

        /// <summary>Derived: the segments they are in (ids).</summary>
        public IReadOnlyList<string> Segments { get; init; } = [];
    }

    /// <param name="Chosen">The action chosen per slot (<c>""</c> for a single decision).</param>
    /// <param name="Context">The context it was decided in, as logged (profile attributes included).</param>
    /// <param name="Rewards">The reward per slot, with its outcome when one was recorded (an offer's purchase).</param>
    public sealed record ExportedDecision(string EventId, string Point, DateTimeOffset Timestamp, IReadOnlyDictionary<string, string> Chosen,
        System.Text.Json.JsonElement Context, IReadOnlyDictionary<string, double> Rewards, IReadOnlyDictionary<string, string> Outcomes)
    {
        public static ExportedDecision Of(Attune.Storage.LoggedDecision logged)
        {
            var d = logged.Decision;
            var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var slots = System.Text.Json.JsonDocument.Parse(d.Slots))
            using (var actions = System.Text.Json.JsonDocument.Parse(d.ActionSet))
                foreach (var slot in slots.RootElement.EnumerateArray())
                    chosen[slot.GetProperty("id").GetString()!] = actions.RootElement[slot.GetProperty("chosen").GetInt32()].GetProperty("id").GetString()!;
            return new ExportedDecision(d.EventId, d.Point, DateTimeOffset.FromUnixTimeMilliseconds(d.TimestampMs), chosen,
                System.Text.Json.JsonDocument.Parse(d.Context).RootElement.Clone(), logged.Rewards.ToDictionary(r => r.Key, r => r.Value.Value), logged.Details);
        }
    }

    /// <param name="Context">The event's other fields as sent (session, channel, context, recommendationId…).</param>
    public sealed record ExportedEvent(string Type, string? ItemId, DateTimeOffset Timestamp, double? Value, System.Text.Json.JsonElement? Context);

    public sealed record ExportedRecommendation(string Id, string ServedTo, bool Anonymous, string Scenario, DateTimeOffset Timestamp,
        IReadOnlyList<string> Items, string? Recipe, string? Experiment, string? Variant, string? ModelVersion);

    public sealed record ExportedAssignment(string Experiment, string Variant, int Phase, string As, bool Anonymous, DateTimeOffset FirstExposedAt);

    public static async Task<IResult> GetErasure(string erasureId, AttuneServices s, CancellationToken ct) =>
        await s.Serving.GetErasureAsync(erasureId, ct) is { } record ? TypedResults.Ok(record) : Problems.NotFound("Erasure", erasureId);

    public static async Task<IResult> GetProfile(string id, string? anonymous, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (anonymous is not (null or "true" or "false")) return Problems.BadField("anonymous", "must be true or false");
        var profile = await s.Store.GetProfileAsync(id, anonymous == "true", ct);
        return profile is null ? Problems.NotFound("Profile", id) : TypedResults.Ok(profile);
    }
}
