using System.Text.Json;

namespace Attune.Experiments.Definitions;

/// <summary>What a rollout may name: the engine's recipes (and whether one pins a model version), stored model versions, scenarios.</summary>
/// <param name="RecipePins">A recipe's pinned model version (null = serves the active one), or false when there is no such recipe.</param>
public sealed record RolloutReferences(RolloutReferences.PinLookup RecipePins, Func<string, bool> ModelVersionExists, IReadOnlyCollection<string> Scenarios)
{
    public delegate bool PinLookup(string recipe, out string? modelVersion);
}

/// <summary>
/// Reads <c>POST /v1/rollouts</c>: <c>{"id", "name", "recipe" | "modelVersion", "baseline", "scenarios", "steps",
/// "waitMinutes", "guardrails"}</c>. <c>steps</c> are percents (<c>[1, 5, 25, 50, 100]</c>, each waiting
/// <c>waitMinutes</c>) or <c>{"percent", "waitMinutes"}</c> objects; rising, the last 100. Every problem is named by field.
/// </summary>
public static class RolloutReader
{
    private static readonly string[] s_fields = ["id", "name", "recipe", "modelVersion", "baseline", "scenarios", "steps", "waitMinutes", "guardrails"];
    private static readonly string[] s_guardrailFields = ["maxErrorRate", "maxLatencyP99Ms", "maxLatencyIncrease", "latencyToleranceMs", "metric", "minAnswers", "latencyMinAnswers", "alpha"];

    public static Rollout? Read(JsonElement json, RolloutReferences refs, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["must be a JSON object"];
            return null;
        }
        string? id = null, name = null, recipe = null, version = null, baseline = Recipes.Default;
        List<string> scenarios = [];
        JsonElement? steps = null;
        double wait = RolloutStep.DefaultWaitMinutes;
        var guardrails = new RolloutGuardrails();
        foreach (var p in json.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "id":
                    if (v.ValueKind != JsonValueKind.String) errors["id"] = ["must be a string"];
                    else if (ExperimentReader.CheckId(v.GetString()!) is { } bad) errors["id"] = [bad];
                    else id = v.GetString();
                    break;
                case "name":
                    if (v.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)) errors["name"] = ["must be a string"];
                    else name = v.GetString();
                    break;
                case "recipe":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.String || !refs.RecipePins(v.GetString()!, out _)) errors["recipe"] = ["must name a recipe (GET /v1/recipes)"];
                    else recipe = v.GetString();
                    break;
                case "modelVersion":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.String || !refs.ModelVersionExists(v.GetString()!)) errors["modelVersion"] = ["must name a stored model version (GET /v1/models)"];
                    else version = v.GetString();
                    break;
                case "baseline":
                    if (v.ValueKind != JsonValueKind.String || !refs.RecipePins(v.GetString()!, out _)) errors["baseline"] = ["must name a recipe (default: default)"];
                    else baseline = v.GetString();
                    break;
                case "scenarios": scenarios = ExperimentReader.ReadScenarios(v, refs.Scenarios, errors); break;
                case "steps": steps = v; break;
                case "waitMinutes":
                    if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is < 0 or > 525_600) errors["waitMinutes"] = ["must be minutes from 0 to 525600 (a year)"];
                    else wait = v.GetDouble();
                    break;
                case "guardrails": guardrails = ReadGuardrails(v, errors) ?? guardrails; break;
                default:
                    if (p.Name is "status" or "step" or "history" or "reason" or "origin" or "createdAt" or "updatedAt") break; // a GET's output sent back
                    errors[p.Name] = [$"unknown field; known fields: {string.Join(", ", s_fields)}"];
                    break;
            }
        }
        if (id is null && !errors.ContainsKey("id")) errors["id"] = ["is required"];
        if (recipe is null == version is null && !errors.ContainsKey("recipe") && !errors.ContainsKey("modelVersion"))
            errors["recipe"] = ["give exactly one of recipe (a recipe to ramp up) or modelVersion (a model version, served with the baseline recipe)"];
        if (recipe is not null && recipe == baseline) errors["recipe"] = ["is the baseline itself; name another recipe"];
        if (version is not null && baseline is not null && refs.RecipePins(baseline, out var pinned) && pinned is not null)
            errors["baseline"] = [$"pins model version {pinned}; a model version rolls out against a recipe that serves the active version"];
        var ladder = steps is { } s2 ? ReadSteps(s2, wait, errors) : RolloutStep.Of([1, 5, 25, 50, 100], wait);
        if (errors.Count > 0) return null;
        return new Rollout
        {
            Id = id!, Name = name, Recipe = recipe, ModelVersion = version, Baseline = baseline!, Scenarios = scenarios, Steps = ladder!, Guardrails = guardrails,
        };
    }

    private static List<RolloutStep>? ReadSteps(JsonElement v, double wait, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            errors["steps"] = ["must be an array of percents, e.g. [1, 5, 25, 50, 100], or of {\"percent\", \"waitMinutes\"}"];
            return null;
        }
        var list = new List<RolloutStep>();
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            string f = $"steps[{i++}]";
            double percent = double.NaN, minutes = wait;
            if (e.ValueKind == JsonValueKind.Number) percent = e.GetDouble();
            else if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name == "percent" && p.Value.ValueKind == JsonValueKind.Number) percent = p.Value.GetDouble();
                    else if (p.Name == "waitMinutes" && p.Value.ValueKind == JsonValueKind.Number && p.Value.GetDouble() is >= 0 and <= 525_600) minutes = p.Value.GetDouble();
                    else if (p.Name is "percent" or "waitMinutes") errors[$"{f}.{p.Name}"] = [p.Name == "percent" ? "must be a number" : "must be minutes from 0 to 525600"];
                    else errors[$"{f}.{p.Name}"] = ["unknown field; known fields: percent, waitMinutes"];
                }
            }
            else
            {
                errors[f] = ["must be a percent or {\"percent\", \"waitMinutes\"}"];
                continue;
            }
            if (double.IsNaN(percent)) { errors.TryAdd($"{f}.percent", ["is required"]); continue; }
            if (percent is <= 0 or > 100) errors[$"{f}.percent"] = ["must be above 0 and at most 100"];
            else if (list.Count > 0 && percent <= list[^1].Percent) errors[$"{f}.percent"] = [$"must rise: {percent:G4} follows {list[^1].Percent:G4}"];
            list.Add(new RolloutStep(percent, minutes));
        }
        if (list.Count > 0 && list[^1].Percent != 100 && !errors.Keys.Any(k => k.StartsWith("steps", StringComparison.Ordinal)))
            errors["steps"] = ["the last step must be 100 (everyone): a rollout ends with the new side serving all"];
        return list;
    }

    private static RolloutGuardrails? ReadGuardrails(JsonElement v, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors["guardrails"] = ["must be an object: " + string.Join(", ", s_guardrailFields)];
            return null;
        }
        var g = new RolloutGuardrails();
        foreach (var p in v.EnumerateObject())
        {
            string f = "guardrails." + p.Name;
            var x = p.Value;
            bool number = x.ValueKind == JsonValueKind.Number;
            switch (p.Name)
            {
                case "maxErrorRate":
                    if (!number || x.GetDouble() is < 0 or > 1) errors[f] = ["must be a rate from 0 to 1"]; else g = g with { MaxErrorRate = x.GetDouble() };
                    break;
                case "maxLatencyP99Ms":
                    if (x.ValueKind == JsonValueKind.Null) g = g with { MaxLatencyP99Ms = null };
                    else if (!number || x.GetDouble() <= 0) errors[f] = ["must be milliseconds above 0, or null"]; else g = g with { MaxLatencyP99Ms = x.GetDouble() };
                    break;
                case "maxLatencyIncrease":
                    if (!number || x.GetDouble() < 0) errors[f] = ["must be a fraction of the baseline's p99 (0.5 = +50 %)"]; else g = g with { MaxLatencyIncrease = x.GetDouble() };
                    break;
                case "latencyToleranceMs":
                    if (!number || x.GetDouble() < 0) errors[f] = ["must be milliseconds, 0 or more"]; else g = g with { LatencyToleranceMs = x.GetDouble() };
                    break;
                case "metric":
                    if (x.ValueKind != JsonValueKind.String || !Metrics.BuiltIn.TryGetValue(x.GetString()!, out var def) || def.Kind == MetricKind.Serving)
                        errors[f] = [$"must be a built-in people metric: {string.Join(", ", Metrics.BuiltIn.Values.Where(m => m.Kind != MetricKind.Serving).Select(m => m.Id))}"];
                    else g = g with { Metric = x.GetString()! };
                    break;
                case "minAnswers":
                    if (!number || !x.TryGetInt32(out int n) || n < 1) errors[f] = ["must be a whole number of answers, at least 1"]; else g = g with { MinAnswers = n };
                    break;
                case "latencyMinAnswers":
                    if (!number || !x.TryGetInt32(out int l) || l < 1) errors[f] = ["must be a whole number of answers, at least 1"]; else g = g with { LatencyMinAnswers = l };
                    break;
                case "alpha":
                    if (!number || x.GetDouble() is <= 0 or >= 0.5) errors[f] = ["must be above 0 and below 0.5"]; else g = g with { Alpha = x.GetDouble() };
                    break;
                default:
                    errors[f] = [$"unknown field; known fields: {string.Join(", ", s_guardrailFields)}"];
                    break;
            }
        }
        return g;
    }
}
