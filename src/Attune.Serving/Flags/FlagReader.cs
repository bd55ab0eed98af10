using System.Text.Json;
using Attune.Experiments.Assignment;
using Attune.Validation;

namespace Attune.Serving.Flags;

/// <summary>Reads and checks a flag from a request body; every problem is reported under its field's path (<c>rules[1].weights</c>).</summary>
public static class FlagReader
{
    /// <summary>At most this many rules per flag.</summary>
    public const int MaxRules = 100;

    private static readonly string[] s_attuneFields = ["key", "description"];

    /// <summary>Flag keys: 1 to 64 letters, digits, '-', '_' or '.'; "evaluate" is taken by the evaluation route.</summary>
    public static string? CheckKey(string key) =>
        key == "evaluate" ? "'evaluate' is reserved (GET /v1/flags/evaluate)"
        : key.Length is >= 1 and <= 64 && key.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") < 0
            ? null : "must be 1 to 64 letters, digits, '-', '_' or '.'";

    /// <summary>The flag in <paramref name="json"/> for <paramref name="key"/>, or null with <paramref name="errors"/> filled.</summary>
    public static Flag? Read(JsonElement json, string key, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["must be a JSON object: {\"defaultValue\": …, \"rules\": […], \"description\": …}"];
            return null;
        }
        var value = AttributeJson.FromElement(json);
        var obj = value.AsObject!;
        if (obj.TryGetValue("key", out var k) && k.AsString != key) errors["key"] = [$"must be the key in the path ('{key}') when given"];
        string? description = null;
        if (obj.TryGetValue("description", out var d) && !d.IsNull)
        {
            if (d.AsString is not { Length: <= 1000 } text) errors["description"] = ["must be a string of at most 1,000 characters"];
            else description = text;
        }
        var problems = new List<FieldError>();
        var definition = GrowthBookJson.ReadFeature(value, problems, "", s_attuneFields);
        if (definition.Rules.Count > MaxRules) problems.Add(new FieldError("rules", $"must have at most {MaxRules} rules"));
        for (int i = 0; i < definition.Rules.Count; i++)
        {
            var rule = definition.Rules[i];
            // REVIEW: Attune has no saved groups or contextual bandits to refer to yet; such a rule would never match.
            if (rule.ContextualBanditRef is not null) problems.Add(new FieldError($"rules[{i}].contextualBanditRef", "contextual bandits are not supported by Attune flags"));
            if (rule.ContextualVariations) problems.Add(new FieldError($"rules[{i}].contextualVariations", "contextual bandits are not supported by Attune flags; use variations"));
            if (rule.Condition?.Source.ToJson() is { } c && (c.Contains("\"$inGroup\"", StringComparison.Ordinal) || c.Contains("\"$notInGroup\"", StringComparison.Ordinal)))
                problems.Add(new FieldError($"rules[{i}].condition", "saved groups ($inGroup, $notInGroup) are not supported by Attune flags; use $in"));
            if (rule.ParentConditions?.Any(p => p.Id == key) == true) problems.Add(new FieldError($"rules[{i}].parentConditions", "a flag cannot be its own prerequisite"));
        }
        foreach (var p in problems) errors[p.Field] = errors.TryGetValue(p.Field, out var prior) ? [.. prior, p.Message] : [p.Message];
        if (errors.Count > 0) return null;
        return new Flag
        {
            Key = key, Description = description, DefaultValue = definition.DefaultValue,
            Rules = obj.TryGetValue("rules", out var rules) && !rules.IsNull ? rules : AttributeValue.FromArray([]),
        };
    }

    /// <summary>The GrowthBook feature a stored flag defines (read leniently: it was checked when stored).</summary>
    public static FeatureDefinition ToFeature(Flag flag) =>
        GrowthBookJson.ReadFeature(new Attributes { ["defaultValue"] = flag.DefaultValue, ["rules"] = flag.Rules });
}
