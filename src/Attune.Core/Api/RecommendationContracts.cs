using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attune.Api;

// The HTTP API's wire shapes for recommendations, shared by the server (OpenAPI; the answer itself is written with a
// Utf8JsonWriter in this shape) and Attune.Client.

/// <summary>The JSON shape of a recommendation request, for the API reference (requests are validated field by field).</summary>
/// <remarks>Every field is optional (null = not given), so a caller names only what it sets.</remarks>
public sealed record RecommendationInput(
    string? UserId = null, string? AnonymousId = null, string? Scenario = null, string? Recipe = null, int? Count = null,
    Dictionary<string, object>? Context = null, string? ItemId = null, string[]? ItemIds = null, string? Filter = null,
    string[]? Exclude = null, bool? Explain = null, string[]? Fields = null, string[]? Candidates = null, bool? Fallback = null,
    string? UserToken = null);

public sealed record RecommendationItemOutput(string Id, float Score, int Position, string[] Reasons)
{
    /// <summary>The ids of the items the reasons name, in order (absent when they name none): titles can repeat, ids do not.</summary>
    public string[]? ReasonItems { get; init; }

    /// <summary>The item fields the request asked for (<c>fields</c>: title, price, …), by name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Fields { get; init; }
}

public sealed record RecommendationRowOutput(string Id, string Title, string Scenario, RecommendationItemOutput[] Items);

public sealed record RecommendationOutput(
    string RecommendationId, string Scenario, string? Recipe, ServedExperiment? Experiment, string? ModelVersion, bool Personalized, string? Title, RecommendationItemOutput[] Items,
    RecommendationRowOutput[]? Rows, string[]? Unknown, bool Fallback = false);

/// <summary>The experiment an answer was served under.</summary>
/// <param name="Id">The experiment id, or <c>holdout</c> for the global holdout.</param>
/// <param name="Variant">The variant key (<c>holdout</c> / <c>personalized</c> for the holdout).</param>
/// <param name="Phase">The phase the person entered in.</param>
public sealed record ServedExperiment(string Id, string Variant, int Phase);

public sealed record ScenarioOutput(string Name, string Description, IReadOnlyDictionary<string, float> Sources, string Anchor, bool RequiresItem);

/// <param name="Position">1-based position of the item in the answer; null when the event names an item it did not show.</param>
public sealed record AttributedEvent(string Type, string? ItemId, DateTimeOffset Timestamp, int? Position);

/// <summary>What an answer showed (<c>GET /v1/recommendations/{id}</c>) and the events sent back with its id.</summary>
public sealed record LoggedRecommendation(
    string Id, string? UserId, string? AnonymousId, string Scenario, string? ModelVersion, string? Recipe, string? Experiment, string? Variant,
    DateTimeOffset Timestamp, IReadOnlyList<string> Items, IReadOnlyList<AttributedEvent> Events, int Clicks, int Purchases);
