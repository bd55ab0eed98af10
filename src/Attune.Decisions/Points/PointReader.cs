using System.Text.Json;
using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Experiments.Assignment;
using FeatureSet = Attune.Decisions.Features.FeatureSet;
using Attune.Validation;

namespace Attune.Decisions.Points;

/// <summary>Reads a decision point from a request body; every problem is reported under the field's path (<c>actions[2].id</c>).</summary>
public static class PointReader
{
    /// <summary>Most actions a point or a rank may have (Personalizer's limit).</summary>
    public const int MaxActions = 50;

    private static readonly string[] s_fields = ["id", "description", "actions", "settings"];
    private static readonly string[] s_actionFields = ["id", "features", "text", "imageUrl", "eligibility", "worth", "status"];
    private static readonly string[] s_settingFields = ["exploration", "learning", "rewardWaitSeconds", "defaultReward", "rewardWeights", "controlAction"];

    /// <summary>Point names: 1 to 64 letters, digits, '-', '_' or '.'; "events" is taken by the reward paths.</summary>
    public static string? CheckName(string name) =>
        name == "events" ? "'events' is reserved (POST /v1/decisions/events/{eventId}/reward)"
        : name.Length is >= 1 and <= 64 && name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") < 0
            ? null : "must be 1 to 64 letters, digits, '-', '_' or '.'";

    /// <summary>Action ids and event ids: 1 to 256 characters without control characters (Personalizer's limit).</summary>
    public static string? CheckId(string? id) =>
        string.IsNullOrEmpty(id) ? "must be a non-empty string"
        : id.Length > 256 ? "must be at most 256 characters"
        : RecordReader.CheckId(id);

    public static DecisionPoint? Read(JsonElement json, string name, List<FieldError> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("body", "must be a JSON object"));
            return null;
        }
        string? description = null;
        IReadOnlyList<DecisionAction> actions = [];
        var settings = new DecisionSettings();
        foreach (var p in json.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "id":
                    if (v.ValueKind != JsonValueKind.String || v.GetString() != name) errors.Add(new("id", $"must be the name in the path ('{name}') when given"));
                    break;
                case "description":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length > 1000) errors.Add(new("description", "must be a string of at most 1,000 characters"));
                    else description = v.GetString();
                    break;
                case "actions":
                    actions = ReadActions(v, "actions", errors, stored: true);
                    break;
                case "settings":
                    settings = ReadSettings(v, errors) ?? settings;
                    break;
                default:
                    errors.Add(new(p.Name, $"unknown field; known fields: {string.Join(", ", s_fields)}"));
                    break;
            }
        }
        if (settings.ControlAction is { } control && actions.Count > 0 && !actions.Any(a => a.Id == control && a.Status == ActionStatus.Approved))
            errors.Add(new("settings.controlAction", $"'{control}' is not one of the point's approved actions"));
        return errors.Count > 0 ? null : new DecisionPoint { Id = name, Description = description, Actions = actions, Settings = settings };
    }

    /// <summary>Reads a list of actions (a point's, or a rank request's own): unique ids, valid features and eligibility.</summary>
    public static IReadOnlyList<DecisionAction> ReadActions(JsonElement v, string field, List<FieldError> errors, bool stored)
    {
        if (v.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(field, "must be an array of actions"));
            return [];
        }
        int count = v.GetArrayLength();
        if (count > MaxActions) errors.Add(new(field, $"at most {MaxActions} actions (got {count})"));
        var actions = new List<DecisionAction>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var a in v.EnumerateArray())
        {
            string at = $"{field}[{i++}]";
            if (a.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(at, "must be an object with an id"));
                continue;
            }
            string? id = null, text = null, image = null;
            double? worth = null;
            JsonElement? features = null, eligibility = null;
            var status = ActionStatus.Approved;
            foreach (var p in a.EnumerateObject())
            {
                var x = p.Value;
                switch (p.Name)
                {
                    case "id":
                        id = x.ValueKind == JsonValueKind.String ? x.GetString() : null;
                        if (CheckId(id) is { } bad) errors.Add(new($"{at}.id", bad));
                        else if (!seen.Add(id!)) errors.Add(new($"{at}.id", $"duplicate action id '{id}'"));
                        break;
                    case "features":
                        if (Featurizer.Add(x, new FeatureSet(), $"{at}.features") is { } problem) errors.Add(problem);
                        else features = x.Clone();
                        break;
                    case "text":
                        if (x.ValueKind == JsonValueKind.Null) break;
                        if (x.ValueKind != JsonValueKind.String || x.GetString()!.Length > 10_000) errors.Add(new($"{at}.text", "must be a string of at most 10,000 characters"));
                        else text = x.GetString();
                        break;
                    case "imageUrl":
                        if (x.ValueKind == JsonValueKind.Null) break;
                        if (x.ValueKind != JsonValueKind.String || !Uri.TryCreate(x.GetString(), UriKind.Absolute, out _)) errors.Add(new($"{at}.imageUrl", "must be an absolute URL"));
                        else image = x.GetString();
                        break;
                    case "eligibility":
                        if (x.ValueKind == JsonValueKind.Null) break;
                        if (x.ValueKind != JsonValueKind.Object) { errors.Add(new($"{at}.eligibility", "must be a condition object")); break; }
                        var problems = new List<FieldError>();
                        Condition.Compile(AttributeJson.FromElement(x), problems, $"{at}.eligibility");
                        if (problems.Count > 0) errors.AddRange(problems);
                        else eligibility = x.Clone();
                        break;
                    case "worth":
                        if (x.ValueKind == JsonValueKind.Null) break;
                        if (x.ValueKind != JsonValueKind.Number || !x.TryGetDouble(out double w) || !(w > 0 && w <= 1))
                            errors.Add(new($"{at}.worth", "must be a number in (0, 1]: what the action earns when it converts, as a share of the largest reward"));
                        else worth = w;
                        break;
                    case "status" when stored:
                        if (x.ValueKind != JsonValueKind.String || !Enum.TryParse(x.GetString(), ignoreCase: true, out status) || int.TryParse(x.GetString(), out _))
                            errors.Add(new($"{at}.status", "must be approved, draft or retired"));
                        break;
                    default:
                        errors.Add(new($"{at}.{p.Name}", $"unknown field; known fields: {string.Join(", ", stored ? s_actionFields : s_actionFields[..^1])}"));
                        break;
                }
            }
            if (id is null)
            {
                if (!errors.Any(e => e.Field == $"{at}.id")) errors.Add(new($"{at}.id", "is required"));
                continue;
            }
            actions.Add(new DecisionAction(id, features, text, image, eligibility, status, worth));
        }
        return actions;
    }

    private static DecisionSettings? ReadSettings(JsonElement v, List<FieldError> errors)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("settings", "must be an object"));
            return null;
        }
        var s = new DecisionSettings();
        foreach (var p in v.EnumerateObject())
        {
            var x = p.Value;
            string at = $"settings.{p.Name}";
            switch (p.Name)
            {
                case "exploration":
                    s = s with { Exploration = ReadExploration(x, at, errors) };
                    break;
                case "learning":
                    s = s with { Learning = ReadLearning(x, at, errors) };
                    break;
                case "controlAction":
                    if (x.ValueKind == JsonValueKind.Null) break;
                    if (x.ValueKind != JsonValueKind.String || CheckId(x.GetString()) is not null) errors.Add(new(at, "must be an action id"));
                    else s = s with { ControlAction = x.GetString() };
                    break;
                case "rewardWaitSeconds":
                    if (Number(x, at, 1, 7 * 86400, errors) is { } wait) s = s with { RewardWaitSeconds = wait };
                    break;
                case "defaultReward":
                    if (Number(x, at, 0, 1, errors) is { } reward) s = s with { DefaultReward = reward };
                    break;
                case "rewardWeights":
                    if (x.ValueKind != JsonValueKind.Object) { errors.Add(new(at, "must be an object: reward name → weight")); break; }
                    var weights = new Dictionary<string, double>(StringComparer.Ordinal);
                    foreach (var w in x.EnumerateObject())
                        if (Number(w.Value, $"{at}.{w.Name}", 0, 1, errors) is { } weight) weights[w.Name] = weight;
                    s = s with { RewardWeights = weights };
                    break;
                default:
                    errors.Add(new(at, $"unknown field; known fields: {string.Join(", ", s_settingFields)}"));
                    break;
            }
        }
        return s;
    }

    public static ExplorationSettings ReadExploration(JsonElement v, string field, List<FieldError> errors)
    {
        var e = ExplorationSettings.Default;
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(field, "must be an object"));
            return e;
        }
        foreach (var p in v.EnumerateObject())
        {
            string at = $"{field}.{p.Name}";
            switch (p.Name)
            {
                case "algorithm":
                    var name = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!.Replace("-", "", StringComparison.Ordinal) : "";
                    if (name.Length == 0 || int.TryParse(name, out _) || !Enum.TryParse<ExplorationAlgorithm>(name, ignoreCase: true, out var algorithm))
                        errors.Add(new(at, "must be squarecb, epsilon-greedy, softmax or thompson"));
                    else e = e with { Algorithm = algorithm };
                    break;
                case "epsilon": if (Number(p.Value, at, 0, 1, errors) is { } eps) e = e with { Epsilon = eps }; break;
                case "lambda": if (Number(p.Value, at, 0, 1e6, errors) is { } l) e = e with { Lambda = l }; break;
                case "gammaScale": if (Number(p.Value, at, 0, 1e6, errors) is { } g) e = e with { GammaScale = g }; break;
                case "gammaExponent": if (Number(p.Value, at, 0, 1, errors) is { } ge) e = e with { GammaExponent = ge }; break;
                case "thompsonScale": if (Number(p.Value, at, 0, 100, errors) is { } ts) e = e with { ThompsonScale = ts }; break;
                default:
                    errors.Add(new(at, "unknown field; known fields: algorithm, epsilon, lambda, gammaScale, gammaExponent, thompsonScale"));
                    break;
            }
        }
        return e;
    }

    public static LearningSettings ReadLearning(JsonElement v, string field, List<FieldError> errors)
    {
        var l = LearningSettings.Default;
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(field, "must be an object"));
            return l;
        }
        foreach (var p in v.EnumerateObject())
        {
            string at = $"{field}.{p.Name}";
            switch (p.Name)
            {
                case "learningRate": if (Number(p.Value, at, 1e-6, 10, errors) is { } lr) l = l with { LearningRate = lr }; break;
                case "bits":
                    if (Number(p.Value, at, 12, 24, errors) is { } bits)
                    {
                        if (bits != Math.Floor(bits)) errors.Add(new(at, "must be a whole number from 12 to 24"));
                        else l = l with { Bits = (int)bits };
                    }
                    break;
                case "interactions":
                    if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) errors.Add(new(at, "must be true or false"));
                    else l = l with { Interactions = p.Value.GetBoolean() };
                    break;
                case "importanceWeightCap": if (Number(p.Value, at, 1, 1e6, errors) is { } cap) l = l with { ImportanceWeightCap = cap }; break;
                case "prior": if (Number(p.Value, at, 1e-6, 1e6, errors) is { } prior) l = l with { Prior = prior }; break;
                case "rewardModel":
                    var model = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                    if (model == "linear") l = l with { RewardModel = RewardModel.Linear };
                    else if (model == "conversion") l = l with { RewardModel = RewardModel.Conversion };
                    else errors.Add(new(at, "must be linear or conversion"));
                    break;
                default:
                    errors.Add(new(at, "unknown field; known fields: learningRate, bits, interactions, importanceWeightCap, prior, rewardModel"));
                    break;
            }
        }
        return l;
    }

    /// <summary>A number in [min, max], or null with the problem added.</summary>
    public static double? Number(JsonElement v, string field, double min, double max, List<FieldError> errors)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d) || d < min || d > max)
        {
            errors.Add(new(field, $"must be a number from {min.ToString(System.Globalization.CultureInfo.InvariantCulture)} to {max.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
            return null;
        }
        return d;
    }
}
