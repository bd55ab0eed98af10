namespace Attune.Model;

/// <summary>A known person. Anonymous visitors have no user record until they identify.</summary>
public sealed record User
{
    public required string Id { get; init; }
    /// <summary>Country, city, device, language and any free-form string attributes.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    /// <summary>Consent given; <see langword="null"/> in an update means "keep what was given before" (default: personalization on).</summary>
    public Consent? Consent { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
}

/// <summary>What a person allowed, by purpose.</summary>
public sealed record Consent
{
    /// <summary>Whether results may be personalized for this person. The default value is <see langword="true"/>.</summary>
    public bool Personalization { get; init; } = true;
    /// <summary>Whether offers and messages (emails, pushes) may be chosen for this person. The default value is <see langword="true"/>.</summary>
    public bool Marketing { get; init; } = true;
    /// <summary>Whether this person may be in experiments and counted in their metrics. The default value is <see langword="true"/>.</summary>
    public bool Analytics { get; init; } = true;

    /// <summary>Every purpose withdrawn: only a suppression record is kept, and the person's events are refused.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool WithdrawnEntirely => !Personalization && !Marketing && !Analytics;
}
