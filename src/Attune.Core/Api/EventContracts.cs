namespace Attune.Api;

// The HTTP API's wire shapes for events and identity, shared by the server (OpenAPI, answers) and Attune.Client.
// Requests are validated field by field by RecordReader, not bound to these types: they document the shape and let a
// .NET caller build it.

/// <summary>The JSON shape of an event (docs/api.md "Events").</summary>
/// <remarks>
/// There is no event id: the store appends every accepted event, so sending one batch twice records it twice
/// (<c>POST /v1/events</c> is not idempotent).
/// </remarks>
public sealed record EventInput(
    string Type, string? UserId = null, string? AnonymousId = null, string? ItemId = null, double? Value = null,
    DateTimeOffset? Timestamp = null, string? SessionId = null, string? Channel = null, Dictionary<string, object>? Context = null,
    string? RecommendationId = null, string? Query = null);

/// <summary>Links an anonymous visitor to a known user. Idempotent.</summary>
public sealed record IdentifyInput(string AnonymousId, string UserId);

/// <param name="MovedEvents">Events of the anonymous history moved into the user's profile by this call (0 when linked before).</param>
public sealed record IdentifyResult(string AnonymousId, string UserId, long MovedEvents);
