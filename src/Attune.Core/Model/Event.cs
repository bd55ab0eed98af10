namespace Attune.Model;

/// <summary>One behavioural event, validated and ready to store.</summary>
public sealed record Event
{
    /// <summary>Built-in name (<c>purchase</c>) or a custom one (<c>custom.wishlist_add</c>).</summary>
    public required string Type { get; init; }
    public string? UserId { get; init; }
    public string? AnonymousId { get; init; }
    public string? ItemId { get; init; }
    /// <summary>Rating, quantity or revenue, depending on the type.</summary>
    public double? Value { get; init; }
    public DateTimeOffset Timestamp { get; init; }
    public string? SessionId { get; init; }
    public string? Channel { get; init; }
    /// <summary>Context (device, locale, geo, referrer, page, free-form) as a JSON object text.</summary>
    public string? ContextJson { get; init; }
    public string? RecommendationId { get; init; }
    public string? Query { get; init; }
}
