using Attune.Api;
using Attune.Model;
using Attune.Serving.Filtering;

namespace Attune.Serving;

/// <summary>A validated request for recommendations (the HTTP layer builds it from query or body).</summary>
public sealed class RecommendationRequest
{
    public string? UserId { get; init; }
    public string? AnonymousId { get; init; }
    public required string Scenario { get; init; }
    /// <summary>The recipe to serve with; null = the default recipe.</summary>
    public string? Recipe { get; init; }
    /// <summary>Items wanted; null = the scenario's default.</summary>
    public int? Count { get; init; }
    /// <summary>What the person searched for (the <c>search</c> scenario); null for recommendations.</summary>
    public string? Query { get; init; }
    /// <summary>Anchor items for item and cart scenarios.</summary>
    public IReadOnlyList<string> ItemIds { get; init; } = [];
    public ItemFilter? Filter { get; init; }
    public IReadOnlyList<string> Exclude { get; init; } = [];
    public bool Explain { get; init; } = true;
    /// <summary>The request context for filters (<c>context.budget</c>) and contextual popularity.</summary>
    public FilterContext Context { get; init; } = FilterContext.Empty;
    public string? Device { get; init; }
    public string? Country { get; init; }
    public int? LocalHour { get; init; }
    /// <summary>For <c>/v1/rank</c>: the caller's candidates, to be ordered for the person.</summary>
    public IReadOnlyList<string>? Candidates { get; init; }
    /// <summary>
    /// Item scenarios (<c>similar</c>, <c>complementary</c>): when none of <see cref="ItemIds"/> is known, answer without the
    /// anchor (popular items) and mark the answer <see cref="Recommendation.Fallback"/> instead of failing with 404.
    /// </summary>
    public bool Fallback { get; init; }
}

/// <summary>One answer: what to show, in order, why, and which model said so.</summary>
public sealed class Recommendation
{
    public required string RecommendationId { get; init; }
    public required string Scenario { get; init; }
    /// <summary>The recipe it was served with.</summary>
    public string? Recipe { get; init; }
    /// <summary>The experiment (or the global holdout) and variant the person was served under; null when none.</summary>
    public ServedExperiment? Experiment { get; init; }
    public string? ModelVersion { get; init; }
    /// <summary>False when the person opted out of personalization or nothing is known about them.</summary>
    public bool Personalized { get; init; }
    public string? Title { get; init; }
    public required IReadOnlyList<RecommendedItem> Items { get; init; }
    /// <summary><c>home-rows</c> only: the rows in display order.</summary>
    public IReadOnlyList<RecommendationRow>? Rows { get; init; }
    /// <summary><c>/v1/rank</c> only: candidates that are not in the catalog (not ranked).</summary>
    public IReadOnlyList<string>? Unknown { get; init; }
    /// <summary>True when an item scenario's anchors were all unknown and the caller asked for a fallback: popular items instead.</summary>
    public bool Fallback { get; internal set; }
}


/// <param name="Position">1-based position in the list.</param>
/// <param name="ReasonItems">The ids of the items its reasons name ("Because you viewed X": X's id), in order; titles can repeat, ids do not.</param>
public sealed record RecommendedItem(string Id, float Score, int Position, IReadOnlyList<string> Reasons, Item? Item,
    IReadOnlyList<string>? ReasonItems = null);

public sealed record RecommendationRow(string Id, string Title, string Scenario, IReadOnlyList<RecommendedItem> Items);

/// <summary>A request the engine cannot answer as asked: the HTTP layer turns it into a 400 naming <see cref="Field"/>.</summary>
public sealed class RecommendationException(string field, string message, int status = 400) : Exception(message)
{
    public string Field { get; } = field;
    /// <summary>400 for a request that cannot be answered as asked; 404 when what it names does not exist (an item page's item).</summary>
    public int Status { get; } = status;
}
