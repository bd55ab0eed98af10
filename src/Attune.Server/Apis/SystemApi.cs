using System.Net;
using Attune.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

public static class SystemApi
{
    public static IEndpointRouteBuilder MapSystemApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => TypedResults.Ok(new HealthStatus("ok")))
            .WithName("Health").WithSummary("Liveness: the process answers").WithTags("System");

        // With tenants, the deployment is ready when every tenant is too (a balancer routes on this, whatever key comes next).
        app.MapGet("/ready", (IAttuneStore store, Attune.Serving.ServingEngine serving, Hosting.Tenants tenants) => store.IsReady && serving.IsReady
                ? tenants.Waiting() is { } waiting
                    ? Results.Json(new HealthStatus($"starting: {waiting}"), statusCode: StatusCodes.Status503ServiceUnavailable)
                    : Results.Ok(new HealthStatus("ready"))
                : Results.Json(new HealthStatus(store.IsReady ? $"starting: {serving.TrainingStatus ?? "loading models"}" : "starting"),
                    statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("Ready").WithSummary("Readiness: the store is open and a model is active (every tenant's too)").WithTags("System")
            .Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);

        app.MapGet("/v1/stats", async (IAttuneStore store, CancellationToken ct) => TypedResults.Ok(await store.GetStatsAsync(ct)))
            .WithName("GetStats").WithSummary("What the store holds: counts of items, users, visitors and events by type")
            .WithTags("System").WithMetadata(new Security.RequiredScope(Security.Scope.Serve));

        return app;
    }
}
