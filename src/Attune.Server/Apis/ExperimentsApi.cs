using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Serving;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// Experiments (A/B tests of recipes) and the global holdout. Definitions are admin writes; every answer then carries the
/// experiment and variant it was served under.
/// </summary>
public static class ExperimentsApi
{
    public static IEndpointRouteBuilder MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/experiments").WithTags("Experiments").WithMetadata(new RequiredScope(Scope.Admin));

        api.MapPost("/", Create)
            .WithName("CreateExperiment")
            .WithSummary("Define an experiment (a draft until started)")
            .WithDescription("Body: {\"id\", \"name\", \"hypothesis\", \"variants\": [{\"key\", \"recipe\", \"weight\"}, …] (the first is the " +
                "control; weights sum to 1), \"coverage\" (0–1), \"targeting\" (a GrowthBook condition over the person's attributes and " +
                "\"context\"), \"hashAttribute\" (userId | anonymousId), \"namespace\": [name, start, end], \"scenarios\": [..] (empty = " +
                "all), \"metrics\": {\"primary\", \"secondary\": [..], \"guardrails\": [..]}, \"customMetrics\": [..], \"analysis\": {..}}.")
            .Accepts<Experiment>("application/json")
            .Produces<Experiment>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/", List)
            .WithName("ListExperiments")
            .WithSummary("Every experiment, running first")
            .Produces<IReadOnlyList<Experiment>>();

        api.MapGet("/{id}", Get)
            .WithName("GetExperiment")
            .WithSummary("An experiment with its status and phases")
            .Produces<Experiment>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/{id}", Update)
            .WithName("UpdateExperiment")
            .WithSummary("Change an experiment; changing variants, weights or coverage of a running one starts a new phase")
            .Accepts<Experiment>("application/json")
            .Produces<Experiment>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{id}/start", (string id, AttuneServices s, CancellationToken ct) => Transition(id, s, ct, start: true))
            .WithName("StartExperiment")
            .WithSummary("Start exposing people (phase 1); a stopped experiment cannot be started again")
            .Produces<Experiment>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/{id}/stop", (string id, AttuneServices s, CancellationToken ct) => Transition(id, s, ct, start: false))
            .WithName("StopExperiment")
            .WithSummary("Stop: everyone gets the default recipe again; results stay readable")
            .Produces<Experiment>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/{id}/history", History)
            .WithName("ExperimentHistory")
            .WithSummary("The experiment's cumulative results over time: a snapshot per interval while it runs (Serving:ExperimentSnapshotMinutes)")
            .WithDescription("Each snapshot: its time, the phase, and per metric and variant the people, the value and the lift with its interval.")
            .Produces<IReadOnlyList<ExperimentSnapshot>>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/results", Results)
            .WithName("ExperimentResults")
            .WithSummary("Per phase, variant and metric: people, value, difference with CI, p-value or chance to win, SRM, and a verdict")
            .WithDescription("Incremental: computed from sums kept up to date as events arrive (no rescan). Verdicts: keep running (with " +
                "the people still needed for the minimum detectable effect), ship, stop: worse, invalid: SRM. docs/experiments.md says what each number means.")
            .Produces<ResultsOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/decisions", Decisions)
            .WithName("ExperimentDecisions")
            .WithSummary("An experiment on decision points: per point and variant, the decisions' mean reward and its difference from the control")
            .WithDescription("Read from the decision log over the current phase (each decision's mean reward over its slots; those " +
                "still awaiting their reward counted apart); the difference with Welch's 95 % interval and p-value. Events' metrics " +
                "(conversion, revenue…) of the same people are in /results.")
            .Produces<DecisionResultsOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        var holdout = app.MapGroup("/v1/holdout").WithTags("Experiments").WithMetadata(new RequiredScope(Scope.Admin));
        holdout.MapGet("/", GetHoldout)
            .WithName("GetHoldout")
            .WithSummary("The global holdout: the share of people who always get the non-personal recipe (share 0 = none)")
            .Produces<Holdout>();
        holdout.MapPut("/", PutHoldout)
            .WithName("PutHoldout")
            .WithSummary("Set the global holdout, e.g. {\"share\": 0.05}; {\"share\": 0} removes it")
            .WithDescription("Holdout people get the recipe named by \"recipe\" (default: the shipped non-personal one) in every scenario " +
                "and are never in an experiment, so the total uplift of personalization is measured continuously.")
            .Accepts<Holdout>("application/json")
            .Produces<Holdout>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        holdout.MapGet("/results", HoldoutResults)
            .WithName("HoldoutResults")
            .WithSummary("The total uplift of personalization: holdout (control) against everyone else, like an experiment's results")
            .Produces<ResultsOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        holdout.MapGet("/decisions", HoldoutDecisions)
            .WithName("HoldoutDecisions")
            .WithSummary("The holdout on decision points: the control action (no offer…) against the learners, per point")
            .Produces<DecisionResultsOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <param name="Phase">The phase read (the current one).</param>
    public sealed record DecisionResultsOutput(string Experiment, int Phase, DateTimeOffset From, DateTimeOffset To,
        IReadOnlyList<Attune.Decisions.Service.PointRewards> Points);

    public static async Task<IResult> Decisions(string id, AttuneServices s, Attune.Decisions.Service.DecisionService decisions, CancellationToken ct)
    {
        if (ExperimentReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (!s.Serving.Experiments.Current.Experiments.TryGetValue(id, out var e)) return Problems.NotFound("Experiment", id);
        return TypedResults.Ok(await DecisionResultsAsync(e, e.Points, s, decisions, ct));
    }

    public static async Task<IResult> HoldoutDecisions(AttuneServices s, Attune.Decisions.Service.DecisionService decisions, CancellationToken ct)
    {
        if (s.Serving.Experiments.Current.Holdout is not { } holdout) return Problems.NotFound("Holdout", "global");
        // Every point with a control action (fixed, or per request as the price point's day level); points where holdout people
        // got the learner's choice are listed too (their log says so), so every point is read.
        var points = decisions.Points.Select(p => p.Id).ToList();
        return TypedResults.Ok(await DecisionResultsAsync(holdout.AsExperiment(), points, s, decisions, ct));
    }

    private static async Task<DecisionResultsOutput> DecisionResultsAsync(Experiment e, IReadOnlyList<string> points, AttuneServices s,
        Attune.Decisions.Service.DecisionService decisions, CancellationToken ct)
    {
        var phase = e.CurrentPhase;
        var from = phase?.StartedAt ?? e.CreatedAt;
        var to = phase?.EndedAt ?? s.Time.GetUtcNow();
        var rewards = await decisions.ExperimentRewardsAsync(e.Id, points, e.Variants[0].Key, from.ToUnixTimeMilliseconds(),
            to.ToUnixTimeMilliseconds() + 1, ct);
        return new DecisionResultsOutput(e.Id, phase?.Number ?? 0, from, to, rewards);
    }

    public static IResult List(AttuneServices s) => TypedResults.Ok(s.Serving.Experiments.Current.Experiments.Values
        .OrderBy(e => e.Status == ExperimentStatus.Running ? 0 : e.Status == ExperimentStatus.Draft ? 1 : 2)
        .ThenByDescending(e => e.UpdatedAt).ToList());

    public static IResult Get(string id, AttuneServices s) =>
        s.Serving.Experiments.Current.Experiments.TryGetValue(id, out var e) ? TypedResults.Ok(e) : Problems.NotFound("Experiment", id);

    public static IResult Results(string id, AttuneServices s)
    {
        if (ExperimentReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (!s.Serving.Experiments.Current.Experiments.TryGetValue(id, out var e)) return Problems.NotFound("Experiment", id);
        var sums = s.Serving.Tracker.Sums(id) ?? new ExperimentSums([], []);
        return TypedResults.Ok(ExperimentResults.Compute(e, sums));
    }

    public static async Task<IResult> History(string id, AttuneServices s, CancellationToken ct)
    {
        if (ExperimentReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (!s.Serving.Experiments.Current.Experiments.ContainsKey(id)) return Problems.NotFound("Experiment", id);
        return TypedResults.Ok(await s.Serving.ExperimentHistoryAsync(id, ct));
    }

    public static IResult HoldoutResults(AttuneServices s)
    {
        if (s.Serving.Experiments.Current.Holdout is not { } holdout) return Problems.NotFound("Holdout", "global");
        var e = holdout.AsExperiment();
        return TypedResults.Ok(ExperimentResults.Compute(e, s.Serving.Tracker.Sums(e.Id) ?? new ExperimentSums([], [])));
    }

    public static Task<IResult> Create(HttpContext context, AttuneServices s) => WriteAsync(context, s, null);

    public static Task<IResult> Update(string id, HttpContext context, AttuneServices s) =>
        ExperimentReader.CheckId(id) is { } bad ? Task.FromResult(Problems.BadField("id", bad)) : WriteAsync(context, s, id);

    private static async Task<IResult> WriteAsync(HttpContext context, AttuneServices s, string? pathId)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var decisions = context.RequestServices.GetService<Attune.Decisions.Service.DecisionService>();
            var refs = s.Serving.ExperimentReferences with { PointExists = decisions is null ? null : name => decisions.TryGet(name, out _) };
            var experiment = ExperimentReader.Read(body!.Records[0], pathId, refs, errors);
            if (experiment is null)
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
            try
            {
                var book = s.Serving.Experiments;
                if (pathId is null)
                {
                    var created = await book.CreateAsync(experiment, context.RequestAborted);
                    return TypedResults.Created($"/v1/experiments/{created.Id}", created);
                }
                return TypedResults.Ok(await book.UpdateAsync(experiment, context.RequestAborted));
            }
            catch (ExperimentException e)
            {
                return Failure(e, experiment.Id);
            }
        }
    }

    private static async Task<IResult> Transition(string id, AttuneServices s, CancellationToken ct, bool start)
    {
        if (ExperimentReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        try
        {
            var book = s.Serving.Experiments;
            return TypedResults.Ok(start ? await book.StartAsync(id, ct) : await book.StopAsync(id, ct));
        }
        catch (ExperimentException e)
        {
            return Failure(e, id);
        }
    }

    private static IResult Failure(ExperimentException e, string id) => Failure(e, "Experiment", id);

    /// <summary>An experiment or rollout change refused: 404, 409 or 400, naming the field.</summary>
    internal static IResult Failure(ExperimentException e, string entity, string id) =>
        e.NotFound ? Problems.NotFound(entity, id)
        : e.Conflict ? Problems.Result(StatusCodes.Status409Conflict, "Conflict", $"{e.Field}: {e.Reason}",
            new Dictionary<string, string[]> { [e.Field] = [e.Reason] })
        : Problems.BadField(e.Field, e.Reason);

    public static IResult GetHoldout(AttuneServices s) => TypedResults.Ok(s.Serving.Experiments.Current.Holdout ?? new Holdout(0));

    public static async Task<IResult> PutHoldout(HttpContext context, AttuneServices s)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var json = body!.Records[0];
            if (json.ValueKind != JsonValueKind.Object) return Problems.BadField("body", "must be {\"share\": 0.05, \"recipe\": \"non-personal\"}");
            double? share = null;
            string recipe = Holdout.DefaultRecipe;
            foreach (var p in json.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "share":
                        if (p.Value.ValueKind != JsonValueKind.Number || p.Value.GetDouble() is < 0 or > 0.5)
                            return Problems.BadField("share", "must be a number from 0 (no holdout) to 0.5");
                        share = p.Value.GetDouble();
                        break;
                    case "recipe":
                        if (p.Value.ValueKind != JsonValueKind.String || !s.Serving.Recipes.TryGet(p.Value.GetString()!, out _))
                            return Problems.BadField("recipe", "must name a recipe (default: non-personal)");
                        recipe = p.Value.GetString()!;
                        break;
                    case "updatedAt":
                        break;
                    default:
                        return Problems.BadField(p.Name, "unknown field; known fields: share, recipe");
                }
            }
            if (share is null) return Problems.BadField("share", "is required");
            return TypedResults.Ok(await s.Serving.Experiments.PutHoldoutAsync(new Holdout(share.Value, recipe), context.RequestAborted) ?? new Holdout(0));
        }
    }
}
