using Attune.Experiments.Assignment;

namespace Attune.Serving.Flags;

/// <summary>
/// A feature flag: a GrowthBook feature definition (<see cref="DefaultValue"/> and <see cref="Rules"/>: force rules,
/// percentage rollouts, experiments, with conditions) under a key, versioned. Stored as a document of kind
/// <see cref="FlagBook.Kind"/>; every version, deletions included, is kept as <see cref="FlagBook.VersionKind"/>.
/// </summary>
public sealed record Flag
{
    public required string Key { get; init; }
    /// <summary>1 for the first <c>PUT</c>, then one more per change (a deletion too).</summary>
    public int Version { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? Description { get; init; }
    /// <summary>The value when no rule applies (any JSON).</summary>
    public AttributeValue DefaultValue { get; init; }
    /// <summary>The rules as written (a JSON array in the GrowthBook SDK format), tried in order.</summary>
    public AttributeValue Rules { get; init; } = AttributeValue.FromArray([]);
    /// <summary>Set on the history entry a <c>DELETE</c> leaves.</summary>
    public bool? Deleted { get; init; }
}

/// <summary>A flag that cannot be stored as given: the HTTP layer answers 400 naming each field.</summary>
public sealed class FlagException(IReadOnlyDictionary<string, string[]> errors)
    : ArgumentException(string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
