namespace Attune.Model;

/// <summary>The unified view of one person across identities, channels and devices.</summary>
public sealed record Profile
{
    public required string UserId { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public Consent Consent { get; init; } = new();
    public long EventCount { get; init; }
    public IReadOnlyDictionary<string, long> EventCounts { get; init; } = new Dictionary<string, long>();
    public DateTimeOffset? FirstSeen { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public IReadOnlyList<string> Channels { get; init; } = [];
    public IReadOnlyList<string> Devices { get; init; } = [];
    /// <summary>Most recent distinct items, newest first.</summary>
    public IReadOnlyList<RecentItem> RecentItems { get; init; } = [];
    public IReadOnlyList<WeightedName> TopCategories { get; init; } = [];
    public IReadOnlyList<WeightedName> TopBrands { get; init; } = [];
    public IReadOnlyList<string> AnonymousIds { get; init; } = [];
}

public sealed record RecentItem(string ItemId, string Type, DateTimeOffset Timestamp);

/// <summary>A name with a weight normalised so the list sums to 1.</summary>
public sealed record WeightedName(string Name, double Weight);
