using System.Text.Json;
using System.Text.Json.Nodes;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// Progressive rollouts: a recipe or a model version ramps up by steps against a baseline recipe, each step held by its
/// guardrails (error rate, p99 latency, a metric not significantly worse under the sequential test); a breach rolls back
/// automatically and records why. Admin scope.
/// </summary>
public static class RolloutsApi
{
    public static IEndpointRouteBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rollouts").WithTags("Rollouts").WithMetadata(new RequiredScope(Scope.Admin));

        api.MapPost("/", Start)
            .WithName("StartRollout")
            .WithSummary("Start a progressive rollout of a recipe or a model version (it begins at its first step at once)")
            .WithDescription("Body: {\"id\", \"name\", \"recipe\" | \"modelVersion\", \"baseline\" (default: default), \"scenarios\" (empty = all), " +
                "\"steps\": [1, 5, 25, 50, 100] or [{\"percent\", \"waitMinutes\"}, …], \"waitMinutes\" (default 60), \"guardrails\": {\"maxErrorRate\", " +
                "\"maxLatencyP99Ms\", \"maxLatencyIncrease\", \"latencyToleranceMs\", \"metric\", \"minAnswers\", \"alpha\"}}. docs/experiments.md, \"Progressive rollouts\".")
            .Accepts<Rollout>("application/json")
            .Produces<Rollout>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/", List)
            .WithName("ListRollouts")
            .WithSummary("Every rollout, running first, each with its current step's guardrail reading")
            .Produces<IReadOnlyList<Rollout>>();

        api.MapGet("/{id}", Get)
            .WithName("GetRollout")
            .WithSummary("A rollout: its steps as they ran, why it ended, and (running) what its guardrails read now")
            .Produces<Rollout>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/results", Results)
            .WithName("RolloutResults")
            .WithSummary("Each step's results like an experiment's: baseline against rollout, the guarded metric, error rate and p99")
            .Produces<IReadOnlyList<ResultsOutput>>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{id}/rollback", RollBack)
            .WithName("RollBackRollout")
            .WithSummary("Roll back by hand (optional body {\"reason\": \"…\"}): everyone gets the baseline again")
            .Produces<Rollout>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static IResult List(AttuneServices s) => TypedResults.Ok(s.Serving.Rollouts.Current.Values
        .OrderBy(r => r.Status == RolloutStatus.Running ? 0 : 1).ThenByDescending(r => r.UpdatedAt)
        .Select(r => View(r, s)).ToList());

    public static IResult Get(string id, AttuneServices s) =>
        s.Serving.Rollouts.Current.TryGetValue(id, out var r) ? TypedResults.Ok(View(r, s)) : Problems.NotFound("Rollout", id);

    public static IResult Results(string id, AttuneServices s)
    {
        if (!s.Serving.Rollouts.Current.TryGetValue(id, out var r)) return Problems.NotFound("Rollout", id);
        var steps = new List<ResultsOutput>();
        foreach (var run in r.History)
        {
            var e = r.AsExperiment(run.Number);
            steps.Add(ExperimentResults.Compute(e, s.Serving.Tracker.Sums(e.Id) ?? new ExperimentSums([], [])));
        }
        return TypedResults.Ok(steps);
    }

    public static async Task<IResult> Start(HttpContext context, AttuneServices s)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var rollout = RolloutReader.Read(body!.Records[0], s.Serving.RolloutReferences, errors);
            if (rollout is null)
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
            try
            {
                var started = await s.Serving.StartRolloutAsync(rollout, context.RequestAborted);
                return TypedResults.Created($"/v1/rollouts/{started.Id}", View(started, s));
            }
            catch (ExperimentException e)
            {
                return Failure(e, rollout.Id);
            }
        }
    }

    public static async Task<IResult> RollBack(string id, HttpContext context, AttuneServices s)
    {
        string? reason = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
            if (problem is not null) return problem;
            using (body)
            {
                var json = body!.Records[0];
                if (json.ValueKind != JsonValueKind.Object) return Problems.BadField("body", "must be {\"reason\": \"…\"} or empty");
                foreach (var p in json.EnumerateObject())
                {
                    if (p.Name != "reason") return Problems.BadField(p.Name, "unknown field; known fields: reason");
                    if (p.Value.ValueKind != JsonValueKind.String) return Problems.BadField("reason", "must be a string");
                    reason = p.Value.GetString();
                }
            }
        }
        try
        {
            return TypedResults.Ok(View(await s.Serving.RollBackRolloutAsync(id, reason, context.RequestAborted), s));
        }
        catch (ExperimentException e)
        {
            return Failure(e, id);
        }
    }

    /// <summary>The rollout as stored, with its share now and, while it runs, what its current step's guardrails read.</summary>
    private static JsonNode View(Rollout r, AttuneServices s)
    {
        var node = JsonSerializer.SerializeToNode(r, AttuneJson.Options)!;
        node["share"] = r.Share;
        if (r.Status == RolloutStatus.Running)
        {
            var decision = s.Serving.JudgeRollout(r);
            node["now"] = new JsonObject
            {
                ["next"] = decision.Action switch
                {
                    RolloutAction.Hold => "hold",
                    RolloutAction.Advance => "advance",
                    RolloutAction.Complete => "complete",
                    _ => "roll back",
                },
                ["reason"] = decision.Reason,
                ["reading"] = JsonSerializer.SerializeToNode(decision.Reading, AttuneJson.Options),
                ["summary"] = decision.Reading.ToString(),
            };
        }
        return node;
    }

    private static IResult Failure(ExperimentException e, string id) => ExperimentsApi.Failure(e, "Rollout", id);
}
