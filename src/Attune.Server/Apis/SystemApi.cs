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

        app.MapGet("/ready", (IAttuneStore store, Attune.Serving.ServingEngine serving) => store.IsReady && serving.IsReady
                ? Results.Ok(new HealthStatus("ready"))
                : Results.Json(new HealthStatus(store.IsReady ? $"starting: {serving.TrainingStatus ?? "loading models"}" : "starting"),
                    statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("Ready").WithSummary("Readiness: the store is open and a model is active").WithTags("System")
            .Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);

        app.MapGet("/v1/stats", async (IAttuneStore store, CancellationToken ct) => TypedResults.Ok(await store.GetStatsAsync(ct)))
            .WithName("GetStats").WithSummary("What the store holds: counts of items, users, visitors and events by type")
            .WithTags("System").WithMetadata(new Security.RequiredScope(Security.Scope.Serve));

        app.MapGet("/", Home).ExcludeFromDescription();
        return app;
    }

    public sealed record HealthStatus(string Status);

    /// <summary>A plain start page: what is loaded and where to go next. The full dashboard comes with the experiments work.</summary>
    private static async Task<IResult> Home(IAttuneStore store, CancellationToken ct)
    {
        var stats = await store.GetStatsAsync(ct);
        string rows = string.Join("", stats.EventsByType.OrderByDescending(kv => kv.Value)
            .Select(kv => $"<tr><td>{WebUtility.HtmlEncode(kv.Key)}</td><td>{kv.Value:N0}</td></tr>"));
        string html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Attune</title>
            <style>body{font:15px system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
            td{padding:.15rem 1.2rem .15rem 0}h1{margin-bottom:.2rem}.n{font-size:1.6rem;font-weight:600}
            .grid{display:flex;gap:2.5rem;margin:1.2rem 0}a{color:#2b59c3}</style></head>
            <body><h1>Attune</h1><p>Self-hosted personalization engine. This server is up.</p>
            <div class="grid">
              <div><div class="n" id="items">{{stats.Items:N0}}</div>items</div>
              <div><div class="n" id="users">{{stats.Users:N0}}</div>users</div>
              <div><div class="n">{{stats.AnonymousVisitors:N0}}</div>anonymous visitors</div>
              <div><div class="n" id="events">{{stats.Events:N0}}</div>events</div>
            </div>
            <h3>Events by type</h3><table>{{rows}}</table>
            <h3>Next</h3><ul>
              <li><a href="/scalar/v1">API reference</a> (OpenAPI: <a href="/openapi/v1.json">/openapi/v1.json</a>)</li>
              <li><a href="/v1/items?limit=10">/v1/items</a> · <a href="/v1/users?limit=10">/v1/users</a></li>
              <li><a href="/health">/health</a> · <a href="/ready">/ready</a></li>
            </ul></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8");
    }
}
