using System.Globalization;
using System.Text.Json;
using Attune.Serving;
using Attune.Serving.Filtering;
using Attune.Serving.Search;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// <c>GET|POST /v1/search</c>: the <c>search</c> scenario answered for a person, a page at a time. Everything a
/// recommendation request has (recipe, filter, context, experiments, rules, logging) applies; the answer's <c>searchId</c> is
/// its recommendation id, to send back on the clicks and purchases it leads to.
/// </summary>
public static class SearchApi
{
    public const string Scenario = "search";

    /// <summary>The body's fields (the query string takes the same names, and <c>context.NAME</c>).</summary>
    internal static readonly string[] s_fields = ["q", "userId", "anonymousId", "userToken", "filter", "facets", "sort", "count", "offset", "recipe", "context", "fields", "explain"];

    /// <summary>The orders a search answers in: relevance (blended with the person's tastes), price either way, newest first.</summary>
    internal static readonly string[] s_sorts = ["relevance", "price", "price-desc", "newest"];

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Search").WithMetadata(new RequiredScope(Scope.Serve, Client: true));
        api.MapGet("/search", GetSearch)
            .WithName("Search")
            .WithSummary("Search the catalog for a person")
            .WithDescription("q (required), userId or anonymousId, filter (docs/filters.md), facets (comma-separated fields to count), " +
                "sort, count (default 20), offset, recipe, " +
                "fields (comma-separated item fields), explain, context values as context.NAME=value. The answer's searchId goes " +
                "back as recommendationId on the click and purchase events it leads to.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/search", PostSearch)
            .WithName("SearchByBody")
            .WithSummary("Search the catalog for a person (JSON body)")
            .WithDescription("Body: q, userId or anonymousId, userToken, filter, facets (array of fields), sort, count, offset, recipe, context (object), fields, explain.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapGet("/v1/search/status", (AttuneServices s) => Results.Ok(Status(s.Serving)))
            .WithTags("Search")
            .WithMetadata(new RequiredScope(Scope.Viewer))
            .WithName("SearchStatus")
            .WithSummary("What search holds: items searchable by their words, vectors computed and pending, the model, the vectors' memory");
        app.MapGet("/v1/search/synonyms", (AttuneServices s) => Results.Ok(new
            {
                source = s.Serving.Search.Synonyms.Source,
                configured = s.Serving.Search.Synonyms.Configured,
                learned = s.Serving.Search.Synonyms.Learned,
            }))
            .WithTags("Search")
            .WithMetadata(new RequiredScope(Scope.Viewer))
            .WithName("SearchSynonyms")
            .WithSummary("The synonyms search uses: from the configured file, and learned from people's rewordings of searches that found nothing");
        return app;
    }

    private static object Status(ServingEngine engine)
    {
        var search = engine.Search;
        var semantic = search.Semantic;
        return new
        {
            items = search.Count,
            semantic = new
            {
                when = engine.Options.SemanticSearch.ToString(),
                started = semantic?.Started ?? false,
                model = semantic?.Model,
                vectors = semantic?.Count ?? 0,
                pending = semantic?.Pending ?? 0,
                embedded = semantic?.Embedded ?? 0,
                restored = semantic?.Restored ?? 0,
                memoryBytes = semantic?.MemoryBytes ?? 0,
                failure = semantic?.Failure?.Message,
                fileProblem = semantic?.FileProblem,
            },
        };
    }

    private sealed record Parsed(RecommendationRequest? Request, int Offset, int Count, string Sort, string[] Fields, string[] Facets,
        string? UserToken, Dictionary<string, string[]> Errors);

    public static Task<IResult> GetSearch(HttpContext context, AttuneServices s)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var contextValues = new Dictionary<string, object?>(StringComparer.Ordinal);
        var fields = new List<string>();
        var facets = new List<string>();
        string? q = null, userId = null, anonymousId = null, filter = null, sort = null, recipe = null, token = null;
        int? count = null, offset = null;
        bool explain = true;
        foreach (var (key, values) in context.Request.Query)
        {
            string value = values.ToString();
            switch (key)
            {
                case "q": q = value; break;
                case "userId": userId = RecommendationsApi.Id(value, key, errors); break;
                case "anonymousId": anonymousId = RecommendationsApi.Id(value, key, errors); break;
                case "userToken": token = value; break;
                case "filter": filter = value; break;
                case "sort": sort = value; break;
                case "recipe": recipe = value; break;
                case "count": count = Whole(value, key, errors); break;
                case "offset": offset = Whole(value, key, errors); break;
                case "fields": foreach (string? v in values) fields.AddRange(RecommendationsApi.Split(v ?? "")); break;
                case "facets": foreach (string? v in values) facets.AddRange(RecommendationsApi.Split(v ?? "")); break;
                case "explain":
                    if (value is "true" or "false") explain = value == "true";
                    else errors[key] = ["must be true or false"];
                    break;
                default:
                    if (key.StartsWith("context.", StringComparison.Ordinal) && key.Length > 8)
                        contextValues[key[8..]] = RecommendationsApi.ContextValue(value);
                    else errors[key] = [$"unknown parameter; known: {string.Join(", ", s_fields.Where(f => f != "context"))}, context.NAME"];
                    break;
            }
        }
        var parsed = Build(s, errors, q, userId, anonymousId, filter, sort, recipe, count, offset, fields, facets, explain,
            new FilterContext(contextValues, s.Time.GetUtcNow()), contextValues, token);
        return AnswerAsync(context, s, parsed);
    }

    public static async Task<IResult> PostSearch(HttpContext context, AttuneServices s)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var root = body!.Records[0];
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var contextValues = new Dictionary<string, object?>(StringComparer.Ordinal);
            var fields = new List<string>();
            var facets = new List<string>();
            var now = s.Time.GetUtcNow();
            FilterContext? filterContext = null;
            string? q = null, userId = null, anonymousId = null, filter = null, sort = null, recipe = null, token = null;
            int? count = null, offset = null;
            bool explain = true;
            foreach (var p in root.EnumerateObject())
            {
                var v = p.Value;
                if (v.ValueKind == JsonValueKind.Null && s_fields.Contains(p.Name)) continue;
                switch (p.Name)
                {
                    case "q": q = Text(v, p.Name, errors); break;
                    case "userId": userId = Text(v, p.Name, errors) is { } u ? RecommendationsApi.Id(u, p.Name, errors) : null; break;
                    case "anonymousId": anonymousId = Text(v, p.Name, errors) is { } a ? RecommendationsApi.Id(a, p.Name, errors) : null; break;
                    case "userToken": token = Text(v, p.Name, errors); break;
                    case "filter": filter = Text(v, p.Name, errors); break;
                    case "sort": sort = Text(v, p.Name, errors); break;
                    case "recipe": recipe = Text(v, p.Name, errors); break;
                    case "count": count = Whole(v, p.Name, errors); break;
                    case "offset": offset = Whole(v, p.Name, errors); break;
                    case "fields": RecommendationsApi.StringList(v, p.Name, fields, errors, ids: false); break;
                    case "facets": RecommendationsApi.StringList(v, p.Name, facets, errors, ids: false); break;
                    case "explain":
                        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) explain = v.GetBoolean();
                        else errors[p.Name] = ["must be true or false"];
                        break;
                    case "context":
                        if (v.ValueKind != JsonValueKind.Object) { errors[p.Name] = ["must be a JSON object"]; break; }
                        filterContext = FilterContext.FromJson(v, now);
                        RecommendationsApi.Flatten(v, "", contextValues);
                        break;
                    default:
                        errors[p.Name] = [$"unknown field; known fields: {string.Join(", ", s_fields)}"];
                        break;
                }
            }
            var parsed = Build(s, errors, q, userId, anonymousId, filter, sort, recipe, count, offset, fields, facets, explain,
                filterContext ?? new FilterContext(contextValues, now), contextValues, token);
            return await AnswerAsync(context, s, parsed);
        }
    }

    private static Parsed Build(AttuneServices s, Dictionary<string, string[]> errors, string? q, string? userId, string? anonymousId,
        string? filterText, string? sort, string? recipe, int? count, int? offset, List<string> fields, List<string> facets, bool explain,
        FilterContext filterContext,
        Dictionary<string, object?> contextValues, string? token)
    {
        int max = s.Serving.Options.MaxCount;
        if (string.IsNullOrWhiteSpace(q) && !errors.ContainsKey("q")) errors["q"] = ["is required: what the person searched for"];
        else if (q is { Length: > 1_000 }) errors["q"] = ["at most 1,000 characters"];
        if (count is { } c && (c < 1 || c > max)) errors["count"] = [$"must be from 1 to {max}"];
        if (offset is < 0) errors["offset"] = ["must be 0 or more"];
        sort ??= "relevance";
        if (!s_sorts.Contains(sort, StringComparer.Ordinal)) errors["sort"] = [$"unknown order '{sort}'; known: {string.Join(", ", s_sorts)}"];
        int take = count ?? 20, skip = offset ?? 0;
        ItemFilter? filter = null;
        if (filterText is not null && !ItemFilter.TryParse(filterText, out filter, out var error)) errors["filter"] = [error!.Message];
        foreach (string f in fields)
            if (!RecommendationsApi.s_itemFields.Contains(f, StringComparer.Ordinal))
                errors["fields"] = [$"unknown item field '{f}'; known: {string.Join(", ", RecommendationsApi.s_itemFields)}"];
        if (facets.Count > 0 && SearchFacets.Check(s.Serving, facets) is { } facetProblem) errors["facets"] = [facetProblem];
        if (recipe is not null && !s.Serving.Recipes.TryGet(recipe, out _))
            errors["recipe"] = [$"unknown recipe '{recipe}'; known: {string.Join(", ", s.Serving.Recipes.All.Select(r => r.Name))}"];
        if (errors.Count > 0) return new Parsed(null, 0, 0, sort, [], [], token, errors);
        var request = new RecommendationRequest
        {
            UserId = userId,
            AnonymousId = anonymousId,
            Scenario = Scenario,
            Query = q,
            Recipe = recipe,
            // A page past the most one answer holds is empty rather than an error; another order than relevance re-sorts the
            // most one answer holds.
            Count = sort == "relevance" ? Math.Min(max, skip + take) : max,
            Filter = filter,
            Explain = explain,
            Context = filterContext,
            Device = contextValues.GetValueOrDefault("device") as string,
            Country = (contextValues.GetValueOrDefault("geo.country") ?? contextValues.GetValueOrDefault("country")) as string,
        };
        return new Parsed(request, skip, take, sort, [.. fields.Distinct()], [.. facets.Distinct()], token, errors);
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, AttuneServices s, Parsed parsed)
    {
        if (parsed.Request is not { } request)
            return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", parsed.Errors.Select(e => $"{e.Key}: {e.Value[0]}")), parsed.Errors);
        if (RecommendationsApi.Refusal(context, s, request, parsed.UserToken) is { } refusal) return refusal;
        Recommendation answer;
        try
        {
            answer = s.Serving.Recommend(request);
        }
        catch (RecommendationException e)
        {
            return Problems.BadField(e.Field, e.Message);
        }
        var ordered = Order(answer.Items, parsed.Sort);
        var page = new List<RecommendedItem>(parsed.Count);
        for (int i = parsed.Offset; i < ordered.Count && page.Count < parsed.Count; i++) page.Add(ordered[i]);
        await using var w = RecommendationsApi.JsonAnswer(context.Response);
        w.WriteStartObject();
        w.WriteString("searchId", answer.RecommendationId);
        w.WriteString("query", request.Query);
        RecommendationsApi.WriteServedBy(w, answer);
        w.WriteString("sort", parsed.Sort);
        // What the query asks for beyond its words, so the page can show it ("under 100 · Stride").
        var meaning = s.Serving.Search.Interpret(request.Query!);
        if (!meaning.IsEmpty)
        {
            w.WriteStartObject("interpretation");
            w.WriteString("text", meaning.Text);
            if (meaning.MinPrice is { } min) w.WriteNumber("minPrice", min);
            if (meaning.MaxPrice is { } max) w.WriteNumber("maxPrice", max);
            if (meaning.Brand is { } brand) w.WriteString("brand", brand);
            if (meaning.Category is { } category) w.WriteString("category", category);
            if (meaning.Color is { } color) w.WriteString("color", color);
            w.WriteEndObject();
        }
        // No item matched a word of the query: what is shown is related by meaning only (the page can say so).
        if (answer.Items.Count > 0 && !s.Serving.Search.MatchesWords(request.Query!)) w.WriteBoolean("relatedOnly", true);
        w.WriteNumber("offset", parsed.Offset);
        var search = s.Serving.Search;
        string q = meaning.Text;
        // Each result's title with the query's words marked, for the results page.
        RecommendationsApi.WriteItems(w, page, parsed.Fields, (w, item) =>
        {
            if (item.Item?.Title is { } title) w.WriteString("highlight", search.Highlight(q, title));
        });
        if (parsed.Facets.Length > 0)
        {
            w.WriteStartObject("facets");
            foreach (var (field, values) in SearchFacets.Count(s.Serving, request, parsed.Facets))
            {
                w.WriteStartArray(field);
                foreach (var v in values)
                {
                    w.WriteStartObject();
                    w.WriteString("value", v.Value);
                    w.WriteNumber("count", v.Count);
                    if (v.From is { } from) w.WriteNumber("from", from);
                    if (v.To is { } to) w.WriteNumber("to", to);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
        await w.FlushAsync();
        return Results.Empty;
    }

    /// <summary>In another order than relevance, matches scoring below this share of the best are left out: sorted by price, a
    /// faint match (a prefix, a typo's neighbour) would otherwise come first.</summary>
    public const float RelevantShare = 0.2f;

    /// <summary>The answer in the asked order (ties keep relevance; items without a price or date last), positions renumbered.</summary>
    private static IReadOnlyList<RecommendedItem> Order(IReadOnlyList<RecommendedItem> items, string sort)
    {
        if (sort == "relevance" || items.Count == 0) return items;
        float floor = RelevantShare * items[0].Score;
        var keyed = items.Where(item => item.Score >= floor).Select((item, rank) => (item, rank, key: sort switch
        {
            "price" => item.Item?.Price ?? double.PositiveInfinity,
            "price-desc" => -(item.Item?.Price ?? double.NegativeInfinity),
            _ => -(item.Item?.PublishedAt?.ToUnixTimeMilliseconds() ?? long.MinValue / 2),
        })).OrderBy(x => x.key).ThenBy(x => x.rank);
        return [.. keyed.Select((x, k) => x.item with { Position = k + 1 })];
    }

    private static string? Text(JsonElement v, string field, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        errors[field] = ["must be a string"];
        return null;
    }

    private static int? Whole(JsonElement v, string field, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)) return n;
        errors[field] = ["must be a whole number"];
        return null;
    }

    internal static int? Whole(string value, string field, Dictionary<string, string[]> errors)
    {
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n)) return n;
        errors[field] = ["must be a whole number"];
        return null;
    }
}
