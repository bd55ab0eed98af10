using System.Globalization;
using System.Text.Json;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Filtering;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Server.Apis;

public static class RecommendationsApi
{
    /// <summary>
    /// The body's fields: the properties of <see cref="RecommendationInput"/>, the type the OpenAPI document shows, so the schema
    /// and the fields accepted cannot drift apart (a test sends each one).
    /// </summary>
    internal static readonly string[] s_bodyFields =
        [.. typeof(RecommendationInput).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))];

    /// <summary>Item fields a response may carry besides id, score, position and reasons.</summary>
    internal static readonly string[] s_itemFields =
        ["title", "description", "categories", "brand", "price", "currency", "inStock", "tags", "properties", "publishedAt"];

    public static IEndpointRouteBuilder MapRecommendationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Recommendations").WithMetadata(new RequiredScope(Scope.Serve));

        api.MapPost("/recommendations", PostRecommendations)
            .WithName("Recommend")
            .WithSummary("Recommendations for a person in a scenario")
            .WithDescription("Body: userId or anonymousId, scenario (for-you, similar, complementary, because-you-viewed, trending, " +
                "new-arrivals, cart-recovery, home-rows, or a configured one), count, context (device, geo, localTime, any values for " +
                "filters), itemId/itemIds (item and cart scenarios), filter (docs/filters.md), exclude, explain (default true), " +
                "recipe (a named serving configuration, GET /v1/recipes; default: the default recipe), " +
                "fields (item fields to include), userToken (with a client key and a userId; or the X-Attune-User-Token header). " +
                "The answer's recommendationId should be sent back on the click and purchase events it leads to.")
            .WithMetadata(new RequiredScope(Scope.Serve, Client: true))
            .Accepts<RecommendationInput>("application/json")
            .Produces<RecommendationOutput>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/recommendations", GetRecommendations)
            .WithName("RecommendByQuery")
            .WithSummary("Recommendations, the simple case as query parameters")
            .WithDescription("userId, anonymousId, scenario, recipe, count, itemId (repeat or comma-separate for several), filter, exclude " +
                "(comma-separated), explain, fields (comma-separated), and context values as context.NAME=value. A client key asking " +
                "for a userId sends the user token in the X-Attune-User-Token header (or userToken).")
            .WithMetadata(new RequiredScope(Scope.Serve, Client: true))
            .Produces<RecommendationOutput>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/recommendations/{id}", GetLoggedRecommendation)
            .WithName("GetRecommendation")
            .WithSummary("What a recommendation showed, and the events attributed to it")
            .Produces<LoggedRecommendation>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/rank", Rank)
            .WithName("Rank")
            .WithSummary("Order your own candidate items for a person")
            .WithDescription("Body: candidates (item ids, up to 1,000), userId or anonymousId, scenario whose blend to use (default for-you), " +
                "context, filter, explain, fields. Items that are not in the catalog come back in 'unknown'.")
            .WithMetadata(new RequiredScope(Scope.Serve, Client: true))
            .Accepts<RecommendationInput>("application/json")
            .Produces<RecommendationOutput>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/scenarios", (AttuneServices s) => TypedResults.Ok(s.Serving.Scenarios.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new ScenarioOutput(kv.Key, kv.Value.Description, kv.Value.Weights, kv.Value.Anchor.ToString(), kv.Value.RequireItem))
                .Append(new ScenarioOutput("home-rows", "Home page rows (top picks, because you viewed, trending, departments for the person, new arrivals)",
                    new Dictionary<string, float>(), "Recent", false))))
            .WithName("ListScenarios")
            .WithSummary("The scenarios this server answers, with their sources and weights");
        return app;
    }

    public static async Task<IResult> PostRecommendations(HttpContext context, AttuneServices s)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var parsed = ReadBody(body!.Records[0], s, rank: false);
            return await AnswerAsync(context, s, parsed, rank: false, BodyToken(body.Records[0]));
        }
    }

    public static async Task<IResult> Rank(HttpContext context, AttuneServices s)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var parsed = ReadBody(body!.Records[0], s, rank: true);
            return await AnswerAsync(context, s, parsed, rank: true, BodyToken(body.Records[0]));
        }
    }

    public static Task<IResult> GetRecommendations(HttpContext context, AttuneServices s)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var q = context.Request.Query;
        var contextValues = new Dictionary<string, object?>(StringComparer.Ordinal);
        string? filterText = null, scenario = null, userId = null, anonymousId = null, recipe = null, userToken = null;
        int? count = null;
        bool explain = true, fallback = false;
        var itemIds = new List<string>();
        var exclude = new List<string>();
        var fields = new List<string>();
        foreach (var (key, values) in q)
        {
            string value = values.ToString();
            switch (key)
            {
                case "userId": userId = Id(value, key, errors); break;
                case "anonymousId": anonymousId = Id(value, key, errors); break;
                case "scenario": scenario = value; break;
                case "recipe": recipe = value; break;
                case "userToken": userToken = value; break;
                case "count":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int c)) count = c;
                    else errors[key] = ["must be a whole number"];
                    break;
                case "itemId" or "itemIds":
                    foreach (string? v in values) foreach (string id in Split(v ?? "")) if (Id(id, key, errors) is { } ok) itemIds.Add(ok);
                    break;
                case "exclude":
                    foreach (string? v in values) exclude.AddRange(Split(v ?? ""));
                    break;
                case "fields":
                    foreach (string? v in values) fields.AddRange(Split(v ?? ""));
                    break;
                case "filter": filterText = value; break;
                case "explain":
                    if (value is "true" or "false") explain = value == "true";
                    else errors[key] = ["must be true or false"];
                    break;
                case "fallback":
                    if (value is "true" or "false") fallback = value == "true";
                    else errors[key] = ["must be true or false"];
                    break;
                default:
                    if (key.StartsWith("context.", StringComparison.Ordinal) && key.Length > 8)
                        contextValues[key[8..]] = ContextValue(value);
                    else errors[key] = ["unknown parameter; known: userId, anonymousId, userToken, scenario, recipe, count, itemId, filter, exclude, explain, fallback, fields, context.NAME"];
                    break;
            }
        }
        var now = s.Time.GetUtcNow();
        var parsed = Build(s, errors, userId, anonymousId, scenario, recipe, count, itemIds, exclude, fields, filterText, explain,
            new FilterContext(contextValues, now), contextValues, null, rank: false, fallback);
        return AnswerAsync(context, s, parsed, rank: false, userToken);
    }

    public static async Task<IResult> GetLoggedRecommendation(string id, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        var record = await s.Store.GetRecommendationAsync(id, ct);
        if (record is null) return Problems.NotFound("Recommendation", id);
        var events = await s.Store.GetAttributedEventsAsync(id, ct);
        var attributed = events.Select(e => new AttributedEvent(
            EventTypes.BuiltInNameOf(e.TypeCode) ?? $"custom:{e.TypeCode}",
            e.ItemId, DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs), e.ItemId is null ? null : IndexOf(record.ItemIds, e.ItemId) is >= 0 and var p ? p + 1 : null))
            .ToList();
        return TypedResults.Ok(new LoggedRecommendation(record.Id, record.Anonymous ? null : record.PersonId, record.Anonymous ? record.PersonId : null,
            record.Scenario, record.ModelVersion, record.Recipe, record.Experiment, record.Variant, record.Timestamp, record.ItemIds, attributed,
            attributed.Count(a => a.Type is "click" or "view"), attributed.Count(a => a.Type == "purchase")));
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }

    private sealed record Parsed(RecommendationRequest? Request, string[] Fields, Dictionary<string, string[]> Errors);

    private static Parsed ReadBody(JsonElement root, AttuneServices s, bool rank)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? userId = null, anonymousId = null, scenario = null, filterText = null, recipe = null;
        int? count = null;
        bool explain = true, fallback = false;
        var itemIds = new List<string>();
        var exclude = new List<string>();
        var fields = new List<string>();
        List<string>? candidates = rank ? [] : null;
        var contextValues = new Dictionary<string, object?>(StringComparer.Ordinal);
        FilterContext filterContext = FilterContext.Empty;
        var now = s.Time.GetUtcNow();
        bool hasContext = false;
        foreach (var p in root.EnumerateObject())
        {
            var v = p.Value;
            if (v.ValueKind == JsonValueKind.Null && s_bodyFields.Contains(p.Name)) continue; // null = not given
            switch (p.Name)
            {
                case "userId": userId = v.ValueKind == JsonValueKind.String ? Id(v.GetString()!, p.Name, errors) : Error(errors, p.Name, "must be a string"); break;
                case "anonymousId": anonymousId = v.ValueKind == JsonValueKind.String ? Id(v.GetString()!, p.Name, errors) : Error(errors, p.Name, "must be a string"); break;
                case "scenario": scenario = v.ValueKind == JsonValueKind.String ? v.GetString() : Error(errors, p.Name, "must be a string"); break;
                case "recipe": recipe = v.ValueKind == JsonValueKind.String ? v.GetString() : Error(errors, p.Name, "must be a recipe name"); break;
                case "count":
                    if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int c)) count = c;
                    else errors[p.Name] = ["must be a whole number"];
                    break;
                case "itemId":
                    if (v.ValueKind == JsonValueKind.String) { if (Id(v.GetString()!, p.Name, errors) is { } id) itemIds.Insert(0, id); }
                    else errors[p.Name] = ["must be a string"];
                    break;
                case "itemIds": StringList(v, p.Name, itemIds, errors, ids: true); break;
                case "exclude": StringList(v, p.Name, exclude, errors, ids: false); break;
                case "fields": StringList(v, p.Name, fields, errors, ids: false); break;
                case "candidates" when rank: StringList(v, p.Name, candidates!, errors, ids: true); break;
                case "filter": filterText = v.ValueKind == JsonValueKind.String ? v.GetString() : Error(errors, p.Name, "must be a filter expression string"); break;
                case "explain":
                    if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) explain = v.GetBoolean();
                    else errors[p.Name] = ["must be true or false"];
                    break;
                case "fallback":
                    if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) fallback = v.GetBoolean();
                    else errors[p.Name] = ["must be true or false"];
                    break;
                case "userToken":
                    if (v.ValueKind != JsonValueKind.String) errors[p.Name] = ["must be a string (a user token)"];
                    break; // checked by AnswerAsync for client keys
                case "context":
                    if (v.ValueKind != JsonValueKind.Object) { errors[p.Name] = ["must be a JSON object"]; break; }
                    hasContext = true;
                    filterContext = FilterContext.FromJson(v, now);
                    Flatten(v, "", contextValues);
                    break;
                default:
                    errors[p.Name] = [$"unknown field; known fields: {string.Join(", ", s_bodyFields.Where(f => rank || f != "candidates"))}"];
                    break;
            }
        }
        if (rank && candidates!.Count == 0 && !errors.ContainsKey("candidates")) errors["candidates"] = ["is required: the item ids to order"];
        if (rank && candidates!.Count > 1000) errors["candidates"] = ["at most 1,000 items"];
        return Build(s, errors, userId, anonymousId, scenario, recipe, count, itemIds, exclude, fields, filterText, explain,
            hasContext ? filterContext : new FilterContext(contextValues, now), contextValues, candidates, rank, fallback);
    }

    private static Parsed Build(AttuneServices s, Dictionary<string, string[]> errors, string? userId, string? anonymousId, string? scenario,
        string? recipe, int? count, List<string> itemIds, List<string> exclude, List<string> fields, string? filterText, bool explain,
        FilterContext filterContext, Dictionary<string, object?> contextValues, List<string>? candidates, bool rank, bool fallback)
    {
        int max = s.Serving.Options.MaxCount;
        if (count is { } c && (c < 1 || c > max)) errors["count"] = [$"must be from 1 to {max}"];
        ItemFilter? filter = null;
        if (filterText is not null && !ItemFilter.TryParse(filterText, out filter, out var error)) errors["filter"] = [error!.Message];
        foreach (string f in fields)
        {
            if (!s_itemFields.Contains(f, StringComparer.Ordinal)) errors["fields"] = [$"unknown item field '{f}'; known: {string.Join(", ", s_itemFields)}"];
        }
        if (itemIds.Count > 100) errors["itemIds"] = ["at most 100 items"];
        if (recipe is not null && !s.Serving.Recipes.TryGet(recipe, out _))
            errors["recipe"] = [$"unknown recipe '{recipe}'; known: {string.Join(", ", s.Serving.Recipes.All.Select(r => r.Name))}"];
        if (exclude.Count > 1000) errors["exclude"] = ["at most 1,000 items"];
        if (errors.Count > 0) return new Parsed(null, [], errors);
        var request = new RecommendationRequest
        {
            UserId = userId,
            AnonymousId = anonymousId,
            Scenario = scenario ?? "for-you",
            Recipe = recipe,
            Count = rank ? null : count,
            ItemIds = itemIds,
            Filter = filter,
            Exclude = exclude,
            Explain = explain,
            Context = filterContext,
            Device = contextValues.GetValueOrDefault("device") as string,
            Country = (contextValues.GetValueOrDefault("geo.country") ?? contextValues.GetValueOrDefault("country")) as string,
            LocalHour = contextValues.GetValueOrDefault("localTime") is string local ? Serving.Training.ContextKeys.HourOf(local)
                : contextValues.GetValueOrDefault("hour") is double h && h is >= 0 and < 24 ? (int)h : null,
            Candidates = candidates,
            Fallback = fallback,
        };
        return new Parsed(request, [.. fields.Distinct()], errors);
    }

    private static string? BodyToken(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("userToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    private static async Task<IResult> AnswerAsync(HttpContext context, AttuneServices s, Parsed parsed, bool rank, string? userToken)
    {
        if (parsed.Request is null)
            return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", parsed.Errors.Select(e => $"{e.Key}: {e.Value[0]}")), parsed.Errors);
        if (Refusal(context, s, parsed.Request, userToken) is { } refusal) return refusal;
        Recommendation answer;
        try
        {
            answer = rank ? s.Serving.Rank(parsed.Request) : s.Serving.Recommend(parsed.Request);
        }
        catch (RecommendationException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            return Problems.Result(StatusCodes.Status404NotFound, "Item not found", $"{e.Field}: {e.Message}",
                new Dictionary<string, string[]> { [e.Field] = [e.Message] });
        }
        catch (RecommendationException e)
        {
            return Problems.BadField(e.Field, e.Message);
        }
        await Write(context.Response, answer, parsed.Fields);
        return Results.Empty;
    }

    /// <summary>Why a request for a person's answer cannot be served now, or null: a client key asks for a user's answers only
    /// with that user's token (anonymous ids and strangers need none), and nothing is served before the first model.</summary>
    internal static IResult? Refusal(HttpContext context, AttuneServices s, RecommendationRequest request, string? userToken)
    {
        if (request.UserId is { } userId
            && ClientKeyRules.For(context, context.RequestServices.GetRequiredService<UserTokens>())?.Check(userId, userToken) is { } refused)
            return ClientKeyRules.Refusal(refused);
        if (s.Serving.IsReady) return null;
        context.Response.Headers.RetryAfter = "5";
        return Problems.Result(StatusCodes.Status503ServiceUnavailable, "Models are not ready",
            "The first model is still training; try again in a few seconds (GET /ready tells when).");
    }

    /// <summary>The answer's recipe, experiment, model version and whether it is personal: the fields every answer starts with.</summary>
    internal static void WriteServedBy(Utf8JsonWriter w, Recommendation answer)
    {
        if (answer.Recipe is not null) w.WriteString("recipe", answer.Recipe);
        if (answer.Experiment is { } experiment)
        {
            w.WriteStartObject("experiment");
            w.WriteString("id", experiment.Id);
            w.WriteString("variant", experiment.Variant);
            w.WriteNumber("phase", experiment.Phase);
            w.WriteEndObject();
        }
        if (answer.ModelVersion is not null) w.WriteString("modelVersion", answer.ModelVersion);
        w.WriteBoolean("personalized", answer.Personalized);
    }

    /// <summary>A <c>context.NAME=value</c> of a query string, typed: a number, a boolean, or text.</summary>
    internal static object ContextValue(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d
            : value is "true" or "false" ? value == "true" : value;

    /// <summary>Starts a 200 JSON answer written straight to the response body (text left unescaped, as the API's answers are).</summary>
    internal static Utf8JsonWriter JsonAnswer(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        return new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static async Task Write(HttpResponse response, Recommendation answer, string[] fields)
    {
        await using var w = JsonAnswer(response);
        w.WriteStartObject();
        w.WriteString("recommendationId", answer.RecommendationId);
        w.WriteString("scenario", answer.Scenario);
        WriteServedBy(w, answer);
        if (answer.Title is not null) w.WriteString("title", answer.Title);
        if (answer.Fallback) w.WriteBoolean("fallback", true);
        WriteItems(w, answer.Items, fields);
        if (answer.Rows is { } rows)
        {
            w.WriteStartArray("rows");
            foreach (var row in rows)
            {
                w.WriteStartObject();
                w.WriteString("id", row.Id);
                w.WriteString("title", row.Title);
                w.WriteString("scenario", row.Scenario);
                WriteItems(w, row.Items, fields);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (answer.Unknown is { } unknown)
        {
            w.WriteStartArray("unknown");
            foreach (string id in unknown) w.WriteStringValue(id);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        await w.FlushAsync();
    }

    internal static void WriteItems(Utf8JsonWriter w, IReadOnlyList<RecommendedItem> items, string[] fields,
        Action<Utf8JsonWriter, RecommendedItem>? more = null)
    {
        w.WriteStartArray("items");
        foreach (var item in items)
        {
            w.WriteStartObject();
            w.WriteString("id", item.Id);
            w.WriteNumber("score", item.Score);
            w.WriteNumber("position", item.Position);
            w.WriteStartArray("reasons");
            foreach (string r in item.Reasons) w.WriteStringValue(r);
            w.WriteEndArray();
            if (item.ReasonItems is { Count: > 0 } named)
            {
                w.WriteStartArray("reasonItems");
                foreach (string id in named) w.WriteStringValue(id);
                w.WriteEndArray();
            }
            if (item.Item is { } it)
            {
                foreach (string f in fields)
                {
                    switch (f)
                    {
                        case "title": if (it.Title is not null) w.WriteString(f, it.Title); break;
                        case "description": if (it.Description is not null) w.WriteString(f, it.Description); break;
                        case "brand": if (it.Brand is not null) w.WriteString(f, it.Brand); break;
                        case "price": if (it.Price is { } price) w.WriteNumber(f, price); break;
                        case "currency": if (it.Currency is not null) w.WriteString(f, it.Currency); break;
                        case "inStock": w.WriteBoolean(f, it.InStock); break;
                        case "publishedAt": if (it.PublishedAt is { } at) w.WriteString(f, at); break;
                        case "categories":
                            w.WriteStartArray(f);
                            foreach (string c in it.Categories) w.WriteStringValue(c);
                            w.WriteEndArray();
                            break;
                        case "tags":
                            w.WriteStartArray(f);
                            foreach (string t in it.Tags) w.WriteStringValue(t);
                            w.WriteEndArray();
                            break;
                        case "properties":
                            w.WritePropertyName(f);
                            JsonSerializer.Serialize(w, it.Properties, AttuneJson.Options);
                            break;
                    }
                }
            }
            more?.Invoke(w, item);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    internal static void Flatten(JsonElement obj, string prefix, Dictionary<string, object?> into)
    {
        foreach (var p in obj.EnumerateObject())
        {
            string key = prefix + p.Name;
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.Object: Flatten(p.Value, key + ".", into); break;
                case JsonValueKind.String: into[key] = p.Value.GetString(); break;
                case JsonValueKind.Number: into[key] = p.Value.GetDouble(); break;
                case JsonValueKind.True or JsonValueKind.False: into[key] = p.Value.GetBoolean(); break;
            }
        }
    }

    internal static void StringList(JsonElement v, string name, List<string> into, Dictionary<string, string[]> errors, bool ids)
    {
        if (v.ValueKind != JsonValueKind.Array) { errors[name] = ["must be an array of strings"]; return; }
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String) { errors[$"{name}[{i}]"] = ["must be a string"]; return; }
            string s = e.GetString()!;
            if (ids && RecordReader.CheckId(s) is { } bad) { errors[$"{name}[{i}]"] = [bad]; return; }
            into.Add(s);
            i++;
        }
    }

    internal static string? Id(string value, string field, Dictionary<string, string[]> errors)
    {
        if (RecordReader.CheckId(value) is { } bad)
        {
            errors[field] = [bad];
            return null;
        }
        return value;
    }

    private static string? Error(Dictionary<string, string[]> errors, string field, string message)
    {
        errors[field] = [message];
        return null;
    }

    internal static IEnumerable<string> Split(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
