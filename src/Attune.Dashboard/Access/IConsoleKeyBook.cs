namespace Attune.Dashboard.Access;

/// <summary>What the Settings page needs of the server's API keys (the server's key book answers).</summary>
public interface IConsoleKeyBook
{
    /// <summary>Every key: configured ones (read-only here), then stored ones, revoked included.</summary>
    IReadOnlyList<KeyListing> List();

    /// <summary>Creates a stored key made by <paramref name="createdBy"/> (a key name; null on an open server).</summary>
    /// <param name="origins">Web origins that may use it from a browser (CORS); empty for none.</param>
    Task<KeyChange> CreateAsync(string? name, IReadOnlyList<string> scopes, string? createdBy, IReadOnlyList<string>? origins = null);

    /// <summary>Revokes a stored key: requests with it are refused at once.</summary>
    Task<KeyChange> RevokeAsync(string name);
}

/// <summary>One key as the console lists it: never the key, never its hash.</summary>
/// <param name="Source"><c>configuration</c> or <c>database</c>.</param>
public sealed record KeyListing(string Name, IReadOnlyList<string> Scopes, string Source, DateTimeOffset? Created, string? CreatedBy,
    DateTimeOffset? Revoked, IReadOnlyList<string>? Origins = null);

/// <summary>
/// What a create or revoke did: <paramref name="Key"/> the new key in clear (creation only, shown once), or
/// <paramref name="Errors"/> by field, or a refusal's <paramref name="Message"/>.
/// </summary>
public sealed record KeyChange(string? Key, IReadOnlyDictionary<string, string[]> Errors, string? Message)
{
    public bool Succeeded => Errors.Count == 0 && Message is null;
}
