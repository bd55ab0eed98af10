using System.Text.Json.Serialization;

namespace Attune.Server.Security;

/// <summary>
/// An API key stored in the database: a document of kind <see cref="KeyBook.Kind"/> whose id is the name. It holds the
/// SHA-256 of the key, never the key itself. A revoked key stays, with the time it was revoked, so its name is never reused.
/// </summary>
/// <param name="Name">Unique among configured and stored keys, revoked ones included (1 to 64 letters, digits, '-', '_', '.').</param>
/// <param name="Scopes">Scope names (<see cref="ScopeNames.All"/>).</param>
/// <param name="KeyHash">Lower-case hex SHA-256 of the key.</param>
/// <param name="Created">When it was created.</param>
/// <param name="CreatedBy">The name of the key that created it; null when the server had no key (open on loopback).</param>
/// <param name="Revoked">When it was revoked; null while active.</param>
/// <param name="Origins">Web origins that may use it from a browser (CORS; <see cref="KeyCors"/>); null or empty: none listed.</param>
public sealed record StoredApiKey(string Name, IReadOnlyList<string> Scopes, string KeyHash, DateTimeOffset Created, string? CreatedBy,
    DateTimeOffset? Revoked = null, IReadOnlyList<string>? Origins = null)
{
    /// <summary>The scopes as flags; unknown names (a newer server's) count as nothing.</summary>
    [JsonIgnore]
    public Scope ScopeValue => Scopes.Aggregate(Scope.None, (s, name) => s | (ScopeNames.Parse(name) ?? Scope.None));
}
