using System.Globalization;
using System.Text.Json.Serialization;
using Attune.Experiments.Assignment;
using Attune.Serving.Flags;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// Feature flags and progressive rollouts: GrowthBook feature definitions (default value; force, rollout and experiment rules
/// with conditions, coverage and hash attributes), stored versioned, evaluated server-side per person with the same
/// assignment engine as experiments (<c>Attune.Experiments.Assignment</c>, GrowthBook SDK spec v5). docs/flags.md has examples.
/// </summary>
public static class FlagsApi
{
    public static IEndpointRouteBuilder MapFlagsApi(this IEndpointRouteBuilder app)
    {
        // Mapped before the {key} routes' group; a literal segment wins over a parameter anyway, and "evaluate" is not a valid key.
        app.MapGet("/v1/flags/evaluate", Evaluate)
            .WithTags("Flags")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .WithName("EvaluateFlags")
            .WithSummary("Every flag's value for one person, with the rule or experiment that decided it")
            .WithDescription("Query: userId or anonymousId, and context values as context.NAME=value (a number when it parses as one, " +
                "true/false as booleans, else a string). Conditions see these attributes: the user record's attributes (PUT /v1/users), " +
                "then the context values (which win), then 'id' (the userId, else the anonymousId), 'userId' and 'anonymousId'. " +
                "Rules hash on 'id' unless they name another hashAttribute. Answer: {\"userId\", \"anonymousId\", \"flags\": {key: " +
                "{\"value\", \"source\" (defaultValue, force, experiment, prerequisite, cyclicPrerequisite), \"ruleId\", \"experiment\": " +
                "{\"key\", \"variationId\", \"variationKey\", \"variationName\", \"inExperiment\", \"hashAttribute\", \"hashValue\", \"bucket\"} or null}}}.")
            .Produces<FlagsEvaluation>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        var api = app.MapGroup("/v1/flags").WithTags("Flags").WithMetadata(new RequiredScope(Scope.Admin));

        api.MapGet("/", async (AttuneServices s, CancellationToken ct) =>
            {
                await s.Serving.Flags.EnsureLoadedAsync(ct);
                return TypedResults.Ok(s.Serving.Flags.All);
            })
            .WithName("ListFlags")
            .WithSummary("Every flag (by key) with its version, default value and rules")
            .Produces<IReadOnlyList<Flag>>();

        api.MapGet("/{key}", Get)
            .WithName("GetFlag")
            .WithSummary("A flag as stored; ?version=N reads an earlier version")
            .Produces<Flag>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{key}/versions", Versions)
            .WithName("ListFlagVersions")
            .WithSummary("Every stored version of a flag, oldest first, with its time (a deletion is a version too)")
            .Produces<IReadOnlyList<Flag>>();

        api.MapPut("/{key}", Put)
            .WithName("PutFlag")
            .WithSummary("Create or change a flag (a new version); every node evaluates it from the next request")
            .WithDescription("Body: a GrowthBook feature definition, {\"description\", \"defaultValue\", \"rules\": [rule…]}. A rule is a " +
                "force rule {\"id\", \"condition\", \"force\": value} (with \"coverage\": 0.2 it is a percentage rollout hashed on " +
                "\"hashAttribute\", default id; \"range\": [0, 0.2] and \"seed\" pin the slice) or an experiment rule {\"key\", " +
                "\"variations\": [a, b], \"weights\", \"coverage\", \"hashAttribute\", \"hashVersion\", \"seed\", \"meta\", \"condition\", " +
                "\"namespace\", \"filters\"}; any rule may have \"parentConditions\" (prerequisite flags). Conditions use the MongoDB-style " +
                "language ($eq, $in, $gt, $regex, $elemMatch, $vgte, $and, $or, $not …). Bad input answers 400 naming each field.")
            .Accepts<Flag>("application/json")
            .Produces<Flag>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{key}", Delete)
            .WithName("DeleteFlag")
            .WithSummary("Delete a flag (its versions stay readable)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<IResult> Get(string key, string? version, AttuneServices s, CancellationToken ct)
    {
        if (FlagReader.CheckKey(key) is { } bad) return Problems.BadField("key", bad);
        if (version is not null)
        {
            if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1)
                return Problems.BadField("version", "must be a whole number from 1");
            var history = await s.Serving.Flags.HistoryAsync(key, ct);
            return history.FirstOrDefault(f => f.Version == v) is { } old ? TypedResults.Ok(old) : Problems.NotFound("Flag version", $"{key}@{v}");
        }
        await s.Serving.Flags.EnsureLoadedAsync(ct);
        return s.Serving.Flags.TryGet(key, out var flag) ? TypedResults.Ok(flag) : Problems.NotFound("Flag", key);
    }

    public static async Task<IResult> Versions(string key, AttuneServices s, CancellationToken ct)
    {
        if (FlagReader.CheckKey(key) is { } bad) return Problems.BadField("key", bad);
        var history = await s.Serving.Flags.HistoryAsync(key, ct);
        return history.Count == 0 ? Problems.NotFound("Flag", key) : TypedResults.Ok(history);
    }

    public static async Task<IResult> Put(string key, HttpContext context, AttuneServices s)
    {
        if (FlagReader.CheckKey(key) is { } bad) return Problems.BadField("key", bad);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var flag = FlagReader.Read(body!.Records[0], key, errors);
            if (flag is null)
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
            return TypedResults.Ok(await s.Serving.Flags.PutAsync(flag, context.RequestAborted));
        }
    }

    public static async Task<IResult> Delete(string key, AttuneServices s, CancellationToken ct)
    {
        if (FlagReader.CheckKey(key) is { } bad) return Problems.BadField("key", bad);
        return await s.Serving.Flags.DeleteAsync(key, ct) ? TypedResults.NoContent() : Problems.NotFound("Flag", key);
    }

    public static async Task<IResult> Evaluate(HttpContext context, AttuneServices s)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? userId = null, anonymousId = null;
        var contextValues = new List<(string Name, AttributeValue Value)>();
        foreach (var (key, values) in context.Request.Query)
        {
            string value = values.ToString();
            switch (key)
            {
                case "userId": userId = Id(value, key, errors); break;
                case "anonymousId": anonymousId = Id(value, key, errors); break;
                default:
                    if (key.StartsWith("context.", StringComparison.Ordinal) && key.Length > 8)
                    {
                        // As GET /v1/recommendations reads context values.
                        contextValues.Add((key[8..], double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? d
                            : value is "true" or "false" ? value == "true" : value));
                    }
                    else errors[key] = ["unknown parameter; known: userId, anonymousId, context.NAME"];
                    break;
            }
        }
        if (userId is null && anonymousId is null && errors.Count == 0) errors["userId"] = ["give userId or anonymousId"];
        if (errors.Count > 0) return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);

        await s.Serving.Flags.EnsureLoadedAsync(context.RequestAborted);
        // REVIEW: no sticky bucketing here yet (the engine has it): a rule hashed on 'id' may change its answer at sign-in.
        var attributes = new Attributes();
        if (userId is not null && await s.Store.GetUserAsync(userId, context.RequestAborted) is { } user)
        {
            foreach (var (name, value) in user.Attributes) attributes[name] = value;
        }
        foreach (var (name, value) in contextValues) attributes[name] = value;
        attributes["id"] = userId ?? anonymousId;
        if (userId is not null) attributes["userId"] = userId;
        if (anonymousId is not null) attributes["anonymousId"] = anonymousId;

        var flags = new Dictionary<string, FlagValue>(StringComparer.Ordinal);
        foreach (var (key, r) in s.Serving.Flags.EvaluateAll(attributes))
        {
            var x = r.ExperimentResult;
            flags[key] = new FlagValue(r.Value, r.Source.WireName(), r.RuleId.Length == 0 ? null : r.RuleId,
                x is null ? null : new FlagExperiment(r.Experiment!.Key, x.VariationId, x.Key, x.Name, x.InExperiment, x.HashAttribute, x.HashValue, x.Bucket));
        }
        return TypedResults.Ok(new FlagsEvaluation(userId, anonymousId, flags));
    }

    private static string? Id(string value, string field, Dictionary<string, string[]> errors)
    {
        if (RecordReader.CheckId(value) is { } bad)
        {
            errors[field] = [bad];
            return null;
        }
        return value;
    }

    /// <param name="Flags">Flag key → its value for this person, by key.</param>
    public sealed record FlagsEvaluation(string? UserId, string? AnonymousId, IReadOnlyDictionary<string, FlagValue> Flags);

    /// <param name="Source">defaultValue, force, experiment, prerequisite or cyclicPrerequisite.</param>
    /// <param name="RuleId">The deciding rule's id (null when none decided, or it has no id).</param>
    /// <param name="Experiment">Set when an experiment rule decided.</param>
    public sealed record FlagValue(
        AttributeValue Value,
        string Source,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? RuleId,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] FlagExperiment? Experiment);

    /// <param name="Key">The experiment key (the rule's key, or the flag key).</param>
    /// <param name="VariationKey">The variation's meta key, or its index as text: what to log with an exposure.</param>
    /// <param name="Bucket">The person's hash in [0, 1).</param>
    public sealed record FlagExperiment(string Key, int VariationId, string VariationKey, string? VariationName, bool InExperiment,
        string HashAttribute, AttributeValue HashValue, double? Bucket);
}
