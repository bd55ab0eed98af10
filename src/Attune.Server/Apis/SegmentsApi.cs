using System.Text;
using System.Text.Json;
using Attune.Predictions.Segments;
using Attune.Server.Hosting;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>Segments of people: your rule segments, the RFM segments and behavioural clusters (docs/predictions.md).</summary>
public static class SegmentsApi
{
    public static IEndpointRouteBuilder MapSegmentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/segments").WithTags("Segments");
        api.MapGet("/", List)
            .WithName("ListSegments")
            .WithSummary("Every segment with its member count: yours (rule), the ten RFM segments (rfm-…) and the behavioural clusters (cluster-…)")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<IReadOnlyList<SegmentOutput>>();
        api.MapGet("/clusters", Clusters)
            .WithName("ListClusters")
            .WithSummary("The behavioural clusters: name (their strongest categories), members and categories")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<IReadOnlyList<ClusterInfo>>();
        api.MapPost("/clusters/refresh", Recluster)
            .WithName("RefreshClusters")
            .WithSummary("Cluster the active model's people by their taste vectors now (otherwise after each propensity training when the model changed)")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<IReadOnlyList<ClusterInfo>>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}", Get)
            .WithName("GetSegment")
            .WithSummary("One segment: its rule and member count")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<SegmentOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id}", Put)
            .WithName("PutSegment")
            .WithSummary("Create or replace a rule segment: {\"rule\": \"predictions.purchase7d > 0.6 and clv.value90d > 100\", \"name\", \"description\", \"recipe\"}; " +
                "members are evaluated at once and kept current as events arrive")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces<SegmentOutput>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapDelete("/{id}", Delete)
            .WithName("DeleteSegment")
            .WithSummary("Delete a rule segment")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}/members", Members)
            .WithName("ListSegmentMembers")
            .WithSummary("The members in id order, paged (?limit=1–1000, default 100; ?cursor= from the previous page's nextCursor)")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<MembersOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}/export", Export)
            .WithName("ExportSegment")
            .WithSummary("Every member as CSV (?format=csv, the default: id,anonymous,since) or JSON lines (?format=jsonl), for email and ad tools")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/v1/users/{id}/segments", PersonSegments)
            .WithName("GetPersonSegments").WithTags("Segments")
            .WithSummary("The segments a person is in (?anonymous=true for an anonymous id)")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<PersonSegmentsOutput>();
        return app;
    }

    /// <param name="Kind">rule (yours), rfm or cluster (built in).</param>
    /// <param name="Recipe">The recipe that serves the members outside experiments (null: the default).</param>
    public sealed record SegmentOutput(string Id, string Kind, string? Name, string? Description, string Rule, int Members, DateTimeOffset? UpdatedAt,
        string? Recipe);

    public sealed record MemberOutput(string Id, bool Anonymous, DateTimeOffset Since);

    public sealed record MembersOutput(IReadOnlyList<MemberOutput> Data, string? NextCursor, int Total);

    public sealed record PersonSegmentsOutput(string Id, bool Anonymous, IReadOnlyList<string> Segments);

    private static SegmentOutput Output(SegmentDefinition d, SegmentService segments) =>
        new(d.Id, d.Kind, d.Name, d.Description, d.Rule, segments.MemberCount(d.Id), d.UpdatedAt, d.Recipe);

    public static IResult List(SegmentService segments) => TypedResults.Ok(segments.Definitions.Select(d => Output(d, segments)).ToArray());

    public static IResult Clusters(SegmentService segments) => TypedResults.Ok(segments.Clusters ?? []);

    public static async Task<IResult> Recluster(SegmentService segments, CancellationToken ct) =>
        await segments.ClusterAsync(ct) is { } clusters ? TypedResults.Ok(clusters) : Problems.NotFound("Taste vectors", "the active model has no matrix factorization");

    public static IResult Get(string id, SegmentService segments) =>
        segments.Find(id) is { } d ? TypedResults.Ok(Output(d, segments)) : Problems.NotFound("Segment", id);

    public static async Task<IResult> Put(string id, HttpContext context, AttuneServices s, SegmentService segments, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } badId) return Problems.BadField("id", badId);
        if (segments.Find(id) is { Kind: not "rule" } builtIn) return Problems.BadField("id", $"'{id}' is a built-in {builtIn.Kind} segment; choose another id");
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var json = body!.Records[0];
            if (json.ValueKind != JsonValueKind.Object) return Problems.BadField("body", "must be a JSON object");
            string? rule = null, name = null, description = null, recipe = null;
            foreach (var p in json.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "rule":
                        if (p.Value.ValueKind != JsonValueKind.String) return Problems.BadField("rule", "must be a string, e.g. \"predictions.purchase7d > 0.6\"");
                        rule = p.Value.GetString();
                        break;
                    case "name":
                        if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString()!.Length > 200) return Problems.BadField("name", "must be a string of at most 200 characters");
                        name = p.Value.GetString();
                        break;
                    case "description":
                        if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString()!.Length > 2000) return Problems.BadField("description", "must be a string of at most 2,000 characters");
                        description = p.Value.GetString();
                        break;
                    case "recipe":
                        if (p.Value.ValueKind == JsonValueKind.Null) break;
                        if (p.Value.ValueKind != JsonValueKind.String || !s.Serving.Recipes.TryGet(p.Value.GetString()!, out _))
                            return Problems.BadField("recipe", $"must name a recipe; known: {string.Join(", ", s.Serving.Recipes.All.Select(r => r.Name))}");
                        recipe = p.Value.GetString();
                        break;
                    case "id":
                        if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() != id) return Problems.BadField("id", $"differs from the id in the path ('{id}')");
                        break;
                    default:
                        return Problems.BadField(p.Name, "unknown field; a segment has rule, name, description and recipe");
                }
            }
            if (rule is null) return Problems.BadField("rule", "is required");
            SegmentRule parsed;
            try { parsed = SegmentRule.Parse(rule); }
            catch (SegmentRuleException e)
            {
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", $"rule: {e.Message}",
                    new Dictionary<string, string[]> { ["rule"] = [e.Message] });
            }
            var stored = await segments.PutAsync(id, name, description, parsed, recipe, ct);
            return TypedResults.Ok(Output(stored, segments));
        }
    }

    public static async Task<IResult> Delete(string id, SegmentService segments, CancellationToken ct)
    {
        if (segments.Find(id) is { Kind: not "rule" } builtIn) return Problems.BadField("id", $"'{id}' is a built-in {builtIn.Kind} segment and cannot be deleted");
        return await segments.DeleteAsync(id, ct) ? TypedResults.NoContent() : Problems.NotFound("Segment", id);
    }

    public static IResult Members(string id, string? cursor, string? limit, SegmentService segments)
    {
        if (segments.Find(id) is null) return Problems.NotFound("Segment", id);
        int n = 100;
        if (limit is not null && (!int.TryParse(limit, out n) || n is < 1 or > 1000)) return Problems.BadField("limit", "must be a whole number from 1 to 1000");
        string? after = null;
        if (cursor is not null)
        {
            try { after = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)); }
            catch (FormatException) { return Problems.BadField("cursor", "is not a cursor this API gave out"); }
        }
        var sorted = segments.Members(id);
        int from = SegmentService.After(sorted, after), to = Math.Min(sorted.Count, from + n);
        var data = new MemberOutput[to - from];
        for (int k = from; k < to; k++) data[k - from] = new MemberOutput(sorted[k].Id, sorted[k].Anonymous, DateTimeOffset.FromUnixTimeMilliseconds(sorted[k].SinceMs));
        string? next = to < sorted.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes(SegmentService.Key(data[^1].Id, data[^1].Anonymous))) : null;
        return TypedResults.Ok(new MembersOutput(data, next, sorted.Count));
    }

    public static async Task<IResult> Export(string id, string? format, HttpContext context, SegmentService segments)
    {
        if (segments.Find(id) is null) return Problems.NotFound("Segment", id);
        if (format is not (null or "csv" or "jsonl")) return Problems.BadField("format", "must be csv or jsonl");
        bool csv = format is null or "csv";
        var response = context.Response;
        response.ContentType = csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
        response.Headers.ContentDisposition = $"attachment; filename=\"segment-{id}.{(csv ? "csv" : "jsonl")}\"";
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(false), 64 * 1024);
        if (csv) await writer.WriteLineAsync("id,anonymous,since");
        foreach (var (member, anonymous, since) in segments.Members(id))
        {
            string at = DateTimeOffset.FromUnixTimeMilliseconds(since).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            await writer.WriteLineAsync(csv
                ? $"{CsvField(member)},{(anonymous ? "true" : "false")},{at}"
                : JsonSerializer.Serialize(new { id = member, anonymous, since = at }));
        }
        return Results.Empty;
    }

    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    public static IResult PersonSegments(string id, string? anonymous, SegmentService segments)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (anonymous is not (null or "true" or "false")) return Problems.BadField("anonymous", "must be true or false");
        bool visitor = anonymous == "true";
        return TypedResults.Ok(new PersonSegmentsOutput(id, visitor, segments.SegmentsOf(id, visitor)));
    }
}
