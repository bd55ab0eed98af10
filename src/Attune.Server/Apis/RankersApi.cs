using System.Text.Json;
using Attune.Server.Hosting;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>Learned rankers: trained from the recommendation log, named by recipes (docs/predictions.md, "Learned ranking").</summary>
public static class RankersApi
{
    public static IEndpointRouteBuilder MapRankersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rankers").WithTags("Rankers").WithMetadata(new RequiredScope(Scope.Admin));
        api.MapGet("/", (RankerService rankers) => TypedResults.Ok(rankers.All.Select(Summary).ToArray()))
            .WithName("ListRankers")
            .WithSummary("The learned rankers: scenario, time, the log they learned from and their replayed evaluation")
            .Produces<IReadOnlyList<RankerSummary>>();
        api.MapGet("/{name}", (string name, RankerService rankers) =>
                rankers.Find(name) is { } r ? TypedResults.Ok(Summary(r)) : Problems.NotFound("Ranker", name))
            .WithName("GetRanker")
            .WithSummary("One learned ranker and its evaluation")
            .Produces<RankerSummary>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{name}/train", Train)
            .WithName("TrainRanker")
            .WithSummary("Learn a scenario's ranking from the recommendation log: {\"scenario\": \"for-you\", \"days\": 30}; a recipe then names it " +
                "(\"scenarios\": {\"for-you\": {\"ranker\": NAME}})")
            .Produces<RankerSummary>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{name}", async (string name, RankerService rankers, CancellationToken ct) =>
                await rankers.DeleteAsync(name, ct) ? TypedResults.NoContent() : Problems.NotFound("Ranker", name))
            .WithName("DeleteRanker")
            .WithSummary("Delete a learned ranker (recipes naming it serve the blend's order)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <param name="Features">The sources it reads, in order (each item's score from the source over the answer's largest).</param>
    public sealed record RankerSummary(string Name, string Scenario, DateTimeOffset TrainedAt, DateTimeOffset From, DateTimeOffset To,
        IReadOnlyList<string> Features, RankerEvaluation Evaluation);

    private static RankerSummary Summary(StoredRanker r) => new(r.Name, r.Scenario, r.TrainedAt, r.From, r.To, r.Model.FeatureNames, r.Evaluation);

    public static async Task<IResult> Train(string name, HttpContext context, AttuneServices s, RankerService rankers, CancellationToken ct)
    {
        if (RecordReader.CheckId(name) is { } bad) return Problems.BadField("name", bad);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        string scenario = "for-you";
        int days = 30;
        using (body)
        {
            var json = body!.Records[0];
            if (json.ValueKind != JsonValueKind.Object) return Problems.BadField("body", "must be a JSON object");
            foreach (var p in json.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "scenario":
                        if (p.Value.ValueKind != JsonValueKind.String || !s.Serving.Recipes.ScenarioNames.Contains(p.Value.GetString()!, StringComparer.OrdinalIgnoreCase))
                            return Problems.BadField("scenario", $"must name a scenario; known: {string.Join(", ", s.Serving.Recipes.ScenarioNames)}");
                        scenario = p.Value.GetString()!;
                        break;
                    case "days":
                        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out days) || days is < 1 or > 365)
                            return Problems.BadField("days", "must be a whole number from 1 to 365");
                        break;
                    default:
                        return Problems.BadField(p.Name, "unknown field; known: scenario, days");
                }
            }
        }
        var (ranker, why) = await rankers.TrainAsync(name, scenario, days, ct);
        return ranker is null ? Problems.NotFound("Training data", why!) : TypedResults.Ok(Summary(ranker));
    }
}
