using Attune.Api;
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
/// Decisions: points where Attune chooses among a few actions (a banner, an offer, a subject line) by a contextual bandit.
/// <c>PUT /v1/decisions/{point}</c> stores a point; <c>POST /v1/decisions/{point}/rank</c> chooses; rewards and activation
/// name the decision's event id. Personalizer's own paths are in <see cref="PersonalizerApi"/>.
/// </summary>
public static class DecisionsApi
{
    public static IEndpointRouteBuilder MapDecisionsApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/decisions").WithTags("Decisions").WithMetadata(new RequiredScope(Scope.Admin));
        admin.MapGet("/", List).WithName("ListDecisionPoints").WithSummary("Every decision point with its learner's state");
        admin.MapGet("/{point}", Get).WithName("GetDecisionPoint").WithSummary("A decision point: actions, settings, learner")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPut("/{point}", Put).WithName("PutDecisionPoint")
            .WithSummary("Create or change a decision point (a new version; the learner carries on unless its learning settings change)")
            .WithDescription("Body: {\"description\", \"actions\": [{\"id\", \"features\", \"text\", \"imageUrl\", \"eligibility\", \"status\"}], " +
                "\"settings\": {\"exploration\": {\"algorithm\": \"squarecb|epsilon-greedy|softmax|thompson\", …}, \"learning\": {…}, " +
                "\"rewardWaitSeconds\", \"defaultReward\", \"rewardWeights\"}}")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        admin.MapPost("/{point}/evaluate", Evaluate).WithName("EvaluateDecisionPoint")
            .WithSummary("Off-policy evaluation on the point's own log: the logged policy's value and each candidate's, with intervals and support")
            .WithDescription("Body (all optional): {\"from\", \"to\" (ISO times; default: the last 30 days), \"estimator\" (dr; ipw, snipw, dm, sndr, " +
                "switch-dr, dr-os), \"lambda\" (100), \"candidates\": [{\"name\", \"exploration\", \"learning\", \"learn\"}]}. Default candidates: the " +
                "point's settings replayed, ε-greedy 5 % and 20 %, softmax, Thompson sampling, the current learner without exploration.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/{point}/log", Log).WithName("ExportDecisionLog")
            .WithSummary("The point's decisions as Vowpal Wabbit decision-service JSON (dsjson), one line each (?from=&to=, ISO times; default the last 30 days)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/{point}/variants", Variants).WithName("DraftDecisionVariants")
            .WithSummary("Draft new actions: from the configured chat model (Attune:Variants), else from templates with slots; drafts are served once approved")
            .WithDescription("Body: {\"count\" (1-10, default 3), \"brief\", \"slots\": {\"product\": \"Trail shoe\", \"discount\": \"20%\"}, " +
                "\"templates\": [\"{product}: {discount} off\"] (templates given: no model call)}")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status502BadGateway);
        admin.MapPost("/{point}/actions/{actionId}/approve", (string point, string actionId, DecisionService d, CancellationToken ct) => SetStatus(point, actionId, ActionStatus.Approved, d, ct))
            .WithName("ApproveDecisionAction").WithSummary("Approve a drafted action: the bandit explores it from the next rank");
        admin.MapPost("/{point}/actions/{actionId}/retire", (string point, string actionId, DecisionService d, CancellationToken ct) => SetStatus(point, actionId, ActionStatus.Retired, d, ct))
            .WithName("RetireDecisionAction").WithSummary("Retire an action: no longer chosen (its log stays)");
        admin.MapGet("/{point}/learner/versions", (string point, DecisionService d) =>
                d.TryGet(point, out _) ? TypedResults.Ok(d.Checkpoints(point)) : Problems.NotFound("Decision point", point))
            .WithName("ListDecisionLearnerVersions").WithSummary("The point's learner checkpoints, newest first (the newest five are kept)");
        admin.MapPost("/{point}/learner/rollback", RollbackLearner).WithName("RollbackDecisionLearner")
            .WithSummary("Put an earlier learner checkpoint back in service (?version=N): what was learned since is forgotten")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/{point}", Delete).WithName("DeleteDecisionPoint").WithSummary("Delete a decision point (its logged decisions stay)");

        var serve = app.MapGroup("/v1/decisions").WithTags("Decisions").WithMetadata(new RequiredScope(Scope.Serve));
        serve.MapPost("/{point}/rank", Rank).WithName("RankDecision")
            .WithSummary("Choose an action for a context: the chosen one, the ranking with probabilities, and the eventId to reward")
            .WithDescription("Body: {\"context\": {…} or [{…}], \"userId\", \"anonymousId\", \"actions\" (default: the point's), " +
                "\"excludedActions\", \"eventId\", \"deferActivation\", \"slots\": [{\"id\", \"features\", \"excludedActions\", \"baselineAction\"}]}")
            .Produces<RankOutput>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        serve.MapPost("/events/{eventId}/reward", Reward).WithName("RewardDecision")
            .WithSummary("The reward of a decision, in [0, 1]: {\"value\"}, {\"rewards\": [{\"name\", \"value\"}]} or {\"reward\": [{\"slotId\", \"value\"}]}")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        serve.MapPost("/rewards", RewardBatch).WithName("RewardDecisions")
            .WithSummary("Many rewards at once: [{\"eventId\", \"value\" | \"rewards\" | \"reward\", \"slot\"}] → accepted and rejected by index")
            .Produces<BatchResult>().ProducesProblem(StatusCodes.Status400BadRequest);
        serve.MapPost("/events/{eventId}/activate", Activate).WithName("ActivateDecision")
            .WithSummary("A decision ranked with deferActivation was shown: its reward wait starts now")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static IResult List(DecisionService decisions) =>
        TypedResults.Ok(decisions.Points.Select(p => Output(decisions, p)).ToList());

    public static IResult Get(string point, DecisionService decisions) =>
        decisions.TryGet(point, out var p) ? TypedResults.Ok(Output(decisions, p)) : Problems.NotFound("Decision point", point);

    public static async Task<IResult> Put(string point, HttpContext context, AttuneServices s, DecisionService decisions)
    {
        if (PointReader.CheckName(point) is { } bad) return Problems.BadField("point", bad);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new List<FieldError>();
            var read = PointReader.Read(body!.Records[0], point, errors);
            if (read is null) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            return TypedResults.Ok(Output(decisions, await decisions.PutAsync(read, context.RequestAborted)));
        }
    }

    public static async Task<IResult> Evaluate(string point, HttpContext context, AttuneServices s, DecisionService decisions)
    {
        if (!decisions.TryGet(point, out var p)) return Problems.NotFound("Decision point", point);
        var errors = new List<FieldError>();
        var now = s.Time.GetUtcNow();
        DateTimeOffset from = now.AddDays(-30), to = now.AddMinutes(1);
        string estimator = "dr";
        double lambda = 100;
        List<Attune.Decisions.Evaluation.CandidatePolicy>? candidates = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
            if (problem is not null) return problem;
            using (body)
            {
                var json = body!.Records[0];
                if (json.ValueKind != System.Text.Json.JsonValueKind.Object) errors.Add(new("body", "must be a JSON object"));
                else foreach (var f in json.EnumerateObject())
                {
                    switch (f.Name)
                    {
                        case "from" or "to":
                            if (f.Value.ValueKind != System.Text.Json.JsonValueKind.String || !DateTimeOffset.TryParse(f.Value.GetString(),
                                System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
                                errors.Add(new(f.Name, "must be an ISO 8601 time"));
                            else if (f.Name == "from") from = t; else to = t;
                            break;
                        case "estimator":
                            estimator = f.Value.ValueKind == System.Text.Json.JsonValueKind.String ? f.Value.GetString()! : "";
                            if (!Attune.Evaluation.OffPolicy.OffPolicyEstimators.Names.Contains(estimator))
                                errors.Add(new("estimator", $"must be one of {string.Join(", ", Attune.Evaluation.OffPolicy.OffPolicyEstimators.Names)}"));
                            break;
                        case "lambda":
                            if (PointReader.Number(f.Value, "lambda", 0, 1e9, errors) is { } l) lambda = l;
                            break;
                        case "candidates":
                            candidates = DecisionService.ReadCandidates(f.Value, p.Settings, errors);
                            break;
                        default:
                            errors.Add(new(f.Name, "unknown field; known fields: from, to, estimator, lambda, candidates"));
                            break;
                    }
                }
            }
        }
        if (errors.Count == 0 && from >= to) errors.Add(new("to", "must be after from"));
        if (errors.Count > 0) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
        try
        {
            return TypedResults.Ok(await decisions.EvaluateAsync(point, from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds(), candidates, estimator, lambda,
                context.RequestAborted));
        }
        catch (DecisionException e)
        {
            return DecisionsApi.Problem(e);
        }
    }

    public static async Task Log(string point, string? from, string? to, string? format, HttpContext context, AttuneServices s, DecisionService decisions)
    {
        long start = 0, end = 0;
        IResult? problem = !decisions.TryGet(point, out _) ? Problems.NotFound("Decision point", point)
            : format is not null and not "dsjson" ? Problems.BadField("format", "must be dsjson (the only export format)")
            : Window(from, to, s.Time.GetUtcNow(), out start, out end);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context);
            return;
        }
        context.Response.ContentType = "application/x-ndjson";
        var writer = new StreamWriter(context.Response.Body, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        await foreach (var line in decisions.ExportDsJsonAsync(point, start, end, context.RequestAborted))
            await writer.WriteLineAsync(line);
        await writer.FlushAsync(context.RequestAborted);
    }

    public static async Task<IResult> Variants(string point, HttpContext context, AttuneServices s, DecisionService decisions,
        Attune.Decisions.Variants.VariantGenerator generator)
    {
        if (!decisions.TryGet(point, out var p)) return Problems.NotFound("Decision point", point);
        var errors = new List<FieldError>();
        int count = 3;
        string? brief = null;
        var slots = new Dictionary<string, string>(StringComparer.Ordinal);
        List<string>? templates = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
            if (problem is not null) return problem;
            using (body)
            {
                var json = body!.Records[0];
                if (json.ValueKind != System.Text.Json.JsonValueKind.Object) errors.Add(new("body", "must be a JSON object"));
                else foreach (var f in json.EnumerateObject())
                {
                    var v = f.Value;
                    switch (f.Name)
                    {
                        case "count":
                            if (v.ValueKind != System.Text.Json.JsonValueKind.Number || !v.TryGetInt32(out count) || count is < 1 or > Attune.Decisions.Variants.VariantGenerator.MaxCount)
                                errors.Add(new("count", $"must be a whole number from 1 to {Attune.Decisions.Variants.VariantGenerator.MaxCount}"));
                            break;
                        case "brief":
                            if (v.ValueKind != System.Text.Json.JsonValueKind.String || v.GetString()!.Length > 2000) errors.Add(new("brief", "must be a string of at most 2,000 characters"));
                            else brief = v.GetString();
                            break;
                        case "slots":
                            if (v.ValueKind != System.Text.Json.JsonValueKind.Object) { errors.Add(new("slots", "must be an object: slot name → text")); break; }
                            foreach (var slot in v.EnumerateObject())
                            {
                                if (slot.Value.ValueKind != System.Text.Json.JsonValueKind.String || slot.Value.GetString()!.Length > 200)
                                    errors.Add(new($"slots.{slot.Name}", "must be a string of at most 200 characters"));
                                else slots[slot.Name] = slot.Value.GetString()!;
                            }
                            break;
                        case "templates":
                            if (v.ValueKind != System.Text.Json.JsonValueKind.Array || v.GetArrayLength() is 0 or > 50) { errors.Add(new("templates", "must be an array of 1 to 50 templates")); break; }
                            templates = [];
                            int i = 0;
                            foreach (var t in v.EnumerateArray())
                            {
                                if (t.ValueKind != System.Text.Json.JsonValueKind.String || t.GetString()!.Length is 0 or > Attune.Decisions.Variants.VariantGenerator.MaxLength)
                                    errors.Add(new($"templates[{i}]", $"must be a string of 1 to {Attune.Decisions.Variants.VariantGenerator.MaxLength} characters"));
                                else templates.Add(t.GetString()!);
                                i++;
                            }
                            break;
                        default:
                            errors.Add(new(f.Name, "unknown field; known fields: count, brief, slots, templates"));
                            break;
                    }
                }
            }
        }
        if (errors.Count > 0) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
        try
        {
            var drafts = await generator.DraftAsync(p, new Attune.Decisions.Variants.VariantRequest(count, brief, slots, templates), context.RequestAborted);
            if (drafts.Texts.Count == 0 && drafts.Duplicates == 0)
                return Problems.BadField("slots", "no template could be filled: give the slots the templates name (product, category, discount…) or templates of your own");
            var added = await decisions.AddDraftsAsync(point, drafts.Texts, drafts.Source, context.RequestAborted);
            return TypedResults.Ok(new VariantsOutput(drafts.Source, added));
        }
        catch (Attune.Decisions.Variants.VariantModelException e)
        {
            return Problems.Result(StatusCodes.Status502BadGateway, "Variant model failed", e.Message,
                new Dictionary<string, string[]> { ["Attune:Variants"] = [e.Message] });
        }
        catch (DecisionException e)
        {
            return DecisionsApi.Problem(e);
        }
    }

    public static async Task<IResult> SetStatus(string point, string actionId, ActionStatus status, DecisionService decisions, CancellationToken ct)
    {
        try { return TypedResults.Ok(Output(decisions, await decisions.SetStatusAsync(point, actionId, status, ct))); }
        catch (DecisionException e) { return Problems.NotFound(e.Field == "point" ? "Decision point" : "Action", e.Field == "point" ? point : actionId); }
    }

    /// <param name="Source">Where the drafts came from: <c>model:NAME</c> or <c>templates</c>.</param>
    public sealed record VariantsOutput(string Source, IReadOnlyList<DecisionAction> Drafts);

    public static async Task<IResult> RollbackLearner(string point, string? version, DecisionService decisions, CancellationToken ct)
    {
        if (!decisions.TryGet(point, out var p)) return Problems.NotFound("Decision point", point);
        if (!int.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) || v < 1)
            return Problems.BadField("version", "must be a checkpoint version, a whole number from 1 (GET .../learner/versions lists them)");
        return await decisions.RollbackAsync(point, v, ct)
            ? TypedResults.Ok(Output(decisions, p))
            : Problems.NotFound("Learner checkpoint", $"{point}@v{v}");
    }

    public static async Task<IResult> Delete(string point, DecisionService decisions, CancellationToken ct) =>
        await decisions.DeleteAsync(point, ct) ? TypedResults.NoContent() : Problems.NotFound("Decision point", point);

    public static async Task<IResult> Rank(string point, HttpContext context, AttuneServices s, DecisionService decisions)
    {
        if (!decisions.TryGet(point, out _)) return Problems.NotFound("Decision point", point);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new List<FieldError>();
            var input = RankReader.Read(body!.Records[0], point, lenient: false, errors);
            if (input is null) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            try
            {
                var result = await decisions.RankAsync(input, context.RequestAborted);
                return new RankAnswer(result, slots: input.Slots is not null);
            }
            catch (DecisionException e)
            {
                return DecisionsApi.Problem(e);
            }
        }
    }

    public static async Task<IResult> Reward(string eventId, HttpContext context, AttuneServices s, DecisionService decisions)
    {
        if (PointReader.CheckId(eventId) is { } bad) return Problems.BadField("eventId", bad);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new List<FieldError>();
            var rewards = RankReader.ReadReward(body!.Records[0], lenient: false, errors);
            if (rewards is null) return Problems.Validation([new RejectedRecord(0, errors)], batch: false);
            var (outcomes, failure) = await RecordAsync(eventId, rewards, s, decisions, context.RequestAborted);
            if (failure is { } f) return Problems.Result(f.Status, f.Title, $"{f.Field}: {f.Message}", new Dictionary<string, string[]> { [f.Field] = [f.Message] });
            return TypedResults.NoContent();
        }
    }

    /// <summary>
    /// A batch of rewards: each record checked on its own (its text, its fields, then against the log: known event, slot,
    /// activated, in time, not yet rewarded); the valid ones are stored durably in one commit. All rejected: a 400 problem.
    /// </summary>
    public static async Task<IResult> RewardBatch(HttpContext context, AttuneServices s, DecisionService decisions)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: true);
        if (problem is not null) return problem;
        using (body)
        {
            var rejected = new List<RejectedRecord>();
            var rewards = new List<DecisionReward>(body!.Records.Count);
            var origin = new List<int>(body.Records.Count);
            var errors = new List<FieldError>();
            for (int i = 0; i < body.Records.Count; i++)
            {
                errors.Clear();
                if (body.InvalidRecords is { } invalid && invalid.TryGetValue(i, out var textErrors))
                {
                    rejected.Add(new RejectedRecord(i, textErrors));
                    continue;
                }
                var read = RankReader.ReadBatchReward(body.Records[i], errors, out var eventId);
                if (read is null)
                {
                    rejected.Add(new RejectedRecord(i, errors.ToArray()));
                    continue;
                }
                foreach (var r in read)
                {
                    double value = r.Value;
                    if (r.Named is { } named)
                    {
                        var logged = await s.Store.GetDecisionAsync(eventId!, context.RequestAborted);
                        var settings = logged is not null && decisions.TryGet(logged.Decision.Point, out var point) ? point.Settings : new DecisionSettings();
                        value = DecisionService.Combine(settings, named, out var unknown);
                        if (unknown is not null)
                        {
                            rejected.Add(new RejectedRecord(i, [new FieldError("rewards", $"reward '{unknown}' has no weight in the point's settings.rewardWeights")]));
                            break;
                        }
                    }
                    rewards.Add(new DecisionReward(eventId!, r.Slot, value));
                    origin.Add(i);
                }
            }
            var outcomes = rewards.Count == 0 ? [] : await decisions.RewardAsync(rewards, context.RequestAborted);
            var accepted = new HashSet<int>();
            var refused = new HashSet<int>(rejected.Select(r => r.Index));
            for (int k = 0; k < outcomes.Count; k++)
            {
                int i = origin[k];
                if (outcomes[k] == RewardOutcome.Recorded) { accepted.Add(i); continue; }
                if (!refused.Add(i)) continue;
                string slot = rewards[k].Slot;
                rejected.Add(new RejectedRecord(i, [outcomes[k] switch
                {
                    RewardOutcome.UnknownEvent => new FieldError("eventId", $"no decision with event id '{rewards[k].EventId}'"),
                    RewardOutcome.UnknownSlot => new FieldError("slot", $"the decision has no slot '{slot}'"),
                    RewardOutcome.NotActivated => new FieldError("eventId", "the decision was ranked with deferActivation and is not activated yet"),
                    RewardOutcome.AlreadyRewarded => new FieldError("eventId", $"the decision{(slot.Length > 0 ? $" slot '{slot}'" : "")} already has a reward"),
                    _ => new FieldError("eventId", "the reward wait is over: the default reward stands"),
                }]));
            }
            accepted.ExceptWith(refused);
            rejected.Sort((a, b) => a.Index.CompareTo(b.Index));
            if (accepted.Count == 0 && rejected.Count > 0) return Problems.Validation(rejected, body.IsBatch);
            return TypedResults.Ok(new BatchResult(accepted.Count, rejected));
        }
    }

    public static async Task<IResult> Activate(string eventId, DecisionService decisions, CancellationToken ct)
    {
        if (PointReader.CheckId(eventId) is { } bad) return Problems.BadField("eventId", bad);
        return await decisions.ActivateAsync(eventId, ct) ? TypedResults.NoContent() : Problems.NotFound("Decision event", eventId);
    }

    /// <summary>A refused decision as a problem naming its field (400, 404 or 409 as the service said).</summary>
    internal static IResult Problem(DecisionException e) =>
        Problems.Result(e.Status, e.Status switch { 404 => "Not found", 409 => "Conflict", _ => "Invalid input" }, $"{e.Field}: {e.Message}",
            new Dictionary<string, string[]> { [e.Field] = [e.Message] });

    /// <summary>The <c>from</c>/<c>to</c> query window (ISO times; default the last 30 days), or the problem naming the bad one.</summary>
    internal static IResult? Window(string? from, string? to, DateTimeOffset now, out long fromMs, out long toMs)
    {
        DateTimeOffset start = now.AddDays(-30), end = now.AddMinutes(1);
        fromMs = toMs = 0;
        const System.Globalization.DateTimeStyles Utc = System.Globalization.DateTimeStyles.AssumeUniversal;
        if (from is not null && !DateTimeOffset.TryParse(from, System.Globalization.CultureInfo.InvariantCulture, Utc, out start))
            return Problems.BadField("from", "must be an ISO 8601 time");
        if (to is not null && !DateTimeOffset.TryParse(to, System.Globalization.CultureInfo.InvariantCulture, Utc, out end))
            return Problems.BadField("to", "must be an ISO 8601 time");
        (fromMs, toMs) = (start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds());
        return null;
    }

    /// <summary>Why a reward was refused: the status, the field and the message (shared with Personalizer's paths).</summary>
    internal readonly record struct RewardFailure(int Status, string Title, string Code, string Field, string Message);

    /// <summary>Combines named rewards by the decision's point, records them, and turns the first refusal into a failure.</summary>
    internal static async Task<(IReadOnlyList<RewardOutcome>? Outcomes, RewardFailure? Failure)> RecordAsync(string eventId, IReadOnlyList<RewardInput> rewards,
        AttuneServices s, DecisionService decisions, CancellationToken ct)
    {
        var list = new List<DecisionReward>(rewards.Count);
        foreach (var r in rewards)
        {
            double value = r.Value;
            if (r.Named is { } named)
            {
                var logged = await s.Store.GetDecisionAsync(eventId, ct);
                if (logged is null) return (null, NotFound(eventId));
                var settings = decisions.TryGet(logged.Decision.Point, out var point) ? point.Settings : new DecisionSettings();
                value = DecisionService.Combine(settings, named, out var unknown);
                if (unknown is not null)
                    return (null, new RewardFailure(400, "Invalid input", "InvalidRewardRequest", "rewards",
                        $"reward '{unknown}' has no weight in the point's settings.rewardWeights ({string.Join(", ", settings.RewardWeights.Keys)})"));
            }
            list.Add(new DecisionReward(eventId, r.Slot, value));
        }
        var outcomes = await decisions.RewardAsync(list, ct);
        for (int i = 0; i < outcomes.Count; i++)
        {
            string slotField = rewards.Count > 1 ? $"reward[{i}].slotId" : "slot";
            switch (outcomes[i])
            {
                case RewardOutcome.Recorded: continue;
                case RewardOutcome.UnknownEvent: return (outcomes, NotFound(eventId));
                case RewardOutcome.UnknownSlot:
                    return (outcomes, new RewardFailure(400, "Invalid input", "InvalidRewardRequest", slotField, $"decision '{eventId}' has no slot '{list[i].Slot}'"));
                case RewardOutcome.NotActivated:
                    return (outcomes, new RewardFailure(409, "Conflict", "InvalidRewardRequest", "eventId", $"decision '{eventId}' was ranked with deferActivation and is not activated yet"));
                case RewardOutcome.AlreadyRewarded:
                    return (outcomes, new RewardFailure(409, "Conflict", "InvalidRewardRequest", rewards.Count > 1 ? slotField : "eventId",
                        $"decision '{eventId}'{(list[i].Slot.Length > 0 ? $" slot '{list[i].Slot}'" : "")} already has a reward"));
                case RewardOutcome.TooLate:
                    return (outcomes, new RewardFailure(409, "Conflict", "InvalidRewardRequest", "eventId", $"the reward wait of decision '{eventId}' is over: its default reward stands"));
            }
        }
        return (outcomes, null);
    }

    private static RewardFailure NotFound(string eventId) =>
        new(404, "Not found", "ResourceNotFound", "eventId", $"no decision with event id '{eventId}'");

    private static PointOutput Output(DecisionService decisions, DecisionPoint p) =>
        new(p.Id, p.Description, p.Version, p.UpdatedAt, p.Actions, p.Settings, decisions.Status(p.Id));

    public sealed record PointOutput(string Id, string? Description, int Version, DateTimeOffset UpdatedAt, IReadOnlyList<DecisionAction> Actions,
        DecisionSettings Settings, LearnerStatus? Learner);

    public sealed record RankedOutput(string Id, double Probability, double Score);

    public sealed record SlotOutput(string Id, string Chosen, IReadOnlyList<RankedOutput> Ranking);

    /// <param name="Chosen">The action to show (the first slot's, for several slots).</param>
    /// <param name="Experiment">The experiment (or <c>holdout</c>) the person is in at this point; absent when none.</param>
    public sealed record RankOutput(string EventId, string Point, string Chosen, IReadOnlyList<RankedOutput> Ranking, bool Activated, string Policy,
        IReadOnlyList<SlotOutput>? Slots, string? Experiment = null, string? Variant = null);
}
