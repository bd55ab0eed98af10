using System.Text.Json;

namespace Attune.Serving.Recipes;

/// <summary>Reads a recipe from a request body; every problem is reported under the field's path (<c>scenarios.for-you.diversity</c>).</summary>
public static class RecipeReader
{
    private static readonly string[] s_fields = ["name", "description", "modelVersion", "scenarios"];
    private static readonly string[] s_scenarioFields =
        ["sources", "diversity", "maxCategoryShare", "maxBrandShare", "defaultCount", "excludePurchased", "pool", "ruleSets", "ranker", "rerank", "exploration"];

    /// <summary>Recipe names: 1 to 64 letters, digits, '-', '_' or '.'.</summary>
    public static string? CheckName(string name) =>
        name.Length is >= 1 and <= 64 && name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") < 0
            ? null : "must be 1 to 64 letters, digits, '-', '_' or '.'";

    public static Recipe? Read(JsonElement json, string name, IReadOnlyCollection<string> scenarios, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["must be a JSON object"];
            return null;
        }
        string? description = null, modelVersion = null;
        var result = new Dictionary<string, RecipeScenario>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in json.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "name":
                    if (v.ValueKind != JsonValueKind.String || v.GetString() != name) errors["name"] = [$"must be the name in the path ('{name}') when given"];
                    break;
                case "description":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length > 1000) errors["description"] = ["must be a string of at most 1,000 characters"];
                    else description = v.GetString();
                    break;
                case "modelVersion":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.String || !Models.ModelRepository.IsVersionName(v.GetString()!)) errors["modelVersion"] = ["must be a model version such as v12, or null for the active one"];
                    else modelVersion = v.GetString();
                    break;
                case "scenarios":
                    if (v.ValueKind != JsonValueKind.Object) { errors["scenarios"] = ["must be an object: scenario name → settings"]; break; }
                    foreach (var s in v.EnumerateObject())
                    {
                        string field = $"scenarios.{s.Name}";
                        if (s.Name.Equals("home-rows", StringComparison.OrdinalIgnoreCase))
                            errors[field] = ["home-rows is made of for-you, because-you-viewed, trending and new-arrivals: set those"];
                        else if (!scenarios.Contains(s.Name, StringComparer.OrdinalIgnoreCase))
                            errors[field] = [$"unknown scenario '{s.Name}'; known: {string.Join(", ", scenarios.Order(StringComparer.Ordinal))}"];
                        else if (ReadScenario(s.Value, field, errors) is { } scenario) result[s.Name] = scenario;
                    }
                    break;
                default:
                    errors[p.Name] = [$"unknown field; known fields: {string.Join(", ", s_fields)}"];
                    break;
            }
        }
        if (errors.Count > 0) return null;
        return new Recipe { Name = name, Description = description, ModelVersion = modelVersion, Scenarios = result };
    }

    private static RecipeScenario? ReadScenario(JsonElement json, string field, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors[field] = ["must be an object of settings"];
            return null;
        }
        int before = errors.Count;
        Dictionary<string, float>? sources = null;
        Dictionary<string, int>? pool = null;
        List<string>? ruleSets = null;
        string? ranker = null;
        int? rerank = null;
        double? exploration = null;
        double? diversity = null, maxCategory = null, maxBrand = null;
        int? defaultCount = null;
        bool? excludePurchased = null;
        foreach (var p in json.EnumerateObject())
        {
            string f = $"{field}.{p.Name}";
            var v = p.Value;
            switch (p.Name)
            {
                case "sources":
                    if (v.ValueKind != JsonValueKind.Object) { errors[f] = ["must be an object: source name → weight"]; break; }
                    sources = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
                    foreach (var s in v.EnumerateObject())
                    {
                        if (s.Value.ValueKind != JsonValueKind.Number || !s.Value.TryGetSingle(out float w) || !float.IsFinite(w))
                            errors[$"{f}.{s.Name}"] = ["weight must be a number"];
                        else sources[s.Name] = w;
                    }
                    break;
                case "diversity": diversity = Number(v, f, errors); break;
                case "maxCategoryShare": maxCategory = Number(v, f, errors); break;
                case "maxBrandShare": maxBrand = Number(v, f, errors); break;
                case "defaultCount":
                    if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)) defaultCount = n;
                    else errors[f] = ["must be a whole number"];
                    break;
                case "excludePurchased":
                    if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) excludePurchased = v.GetBoolean();
                    else errors[f] = ["must be true or false"];
                    break;
                case "pool":
                    if (v.ValueKind != JsonValueKind.Object) { errors[f] = ["must be an object: pool name → size"]; break; }
                    pool = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
                    foreach (var s in v.EnumerateObject())
                    {
                        if (!PoolSizes.Fields.Any(x => string.Equals(x.Name, s.Name, StringComparison.OrdinalIgnoreCase)))
                            errors[$"{f}.{s.Name}"] = [$"unknown pool; known: {string.Join(", ", PoolSizes.Fields.Select(x => x.Name))}"];
                        else if (s.Value.ValueKind != JsonValueKind.Number || !s.Value.TryGetInt32(out int size)) errors[$"{f}.{s.Name}"] = ["must be a whole number"];
                        else pool[s.Name] = size;
                    }
                    break;
                case "ruleSets":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.Array) { errors[f] = ["must be an array of rule set names (null = every set)"]; break; }
                    ruleSets = [];
                    foreach (var s in v.EnumerateArray())
                    {
                        if (s.ValueKind != JsonValueKind.String) { errors[f] = ["must be an array of rule set names"]; break; }
                        ruleSets.Add(s.GetString()!);
                    }
                    break;
                case "rerank":
                    if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int r)) rerank = r;
                    else errors[f] = ["must be a whole number"];
                    break;
                case "exploration": exploration = Number(v, f, errors); break;
                case "ranker":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length > 128) { errors[f] = ["must be a learned ranker's name (\"\" for none)"]; break; }
                    ranker = v.GetString();
                    break;
                default:
                    errors[f] = [$"unknown setting; known: {string.Join(", ", s_scenarioFields)}"];
                    break;
            }
        }
        if (errors.Count > before) return null;
        return new RecipeScenario
        {
            Sources = sources, Diversity = diversity, MaxCategoryShare = maxCategory, MaxBrandShare = maxBrand, DefaultCount = defaultCount,
            ExcludePurchased = excludePurchased, Pool = pool, RuleSets = ruleSets, Ranker = ranker, Rerank = rerank, Exploration = exploration,
        };
    }

    private static double? Number(JsonElement v, string field, Dictionary<string, string[]> errors)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d)) return d;
        errors[field] = ["must be a number"];
        return null;
    }
}
