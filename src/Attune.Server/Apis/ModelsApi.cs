using Attune.Serving.Models;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/models").WithTags("Models");

        api.MapGet("/", ListModels)
            .WithName("ListModels")
            .WithSummary("Model versions: which is active, when each was trained, on how much data, its held-out metrics")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<ModelList>();

        api.MapPost("/train", Train)
            .WithName("TrainModels")
            .WithSummary("Train a new version from the store now and make it active")
            .WithDescription("Answers 202 at once, or with ?wait=true 200 with the new version once it is active. Requests keep being " +
                "answered by the current version while training runs; the swap is atomic.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<ModelInfo>()
            .Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapPost("/tune", Tune)
            .WithName("TuneModels")
            .WithSummary("Tune the factor and sequence models on the shop's own data, then train and put out a version with what was chosen")
            .WithDescription("A time split of the store's data (each sampled person's last item held out): for each model, the configured " +
                "parameters, a portfolio of good ones and steps around the best are measured within Attune:Serving:TuningBudgetSeconds " +
                "(on at most Attune:Serving:TuningPeople people); the version records the chosen parameters and the gains in its info " +
                "(tuning, tunings). It goes out through a rollout when " +
                "RetrainThroughRollout is set, else at once. 202 at once, or with ?wait=true 200 with the version's info (409 while a " +
                "rollout runs).")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<ModelInfo>()
            .Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/{version}/activate", Activate)
            .WithName("ActivateModel")
            .WithSummary("Make a stored version the active one (rollback)")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<ModelInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/{version}", Delete)
            .WithName("DeleteModel")
            .WithSummary("Delete a stored version (not the active one); recipes that named it are served by the active version")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static IResult ListModels(AttuneServices s) =>
        TypedResults.Ok(new ModelList(s.Serving.ActiveVersion, s.Serving.TrainingStatus, s.Serving.Live.Count, s.Serving.DroppedLogRecords,
            s.Serving.Versions, s.Serving.Options.NodeName, s.Serving.IsTrainer));

    public static async Task<IResult> Train(string? wait, AttuneServices s, CancellationToken ct)
    {
        if (wait is not (null or "true" or "false")) return Problems.BadField("wait", "must be true or false");
        if (wait == "true") return TypedResults.Ok(await s.Serving.TrainAsync("api", ct));
        _ = Task.Run(async () =>
        {
            try { await s.Serving.TrainAsync("api"); }
            catch (Exception e) { s.Logger.LogTrainingFailed(e); }
        }, CancellationToken.None);
        return TypedResults.Accepted("/v1/models", new TrainingStarted("training started; GET /v1/models shows the new version when it is active"));
    }

    public static async Task<IResult> Tune(string? wait, AttuneServices s, CancellationToken ct)
    {
        if (wait is not (null or "true" or "false")) return Problems.BadField("wait", "must be true or false");
        if (wait == "true")
            return await s.Serving.TuneAsync(ct) is { } info
                ? TypedResults.Ok(info)
                : Problems.Result(StatusCodes.Status409Conflict, "A rollout is running", "A tuned version goes out through a rollout; try again when the running one ends.");
        _ = Task.Run(async () =>
        {
            try { await s.Serving.TuneAsync(); }
            catch (Exception e) { s.Logger.LogTrainingFailed(e); }
        }, CancellationToken.None);
        return TypedResults.Accepted("/v1/models", new TrainingStarted("tuning started; GET /v1/models shows the new version with its tuning"));
    }

    public static async Task<IResult> Activate(string version, AttuneServices s, CancellationToken ct)
    {
        if (!ModelRepository.IsVersionName(version)) return Problems.BadField("version", "must look like v12");
        try
        {
            return TypedResults.Ok(await s.Serving.ActivateAsync(version, ct));
        }
        catch (FileNotFoundException)
        {
            return Problems.NotFound("Model version", version);
        }
        catch (InvalidDataException e)
        {
            // A damaged or newer bundle: the active version keeps serving.
            return Problems.Result(StatusCodes.Status409Conflict, "Model version cannot be loaded", e.Message);
        }
    }

    public static async Task<IResult> Delete(string version, AttuneServices s, CancellationToken ct)
    {
        if (!ModelRepository.IsVersionName(version)) return Problems.BadField("version", "must look like v12");
        try
        {
            return await s.Serving.DeleteVersionAsync(version, ct) ? TypedResults.NoContent() : Problems.NotFound("Model version", version);
        }
        catch (InvalidOperationException e)
        {
            return Problems.Result(StatusCodes.Status409Conflict, "Active version", e.Message);
        }
    }

    /// <param name="LivePeople">People with events since the active model (kept in memory).</param>
    /// <param name="DroppedRecommendationLogs">Answers not logged because the store could not keep up.</param>
    /// <param name="Node">This node's name (<c>Attune:Serving:NodeName</c>).</param>
    /// <param name="Trainer">Whether this node trains: always on the embedded store; on a shared one, the elected node.</param>
    public sealed record ModelList(string? Active, string? Training, int LivePeople, long DroppedRecommendationLogs, IReadOnlyList<ModelInfo> Versions,
        string? Node = null, bool? Trainer = null);

    public sealed record TrainingStarted(string Status);
}

internal static partial class ModelsApiLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "Training requested through the API failed")]
    public static partial void LogTrainingFailed(this Microsoft.Extensions.Logging.ILogger logger, Exception error);
}
