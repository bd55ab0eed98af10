using System.Text.Json;

namespace Attune.Experiments.Definitions;

/// <summary>What an experiment may refer to: the recipes and scenarios the server has, and a check of targeting conditions.</summary>
/// <param name="RecipeExists">Whether a recipe of that name is stored (or is the default).</param>
/// <param name="Scenarios">The scenario names answers can be asked for.</param>
/// <param name="CheckCondition">Null when the GrowthBook condition is valid, else why not.</param>
/// <param name="PointExists">Whether a decision point of that name exists (null: the server has no decision points).</param>
public sealed record ExperimentReferences(Func<string, bool> RecipeExists, IReadOnlyCollection<string> Scenarios, Func<JsonElement, string?> CheckCondition,
    Func<string, bool>? PointExists = null);

/// <summary>
/// Reads an experiment from a request body. Every problem is reported under its field's path (<c>variants[1].recipe</c>,
/// <c>metrics.primary</c>) so the HTTP layer answers 400 naming it; nothing is half-read.
/// </summary>
public static class ExperimentReader
{
    private static readonly string[] s_fields =
        ["id", "name", "hypothesis", "method", "variants", "coverage", "targeting", "hashAttribute", "namespace", "scenarios", "points", "metrics", "customMetrics", "analysis"];
    /// <summary>Written by the server; accepted and ignored so that what GET returns can be sent back.</summary>
    private static readonly string[] s_serverFields = ["status", "phases", "createdAt", "updatedAt"];
    private static readonly string[] s_hashAttributes = ["userId", "anonymousId"];
    private static readonly string[] s_engines = ["frequentist", "bayesian"];
    private static readonly string[] s_corrections = ["holm", "benjamini-hochberg", "none"];

    /// <summary>Ids and keys: 1 to 64 letters, digits, '-', '_' or '.'.</summary>
    public static string? CheckId(string id) =>
        id.Length is >= 1 and <= 64 && id.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") < 0
            ? null : "must be 1 to 64 letters, digits, '-', '_' or '.'";

    /// <param name="pathId">The id in the URL of a PUT; null for a POST (the body's id is required then).</param>
    public static Experiment? Read(JsonElement json, string? pathId, ExperimentReferences refs, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["must be a JSON object"];
            return null;
        }
        string? id = pathId, name = null, hypothesis = null;
        List<ExperimentVariant>? variants = null;
        double coverage = 1;
        JsonElement? targeting = null;
        string hashAttribute = "userId";
        ExperimentNamespace? ns = null;
        List<string> scenarios = [];
        List<string> points = [];
        var noRecipe = new List<int>();
        JsonElement? metricsJson = null;
        List<MetricDefinition> custom = [];
        var analysis = new ExperimentAnalysis();
        var method = ExperimentMethod.AB;
        foreach (var p in json.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "id":
                    if (v.ValueKind != JsonValueKind.String) errors["id"] = ["must be a string"];
                    else if (CheckId(v.GetString()!) is { } bad) errors["id"] = [bad];
                    else if (pathId is not null && v.GetString() != pathId) errors["id"] = [$"must be the id in the path ('{pathId}') when given"];
                    else id = v.GetString();
                    break;
                case "name": name = Text(v, "name", errors); break;
                case "hypothesis": hypothesis = Text(v, "hypothesis", errors); break;
                case "variants": variants = ReadVariants(v, refs, errors, noRecipe); break;
                case "method":
                    if (v.ValueKind == JsonValueKind.String && v.GetString() == "ab") method = ExperimentMethod.AB;
                    else if (v.ValueKind == JsonValueKind.String && v.GetString() == "interleaving") method = ExperimentMethod.Interleaving;
                    else errors["method"] = ["must be ab (split people between variants) or interleaving (team-draft: both recipes in one answer)"];
                    break;
                case "coverage":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out coverage) || coverage is < 0 or > 1) errors["coverage"] = ["must be a number from 0 to 1"];
                    break;
                case "targeting":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.Object) errors["targeting"] = ["must be a condition object (GrowthBook / MongoDB style), e.g. {\"country\": \"FR\"}"];
                    else if (refs.CheckCondition(v) is { } why) errors["targeting"] = [why];
                    else targeting = v.Clone();
                    break;
                case "hashAttribute":
                    if (v.ValueKind != JsonValueKind.String || Array.IndexOf(s_hashAttributes, v.GetString()) < 0) errors["hashAttribute"] = ["must be userId or anonymousId"];
                    else hashAttribute = v.GetString()!;
                    break;
                case "namespace":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    ns = ReadNamespace(v, errors);
                    break;
                case "scenarios": scenarios = ReadScenarios(v, refs.Scenarios, errors); break;
                case "points": points = ReadPoints(v, refs.PointExists, errors); break;
                case "metrics": metricsJson = v; break;
                case "customMetrics": custom = ReadCustomMetrics(v, errors); break;
                case "analysis": analysis = ReadAnalysis(v, errors) ?? analysis; break;
                default:
                    if (Array.IndexOf(s_serverFields, p.Name) >= 0) break;
                    errors[p.Name] = [$"unknown field; known fields: {string.Join(", ", s_fields)}"];
                    break;
            }
        }
        if (id is null && !errors.ContainsKey("id")) errors["id"] = ["is required"];
        if (variants is null && !errors.Keys.Any(k => k.StartsWith("variants", StringComparison.Ordinal))) errors["variants"] = ["is required: at least two {key, recipe, weight}"];
        ExperimentMetrics? metrics = null;
        if (metricsJson is null) errors["metrics"] = ["is required: {\"primary\": \"conversion\", \"secondary\": [...], \"guardrails\": [...]}"];
        else metrics = ReadMetrics(metricsJson.Value, custom, errors);
        // A decision-point experiment (points, no scenarios) needs no recipes; one that changes answers does.
        if (points.Count == 0 || scenarios.Count > 0)
            foreach (int i in noRecipe) errors[$"variants[{i}].recipe"] = ["is required"];
        if (points.Count == 0 && variants is not null)
            for (int i = 0; i < variants.Count; i++)
                if (variants[i].Policy is not null) errors[$"variants[{i}].policy"] = ["applies to decision points only: name them in points"];
        if (points.Count > 0 && method == ExperimentMethod.Interleaving) errors["points"] = ["decision points cannot be interleaved; use method ab"];
        if (method == ExperimentMethod.Interleaving && variants is { Count: not 2 }) errors["variants"] = ["an interleaving experiment compares exactly two recipes"];
        if (method == ExperimentMethod.Interleaving && scenarios.Exists(x => x.Equals("home-rows", StringComparison.OrdinalIgnoreCase)))
            errors["scenarios"] = ["home-rows cannot be interleaved; name the scenarios of its rows"];
        if (errors.Count > 0) return null;
        return new Experiment
        {
            Method = method,
            Id = id!, Name = name, Hypothesis = hypothesis, Variants = variants!, Coverage = coverage, Targeting = targeting,
            HashAttribute = hashAttribute, Namespace = ns, Scenarios = scenarios, Points = points, Metrics = metrics!, CustomMetrics = custom, Analysis = analysis,
        };
    }

    /// <summary>A <c>scenarios</c> array of known names (empty = every scenario); each unknown one is named by index.</summary>
    internal static List<string> ReadScenarios(JsonElement v, IReadOnlyCollection<string> known, Dictionary<string, string[]> errors)
    {
        var scenarios = new List<string>();
        if (v.ValueKind != JsonValueKind.Array)
        {
            errors["scenarios"] = ["must be an array of scenario names (empty = every scenario)"];
            return scenarios;
        }
        int k = 0;
        foreach (var s in v.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.String || !known.Contains(s.GetString()!, StringComparer.OrdinalIgnoreCase))
                errors[$"scenarios[{k}]"] = [$"unknown scenario; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}"];
            else scenarios.Add(s.GetString()!);
            k++;
        }
        return scenarios;
    }

    /// <summary>A <c>points</c> array of existing decision points' names; each unknown one is named by index.</summary>
    private static List<string> ReadPoints(JsonElement v, Func<string, bool>? exists, Dictionary<string, string[]> errors)
    {
        var points = new List<string>();
        if (v.ValueKind != JsonValueKind.Array)
        {
            errors["points"] = ["must be an array of decision point names"];
            return points;
        }
        int k = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String || exists is null || !exists(e.GetString()!))
                errors[$"points[{k}]"] = ["unknown decision point (create it with PUT /v1/decisions/{point})"];
            else if (!points.Contains(e.GetString()!)) points.Add(e.GetString()!);
            k++;
        }
        return points;
    }

    private static List<ExperimentVariant>? ReadVariants(JsonElement v, ExperimentReferences refs, Dictionary<string, string[]> errors, List<int> noRecipe)
    {
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() < 2)
        {
            errors["variants"] = ["must be an array of at least two {key, recipe, weight}; the first is the control"];
            return null;
        }
        int before = errors.Count, i = 0, missing = 0;
        var list = new List<ExperimentVariant>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        double sum = 0;
        foreach (var e in v.EnumerateArray())
        {
            string f = $"variants[{i++}]";
            if (e.ValueKind != JsonValueKind.Object) { errors[f] = ["must be {key, recipe, weight}"]; continue; }
            string? key = null, recipe = null, policy = null;
            double weight = double.NaN;
            foreach (var p in e.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "key":
                        if (p.Value.ValueKind != JsonValueKind.String || CheckId(p.Value.GetString()!) is not null) errors[$"{f}.key"] = ["must be 1 to 64 letters, digits, '-', '_' or '.'"];
                        else if (!keys.Add(p.Value.GetString()!)) errors[$"{f}.key"] = ["is used by another variant"];
                        else key = p.Value.GetString();
                        break;
                    case "recipe":
                        if (p.Value.ValueKind != JsonValueKind.String) errors[$"{f}.recipe"] = ["must be a recipe name"];
                        else if (!refs.RecipeExists(p.Value.GetString()!)) errors[$"{f}.recipe"] = [$"unknown recipe '{p.Value.GetString()}' (create it with PUT /v1/recipes/{{name}})"];
                        else recipe = p.Value.GetString();
                        break;
                    case "weight":
                        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out weight) || weight is < 0 or > 1) errors[$"{f}.weight"] = ["must be a number from 0 to 1"];
                        break;
                    case "policy":
                        if (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is "learned" or "control") policy = p.Value.GetString() == "control" ? "control" : null;
                        else errors[$"{f}.policy"] = ["must be learned (the point's learner, the default) or control (the point's controlAction)"];
                        break;
                    default:
                        errors[$"{f}.{p.Name}"] = ["unknown field; known fields: key, recipe, weight, policy"];
                        break;
                }
            }
            if (key is null && !errors.ContainsKey($"{f}.key")) errors[$"{f}.key"] = ["is required"];
            if (recipe is null && !errors.ContainsKey($"{f}.recipe")) noRecipe.Add(i - 1);
            if (key is not null && (recipe is not null || !errors.ContainsKey($"{f}.recipe")))
            {
                list.Add(new ExperimentVariant(key, recipe ?? "default", weight, policy));
                if (!double.IsNaN(weight)) sum += weight;
                else missing++;
            }
        }
        if (errors.Count > before) return null;
        if (missing == list.Count)
        {
            // No weights at all: equal shares (GrowthBook's getEqualWeights).
            return [.. list.Select(v => v with { Weight = 1.0 / list.Count })];
        }
        if (missing > 0)
        {
            errors["variants"] = ["give every variant a weight, or none (equal shares)"];
            return null;
        }
        if (Math.Abs(sum - 1) > 1e-6)
        {
            errors["variants"] = [$"the weights sum to {sum.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)}; they must sum to 1"];
            return null;
        }
        return list;
    }

    private static ExperimentNamespace? ReadNamespace(JsonElement v, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 3 && v[0].ValueKind == JsonValueKind.String && CheckId(v[0].GetString()!) is null
            && v[1].ValueKind == JsonValueKind.Number && v[2].ValueKind == JsonValueKind.Number)
        {
            double start = v[1].GetDouble(), end = v[2].GetDouble();
            if (start >= 0 && end <= 1 && start < end) return new ExperimentNamespace(v[0].GetString()!, start, end);
        }
        errors["namespace"] = ["must be [name, start, end] with 0 <= start < end <= 1"];
        return null;
    }

    private static ExperimentMetrics? ReadMetrics(JsonElement v, List<MetricDefinition> custom, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors["metrics"] = ["must be {\"primary\": id, \"secondary\": [ids], \"guardrails\": [ids]}"];
            return null;
        }
        int before = errors.Count;
        bool Known(string id) => Definitions.Metrics.BuiltIn.ContainsKey(id) || custom.Exists(m => m.Id == id);
        string KnownList() => string.Join(", ", Definitions.Metrics.BuiltIn.Keys.Concat(custom.Select(m => m.Id)));
        string? primary = null;
        List<string> secondary = [], guardrails = [];
        foreach (var p in v.EnumerateObject())
        {
            string f = $"metrics.{p.Name}";
            switch (p.Name)
            {
                case "primary":
                    if (p.Value.ValueKind != JsonValueKind.String || !Known(p.Value.GetString()!)) errors[f] = [$"unknown metric; known: {KnownList()}"];
                    else if (Definitions.Metrics.BuiltIn.TryGetValue(p.Value.GetString()!, out var m) && m.Kind == MetricKind.Serving)
                        errors[f] = ["a serving guardrail cannot be the primary metric; put it under guardrails"];
                    else primary = p.Value.GetString();
                    break;
                case "secondary" or "guardrails":
                    if (p.Value.ValueKind != JsonValueKind.Array) { errors[f] = ["must be an array of metric ids"]; break; }
                    int i = 0;
                    foreach (var e in p.Value.EnumerateArray())
                    {
                        if (e.ValueKind != JsonValueKind.String || !Known(e.GetString()!)) errors[$"{f}[{i}]"] = [$"unknown metric; known: {KnownList()}"];
                        else (p.Name == "secondary" ? secondary : guardrails).Add(e.GetString()!);
                        i++;
                    }
                    break;
                default:
                    errors[f] = ["unknown field; known fields: primary, secondary, guardrails"];
                    break;
            }
        }
        if (primary is null && !errors.ContainsKey("metrics.primary")) errors["metrics.primary"] = ["is required"];
        return errors.Count > before ? null : new ExperimentMetrics(primary!, secondary, guardrails);
    }

    private static List<MetricDefinition> ReadCustomMetrics(JsonElement v, Dictionary<string, string[]> errors)
    {
        var list = new List<MetricDefinition>();
        if (v.ValueKind != JsonValueKind.Array)
        {
            errors["customMetrics"] = ["must be an array of metric definitions"];
            return list;
        }
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            string f = $"customMetrics[{i++}]";
            MetricDefinition? m = null;
            try
            {
                m = e.Deserialize<MetricDefinition>(Model.AttuneJson.Options);
            }
            catch (JsonException x)
            {
                errors[f] = [$"not a metric definition ({x.Message.Split('.')[0]}); fields: id, name, kind, eventTypes, value, recommendedOnly, denominator, windowHours, inverse, capping"];
                continue;
            }
            if (m is null || m.Id is null || CheckId(m.Id) is not null) errors[$"{f}.id"] = ["must be 1 to 64 letters, digits, '-', '_' or '.'"];
            else if (Definitions.Metrics.BuiltIn.ContainsKey(m.Id) || list.Exists(x => x.Id == m.Id)) errors[$"{f}.id"] = ["is taken by another metric"];
            else if (m.Kind == MetricKind.Serving) errors[$"{f}.kind"] = ["must be binomial, mean or ratio"];
            else if (m.EventTypes.Count == 0) errors[$"{f}.eventTypes"] = ["must name at least one event type"];
            else if (m.EventTypes.Concat(m.Denominator?.EventTypes ?? []).FirstOrDefault(t => !Model.EventTypes.TryGetBuiltIn(t, out _) && t != "answer") is { } unknown)
                errors[$"{f}.eventTypes"] = [$"'{unknown}' is not a built-in event type; known: {string.Join(", ", Model.EventTypes.BuiltInNames.Order(StringComparer.Ordinal))} (custom types are not counted yet)"];
            else if (m.Kind == MetricKind.Ratio && m.Denominator is null) errors[$"{f}.denominator"] = ["is required for a ratio metric"];
            else if (m.WindowHours is <= 0) errors[$"{f}.windowHours"] = ["must be positive"];
            else if (m.Capping is not null && m.Kind == MetricKind.Binomial) errors[$"{f}.capping"] = ["only mean and ratio metrics are capped (a binomial value is 0 or 1)"];
            else if (m.Capping is { Type: CappingType.Absolute, Value: <= 0 or double.NaN }) errors[$"{f}.capping.value"] = ["an absolute cap must be above 0"];
            else if (m.Capping is { Type: CappingType.Percentile } p && p.Value is <= 0 or >= 1 or double.NaN) errors[$"{f}.capping.value"] = ["a percentile cap is a quantile above 0 and below 1, e.g. 0.99"];
            else list.Add(m);
        }
        return list;
    }

    private static ExperimentAnalysis? ReadAnalysis(JsonElement v, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors["analysis"] = ["must be an object"];
            return null;
        }
        var a = new ExperimentAnalysis();
        foreach (var p in v.EnumerateObject())
        {
            string f = $"analysis.{p.Name}";
            var x = p.Value;
            switch (p.Name)
            {
                case "engine":
                    if (x.ValueKind != JsonValueKind.String || Array.IndexOf(s_engines, x.GetString()) < 0) errors[f] = ["must be frequentist or bayesian"];
                    else a = a with { Engine = x.GetString()! };
                    break;
                case "correction":
                    if (x.ValueKind != JsonValueKind.String || Array.IndexOf(s_corrections, x.GetString()) < 0) errors[f] = ["must be holm, benjamini-hochberg or none"];
                    else a = a with { Correction = x.GetString()! };
                    break;
                case "sequential" or "cuped":
                    if (x.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) errors[f] = ["must be true or false"];
                    else a = p.Name == "sequential" ? a with { Sequential = x.GetBoolean() } : a with { Cuped = x.GetBoolean() };
                    break;
                case "alpha":
                    if (x.ValueKind != JsonValueKind.Number || x.GetDouble() is <= 0 or >= 0.5) errors[f] = ["must be a number between 0 and 0.5"];
                    else a = a with { Alpha = x.GetDouble() };
                    break;
                case "minimumDetectableEffect":
                    if (x.ValueKind != JsonValueKind.Number || x.GetDouble() is <= 0 or > 10) errors[f] = ["must be a relative change above 0 (0.05 = 5 %)"];
                    else a = a with { MinimumDetectableEffect = x.GetDouble() };
                    break;
                case "attributionHours":
                    if (x.ValueKind != JsonValueKind.Number || x.GetDouble() is <= 0 or > 24 * 366) errors[f] = ["must be a number of hours above 0"];
                    else a = a with { AttributionHours = x.GetDouble() };
                    break;
                case "prePeriodDays":
                    if (x.ValueKind != JsonValueKind.Number || x.GetDouble() is < 0 or > 366) errors[f] = ["must be a number of days from 0 (no CUPED) to 366"];
                    else a = a with { PrePeriodDays = x.GetDouble() };
                    break;
                default:
                    errors[f] = ["unknown field; known fields: engine, sequential, cuped, alpha, minimumDetectableEffect, correction, attributionHours, prePeriodDays"];
                    break;
            }
        }
        return a;
    }

    private static string? Text(JsonElement v, string field, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String && v.GetString()!.Length <= 2000) return v.GetString();
        errors[field] = ["must be a string of at most 2,000 characters"];
        return null;
    }
}
