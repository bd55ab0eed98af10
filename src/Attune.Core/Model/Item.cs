namespace Attune.Model;

/// <summary>A catalog item: a product, an article, a film, an offer.</summary>
public sealed record Item
{
    public required string Id { get; init; }
    public string? Title { get; init; }
    public string? Description { get; init; }
    /// <summary>Category paths such as <c>shoes/running</c>, most specific last segment.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];
    public string? Brand { get; init; }
    public double? Price { get; init; }
    /// <summary>ISO 4217 code, e.g. <c>EUR</c>.</summary>
    public string? Currency { get; init; }
    public bool InStock { get; init; } = true;
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Typed attributes: each value is a <see cref="string"/>, <see cref="double"/>, <see cref="bool"/> or <c>string[]</c>.</summary>
    public IReadOnlyDictionary<string, object> Properties { get; init; } = EmptyProperties;
    public DateTimeOffset? PublishedAt { get; init; }
    /// <summary>Kept in the catalog but never shown.</summary>
    public bool Hidden { get; init; }
    /// <summary>Blocked for content safety: never recommended.</summary>
    public bool Blocked { get; init; }

    internal static readonly IReadOnlyDictionary<string, object> EmptyProperties = new Dictionary<string, object>();
}
