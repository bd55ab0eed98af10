using System.Text.Json;
using Attune.Decisions.Features;
using Attune.Decisions.Points;
using Attune.Validation;

namespace Attune.Decisions.Service;

/// <summary>
/// Reads rank and reward bodies, Attune's and Personalizer's (<c>contextFeatures</c>, <c>actions</c>, <c>excludedActions</c>,
/// <c>eventId</c>, <c>deferActivation</c>, <c>slots</c>): every problem is named by its field.
/// </summary>
public static class RankReader
{
    private static readonly string[] s_fields =
        ["context", "contextFeatures", "userId", "anonymousId", "actions", "excludedActions", "eventId", "deferActivation", "slots"];

    /// <param name="lenient">Personalizer's paths: unknown fields are ignored (its clients may send fields Attune does not use).</param>
    public static RankInput? Read(JsonElement body, string point, bool lenient, List<FieldError> errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("body", "must be a JSON object"));
            return null;
        }
        JsonElement context = default;
        FeatureSet? contextFeatures = null;
        string? userId = null, anonymousId = null, eventId = null;
        IReadOnlyList<DecisionAction>? actions = null;
        IReadOnlySet<string> excluded = new HashSet<string>();
        bool defer = false;
        List<SlotInput>? slots = null;
        foreach (var p in body.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "context" or "contextFeatures":
                    if (context.ValueKind != JsonValueKind.Undefined) { errors.Add(new(p.Name, "give context or contextFeatures, not both")); break; }
                    contextFeatures = new FeatureSet();
                    if (Featurizer.Add(v, contextFeatures, p.Name) is { } bad) errors.Add(bad);
                    else context = v;
                    break;
                case "userId" or "anonymousId":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    string? id = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                    if ((id is null ? "must be a string" : RecordReader.CheckId(id)) is { } idProblem) { errors.Add(new(p.Name, idProblem)); break; }
                    if (p.Name == "userId") userId = id; else anonymousId = id;
                    break;
                case "actions":
                    actions = PointReader.ReadActions(v, "actions", errors, stored: false);
                    if (actions.Count == 0 && v.ValueKind == JsonValueKind.Array) errors.Add(new("actions", "must hold at least one action (or leave it out to use the point's)"));
                    break;
                case "excludedActions":
                    excluded = ReadIds(v, "excludedActions", errors);
                    break;
                case "eventId":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    eventId = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                    if (PointReader.CheckId(eventId) is { } eventProblem) errors.Add(new("eventId", eventProblem));
                    break;
                case "deferActivation":
                    if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) defer = v.GetBoolean();
                    else if (v.ValueKind != JsonValueKind.Null) errors.Add(new("deferActivation", "must be true or false"));
                    break;
                case "slots":
                    slots = ReadSlots(v, errors);
                    break;
                default:
                    if (!lenient) errors.Add(new(p.Name, $"unknown field; known fields: {string.Join(", ", s_fields)}"));
                    break;
            }
        }
        if (actions is not null)
        {
            foreach (var id in excluded)
                if (!actions.Any(a => a.Id == id)) errors.Add(new("excludedActions", $"'{id}' is not one of the actions"));
            if (slots is not null && slots.Count > actions.Count) errors.Add(new("slots", $"{slots.Count} slots but only {actions.Count} actions"));
        }
        return errors.Count > 0 ? null : new RankInput(point, context, userId, anonymousId, actions, excluded, eventId, defer, slots,
            ContextFeatures: contextFeatures);
    }

    private static List<SlotInput>? ReadSlots(JsonElement v, List<FieldError> errors)
    {
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            errors.Add(new("slots", "must be a non-empty array of slots"));
            return null;
        }
        if (v.GetArrayLength() > PointReader.MaxActions) errors.Add(new("slots", $"at most {PointReader.MaxActions} slots"));
        var slots = new List<SlotInput>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var s in v.EnumerateArray())
        {
            string at = $"slots[{i++}]";
            if (s.ValueKind != JsonValueKind.Object) { errors.Add(new(at, "must be an object with an id")); continue; }
            string? id = null, baseline = null;
            JsonElement features = default;
            IReadOnlySet<string> excluded = new HashSet<string>();
            foreach (var p in s.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "id":
                        id = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        if (PointReader.CheckId(id) is { } bad) errors.Add(new($"{at}.id", bad));
                        else if (!ids.Add(id!)) errors.Add(new($"{at}.id", $"duplicate slot id '{id}'"));
                        break;
                    case "features":
                        if (Featurizer.Add(p.Value, new FeatureSet(), $"{at}.features") is { } problem) errors.Add(problem);
                        else features = p.Value;
                        break;
                    case "excludedActions":
                        excluded = ReadIds(p.Value, $"{at}.excludedActions", errors);
                        break;
                    case "baselineAction":
                        if (p.Value.ValueKind == JsonValueKind.Null) break;
                        baseline = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        if (PointReader.CheckId(baseline) is { } baselineProblem) errors.Add(new($"{at}.baselineAction", baselineProblem));
                        break;
                    default:
                        errors.Add(new($"{at}.{p.Name}", "unknown field; known fields: id, features, excludedActions, baselineAction"));
                        break;
                }
            }
            if (id is null) { if (!errors.Any(e => e.Field == $"{at}.id")) errors.Add(new($"{at}.id", "is required")); continue; }
            slots.Add(new SlotInput(id, features, excluded, baseline));
        }
        return slots;
    }

    private static HashSet<string> ReadIds(JsonElement v, string field, List<FieldError> errors)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (v.ValueKind == JsonValueKind.Null) return ids;
        if (v.ValueKind != JsonValueKind.Array) { errors.Add(new(field, "must be an array of action ids")); return ids; }
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            string? id = e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            if (PointReader.CheckId(id) is { } bad) errors.Add(new($"{field}[{i}]", bad));
            else ids.Add(id!);
            i++;
        }
        return ids;
    }

    /// <summary>
    /// Reads a reward body: <c>{"value": 0.7}</c>, <c>{"rewards": [{"name": "click", "value": 1}, …]}</c> (combined by the
    /// point's weights), or Personalizer's multi-slot <c>{"reward": [{"slotId": "…", "value": 0.5}]}</c>; <c>slot</c> names the
    /// slot of a single value. Values must be in [0, 1].
    /// </summary>
    public static IReadOnlyList<RewardInput>? ReadReward(JsonElement body, bool lenient, List<FieldError> errors) =>
        ReadReward(body, lenient, errors, out _, withEventId: false);

    /// <summary>One record of a reward batch: <see cref="ReadReward(JsonElement, bool, List{FieldError})"/>'s forms plus its <c>eventId</c>.</summary>
    public static IReadOnlyList<RewardInput>? ReadBatchReward(JsonElement record, List<FieldError> errors, out string? eventId)
    {
        var rewards = ReadReward(record, lenient: false, errors, out eventId, withEventId: true);
        if (eventId is null && !errors.Any(e => e.Field == "eventId")) errors.Add(new("eventId", "is required"));
        return errors.Count > 0 ? null : rewards;
    }

    private static IReadOnlyList<RewardInput>? ReadReward(JsonElement body, bool lenient, List<FieldError> errors, out string? eventId, bool withEventId)
    {
        eventId = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("body", "must be a JSON object"));
            return null;
        }
        double? value = null;
        string slot = "";
        List<(string, double)>? named = null;
        List<RewardInput>? slots = null;
        foreach (var p in body.EnumerateObject())
        {
            switch (p.Name)
            {
                case "value":
                    value = Value(p.Value, "value", errors);
                    break;
                case "slot" or "slotId":
                    if (p.Value.ValueKind != JsonValueKind.String || PointReader.CheckId(p.Value.GetString()) is not null) errors.Add(new(p.Name, "must be a slot id"));
                    else slot = p.Value.GetString()!;
                    break;
                case "rewards":
                    named = [];
                    if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() == 0) { errors.Add(new("rewards", "must be a non-empty array of {name, value}")); break; }
                    int i = 0;
                    foreach (var r in p.Value.EnumerateArray())
                    {
                        string at = $"rewards[{i++}]";
                        string? name = r.ValueKind == JsonValueKind.Object && r.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                        if (string.IsNullOrEmpty(name)) { errors.Add(new($"{at}.name", "is required")); continue; }
                        if (!r.TryGetProperty("value", out var rv)) { errors.Add(new($"{at}.value", "is required")); continue; }
                        if (Value(rv, $"{at}.value", errors) is { } d) named.Add((name, d));
                    }
                    break;
                case "reward":
                    slots = [];
                    if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() == 0) { errors.Add(new("reward", "must be a non-empty array of {slotId, value}")); break; }
                    int k = 0;
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var r in p.Value.EnumerateArray())
                    {
                        string at = $"reward[{k++}]";
                        string? id = r.ValueKind == JsonValueKind.Object && r.TryGetProperty("slotId", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                        if (PointReader.CheckId(id) is { } bad) { errors.Add(new($"{at}.slotId", bad)); continue; }
                        if (!seen.Add(id!)) { errors.Add(new($"{at}.slotId", $"slot '{id}' is rewarded twice")); continue; }
                        if (!r.TryGetProperty("value", out var rv)) { errors.Add(new($"{at}.value", "is required")); continue; }
                        if (Value(rv, $"{at}.value", errors) is { } d) slots.Add(new RewardInput(id!, d, null));
                    }
                    break;
                case "eventId" when withEventId:
                    eventId = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                    if (PointReader.CheckId(eventId) is { } badId) { errors.Add(new("eventId", badId)); eventId = null; }
                    break;
                default:
                    if (!lenient) errors.Add(new(p.Name, $"unknown field; known fields: {(withEventId ? "eventId, " : "")}value, rewards, slot, reward"));
                    break;
            }
        }
        int forms = (value is not null ? 1 : 0) + (named is not null ? 1 : 0) + (slots is not null ? 1 : 0);
        if (errors.Count > 0) return null;
        if (forms != 1)
        {
            errors.Add(new(forms == 0 ? "value" : "body", forms == 0 ? "is required (a number from 0 to 1)" : "give one of value, rewards or reward"));
            return null;
        }
        if (slots is not null) return slots;
        return [new RewardInput(slot, value ?? 0, named)];
    }

    private static double? Value(JsonElement v, string field, List<FieldError> errors)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d) || d < 0 || d > 1)
        {
            errors.Add(new(field, "must be a number from 0 to 1"));
            return null;
        }
        return d;
    }
}

/// <summary>A reward as read: the slot (<c>""</c> for a single decision), the value, or the named rewards to combine.</summary>
public sealed record RewardInput(string Slot, double Value, IReadOnlyList<(string Name, double Value)>? Named);
