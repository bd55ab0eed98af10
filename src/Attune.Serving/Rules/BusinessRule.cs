using System.Text.Json;
using System.Text.Json.Serialization;
using Attune.Model;
using Attune.Serving.Filtering;
using Attune.Validation;

namespace Attune.Serving.Rules;

/// <summary>What a business rule does to the items its filter selects.</summary>
/// <remarks>Stored by name in rule documents: never rename one (<c>PersistedEnumStabilityTests.RuleActionNamesAndTheRuleDocumentKindNeverChange</c>).</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<RuleAction>))]
public enum RuleAction
{
    /// <summary>Matching items score × (1 + weight).</summary>
    [JsonStringEnumMemberName("boost")] Boost,
    /// <summary>Matching items score × (1 − weight); weight 1 sends them to the bottom.</summary>
    [JsonStringEnumMemberName("bury")] Bury,
    /// <summary>Matching items are never recommended (a blocklist).</summary>
    [JsonStringEnumMemberName("exclude")] Exclude,
    /// <summary><see cref="BusinessRule.ItemId"/> is placed at <see cref="BusinessRule.Position"/> whenever it passes the request's filter and guardrails.</summary>
    [JsonStringEnumMemberName("pin")] Pin,
}

/// <summary>A merchandiser's rule, stored as a document of kind <c>rule</c> and applied without restart.</summary>
public sealed record BusinessRule
{
    /// <summary>The rule set of a rule that names none.</summary>
    public const string DefaultSet = "default";

    public required string Id { get; init; }
    /// <summary>The rule set it belongs to (recipes choose which sets apply); null = <see cref="DefaultSet"/>.</summary>
    public string? Set { get; init; }
    public required RuleAction Action { get; init; }
    /// <summary>Scenarios it applies to; empty = all.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];
    /// <summary>Which items (boost, bury, exclude): a filter expression (docs/filters.md).</summary>
    public string? Filter { get; init; }
    /// <summary>Strength of a boost (&gt; 0) or bury (0–1]. <value>The default value is 0.5.</value></summary>
    public double Weight { get; init; } = 0.5;
    /// <summary>The pinned item.</summary>
    public string? ItemId { get; init; }
    /// <summary>1-based position of the pinned item.</summary>
    public int? Position { get; init; }
    public bool Enabled { get; init; } = true;
    public string? Description { get; init; }
    /// <summary>Only for members of this segment (docs/predictions.md); null = everyone.</summary>
    public string? Segment { get; init; }
    /// <summary>Only for searches whose query says one of these ("for 'gift' pin item X"); empty = every request.</summary>
    public IReadOnlyList<string> Queries { get; init; } = [];
    /// <summary>How <see cref="Queries"/> match: <c>phrase</c> (the query holds the words in order: "gift" matches "gift
    /// for dad"), or <c>exact</c> (the whole query); case, punctuation and spacing never matter. null = phrase.</summary>
    public string? QueryMatch { get; init; }

    /// <summary>The ways <see cref="QueryMatch"/> can say.</summary>
    public static readonly string[] QueryMatches = ["phrase", "exact"];

    /// <summary>Reads and checks a rule; problems are reported by field name.</summary>
    public static BusinessRule? Read(JsonElement json, string? idFromRoute, Dictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["must be a JSON object"];
            return null;
        }
        if (idFromRoute is not null && RecordReader.CheckId(idFromRoute) is { } badRoute) errors["id"] = [badRoute];
        string? id = idFromRoute;
        RuleAction? action = null;
        var scenarios = new List<string>();
        string? filter = null, itemId = null, description = null, set = null, segment = null, queryMatch = null;
        var queries = new List<string>();
        double weight = 0.5;
        int? position = null;
        bool enabled = true;
        foreach (var p in json.EnumerateObject())
        {
            switch (p.Name)
            {
                case "id":
                    if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { Length: > 0 and <= 128 } s) errors["id"] = ["must be a string of 1 to 128 characters"];
                    else if (RecordReader.CheckId(s) is { } badId) errors["id"] = [badId];
                    else if (idFromRoute is not null && s != idFromRoute) errors["id"] = [$"differs from the id in the path ('{idFromRoute}')"];
                    else id = s;
                    break;
                case "action":
                    if (p.Value.ValueKind == JsonValueKind.String && Enum.TryParse<RuleAction>(p.Value.GetString(), ignoreCase: true, out var a) && Enum.IsDefined(a)
                        && !int.TryParse(p.Value.GetString(), out _))
                        action = a;
                    else errors["action"] = ["must be one of boost, bury, exclude, pin"];
                    break;
                case "scenarios":
                    if (p.Value.ValueKind != JsonValueKind.Array) { errors["scenarios"] = ["must be an array of scenario names"]; break; }
                    foreach (var element in p.Value.EnumerateArray())
                    {
                        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } name) { errors["scenarios"] = ["must be an array of scenario names"]; break; }
                        scenarios.Add(name);
                    }
                    break;
                case "filter":
                    if (p.Value.ValueKind != JsonValueKind.String) { errors["filter"] = ["must be a filter expression string"]; break; }
                    filter = p.Value.GetString();
                    if (!ItemFilter.TryParse(filter!, out _, out var error)) errors["filter"] = [error!.Message];
                    break;
                case "weight":
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out weight) || !(weight > 0) || weight > 100)
                        errors["weight"] = ["must be a number above 0 and at most 100"];
                    break;
                case "itemId":
                    if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { Length: > 0 } item) errors["itemId"] = ["must be an item id"];
                    else if (RecordReader.CheckId(item) is { } badItem) errors["itemId"] = [badItem];
                    else itemId = item;
                    break;
                case "position":
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int pos) || pos is < 1 or > 1000) errors["position"] = ["must be an integer from 1 to 1000"];
                    else position = pos;
                    break;
                case "enabled":
                    if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) errors["enabled"] = ["must be true or false"];
                    else enabled = p.Value.GetBoolean();
                    break;
                case "set":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { Length: > 0 and <= 64 } setName) errors["set"] = ["must be a rule set name of 1 to 64 characters"];
                    else if (RecordReader.CheckId(setName) is { } badSet) errors["set"] = [badSet];
                    else set = setName;
                    break;
                case "description":
                    if (p.Value.ValueKind != JsonValueKind.String) errors["description"] = ["must be a string"];
                    else description = p.Value.GetString();
                    break;
                case "segment":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { Length: > 0 } seg) errors["segment"] = ["must be a segment id"];
                    else if (RecordReader.CheckId(seg) is { } badSegment) errors["segment"] = [badSegment];
                    else segment = seg;
                    break;
                case "queries":
                    if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() > 100) { errors["queries"] = ["must be an array of at most 100 search queries"]; break; }
                    foreach (var element in p.Value.EnumerateArray())
                    {
                        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: <= 200 } q
                            || Attune.Search.Understanding.Synonyms.Normalize(q).Length == 0)
                        {
                            errors["queries"] = ["each query must be a string of 1 to 200 characters holding a word"];
                            break;
                        }
                        queries.Add(q);
                    }
                    break;
                case "queryMatch":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.String || !QueryMatches.Contains(p.Value.GetString()))
                        errors["queryMatch"] = [$"must be one of {string.Join(", ", QueryMatches)}"];
                    else queryMatch = p.Value.GetString();
                    break;
                default:
                    errors[p.Name] = ["unknown field; known fields: id, action, set, scenarios, filter, weight, itemId, position, enabled, description, segment, queries, queryMatch"];
                    break;
            }
        }
        if (id is null && !errors.ContainsKey("id")) errors["id"] = ["is required"];
        if (action is null && !errors.ContainsKey("action")) errors["action"] = ["is required"];
        if (action is RuleAction.Pin)
        {
            if (itemId is null && !errors.ContainsKey("itemId")) errors["itemId"] = ["is required for a pin"];
            if (position is null && !errors.ContainsKey("position")) errors["position"] = ["is required for a pin"];
        }
        else if (action is not null)
        {
            if (filter is null && !errors.ContainsKey("filter")) errors["filter"] = [$"is required for {action.ToString()!.ToLowerInvariant()}"];
            if (action == RuleAction.Bury && weight > 1) errors["weight"] = ["must be at most 1 for bury"];
        }
        if (queryMatch is not null && queries.Count == 0 && !errors.ContainsKey("queries")) errors["queryMatch"] = ["needs queries"];
        if (errors.Count > 0) return null;
        return new BusinessRule
        {
            Id = id!, Set = set, Action = action!.Value, Scenarios = scenarios, Filter = filter, Weight = weight, ItemId = itemId, Position = position,
            Enabled = enabled, Description = description, Segment = segment, Queries = queries, QueryMatch = queryMatch,
        };
    }
}

/// <summary>One change of a rule: what it became (null when deleted), when, and by whom (an API key's or console user's name).</summary>
/// <param name="Change"><see cref="RuleChange.Created"/>, <see cref="RuleChange.Changed"/> or <see cref="RuleChange.Deleted"/>.</param>
public sealed record RuleVersion(string RuleId, int Version, DateTimeOffset At, string Change, string? By, BusinessRule? Rule);

public static class RuleChange
{
    public const string Created = "created";
    public const string Changed = "changed";
    public const string Deleted = "deleted";
}
