namespace Attune.Api;

// The HTTP API's wire shapes for events and identity, shared by the server (OpenAPI, answers) and Attune.Client.
// Requests are validated field by field by RecordReader, not bound to these types: they document the shape and let a
// .NET caller build it.

/// <summary>The JSON shape of an event (docs/api.md "Events").</summary>
/// <remarks>
/// There is no event id: the store appends every accepted event, so sending one batch twice records it twice, unless the
/// batch carries an <c>Idempotency-Key</c> header (then a batch sent again with the same key is stored once).
/// </remarks>
public sealed record EventInput(
    string Type, string? UserId = null, string? AnonymousId = null, string? ItemId = null, double? Value = null,
    DateTimeOffset? Timestamp = null, string? SessionId = null, string? Channel = null, Dictionary<string, object>? Context = null,
    string? RecommendationId = null, string? Query = null)
{
    /// <summary>The user token for <see cref="UserId"/> (<see cref="Attune.Api.UserToken"/>): required when a <c>client</c> key sends an
    /// event with a user id (or send it once per request in the <c>X-Attune-User-Token</c> header); never stored.</summary>
    public string? UserToken { get; init; }
}

/// <summary>Links an anonymous visitor to a known user. Idempotent.</summary>
/// <param name="UserToken">The user token for <paramref name="UserId"/>: required with a <c>client</c> key.</param>
public sealed record IdentifyInput(string AnonymousId, string UserId, string? UserToken = null);

/// <summary>The body of <c>POST /v1/user-tokens</c>: a token for <paramref name="UserId"/> valid <paramref name="TtlSeconds"/>
/// (default 86,400; at most 90 days).</summary>
public sealed record UserTokenInput(string UserId, int? TtlSeconds = null);

/// <summary>A user token (<see cref="Attune.Api.UserToken"/>) for a browser or app to present with a <c>client</c> key.</summary>
public sealed record UserTokenOutput(string UserId, string Token, DateTimeOffset ExpiresAt);

/// <param name="MovedEvents">Events of the anonymous history moved into the user's profile by this call (0 when linked before).</param>
public sealed record IdentifyResult(string AnonymousId, string UserId, long MovedEvents);
