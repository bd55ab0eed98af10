using System.Text.Json;
using Attune.Model;
using Attune.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Security;

/// <summary>
/// API keys stored in the database, beside the configured ones: created with a name and scopes (the key in clear is
/// returned once and kept nowhere), revoked (the document stays, with the time). Each is a document of kind
/// <see cref="Kind"/>; <see cref="LoadAsync"/> hands them to <see cref="ApiKeyStore"/> after every write here and, through the
/// store's change feed, after every write by anyone else (another node, later).
/// </summary>
/// <remarks>
/// Two rules keep "no keys = open, loopback only" coherent. While the server has no admin key, a new key must have the admin
/// scope (the first key switches authentication on; without an admin among the keys nobody could manage them). The last
/// active admin key cannot be revoked (409), so once keys are required they stay required.
/// </remarks>
public sealed class KeyBook(IAttuneStore store, ApiKeyStore keys, TimeProvider time, ILogger<KeyBook> log)
{
    public const string Kind = "api-key";
    public const string FromConfiguration = "configuration";
    public const string FromDatabase = "database";

    // REVIEW: unique names and the last-admin rule hold under this process's lock, not in the store: two nodes writing at
    // once could both pass. Today one process owns a data folder; several nodes need a conditional document write.
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly SemaphoreSlim _load = new(1, 1);

    /// <summary>Every key: the configured ones first (in configuration order), then the stored ones by name, revoked included.</summary>
    public IReadOnlyList<ApiKeyInfo> List() =>
        [.. keys.Configured.Select(k => new ApiKeyInfo(k.Name, ScopeNames.Of(k.Scope), FromConfiguration, null, null, null, k.Origins.Count == 0 ? null : k.Origins)), .. keys.Stored.Select(Info)];

    /// <summary>Reads the stored keys and makes them the ones <see cref="ApiKeyStore"/> checks (one load at a time, so an older
    /// read never replaces a newer one).</summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        await _load.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var docs = await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false);
            var stored = new List<StoredApiKey>(docs.Count);
            foreach (var doc in docs)
            {
                try
                {
                    if (JsonSerializer.Deserialize<StoredApiKey>(doc.Json, AttuneJson.Options) is { } key && key.Name == doc.Id) stored.Add(key);
                    else log.LogWarning("Stored API key {Id} does not name itself and was skipped", doc.Id);
                }
                catch (JsonException e)
                {
                    log.LogWarning(e, "Stored API key {Id} is unreadable and was skipped", doc.Id);
                }
            }
            keys.SetStored(stored);
        }
        finally
        {
            _load.Release();
        }
    }

    /// <summary>
    /// Creates a key; returns it in clear (the only time) with its listing. <paramref name="createdBy"/>: the name of the key
    /// making it (null on an open server). Throws <see cref="KeyRefusedException"/> (400 naming the field) for bad input.
    /// </summary>
    public async Task<(string Key, ApiKeyInfo Info)> CreateAsync(string? name, IReadOnlyList<string>? scopes, string? createdBy,
        CancellationToken ct = default, IReadOnlyList<string>? origins = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var scope = Check(name, scopes, errors);
        var allowed = CheckOrigins(origins, errors);
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!errors.ContainsKey("name") && List().FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)) is { } taken)
                errors["name"] = [$"'{taken.Name}' is taken by a key from the {taken.Source}" + (taken.Revoked is null ? "" : " (revoked; names are not reused)")];
            if (!errors.Keys.Any(k => k.StartsWith("scopes", StringComparison.Ordinal)) && keys.AdminCount == 0 && (scope & Scope.Admin) != Scope.Admin)
                errors["scopes"] = ["must include admin: this server has no admin key yet, and keys are required from the first one on"];
            if (errors.Count > 0) throw KeyRefusedException.Invalid(errors);

            string key = ApiKeyStore.NewKey();
            var doc = new StoredApiKey(name!, ScopeNames.Of(scope), ApiKeyStore.HashHex(key), time.GetUtcNow(), createdBy,
                Origins: allowed.Count == 0 ? null : allowed);
            await store.PutDocumentAsync(Kind, doc.Name, JsonSerializer.Serialize(doc, AttuneJson.Options), ct).ConfigureAwait(false);
            await LoadAsync(ct).ConfigureAwait(false);
            log.LogInformation("API key {Name} ({Scopes}) created by {CreatedBy}", doc.Name, string.Join(",", doc.Scopes), createdBy ?? "(no key: open server)");
            return (key, Info(doc));
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// Revokes a stored key: refused at once on this node. Revoking a revoked key changes nothing. Throws
    /// <see cref="KeyRefusedException"/>: 404 for an unknown name, 409 for a configured key or the last active admin key.
    /// </summary>
    public async Task<ApiKeyInfo> RevokeAsync(string name, CancellationToken ct = default)
    {
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await LoadAsync(ct).ConfigureAwait(false);
            if (keys.Configured.Any(k => k.Name == name))
                throw new KeyRefusedException(StatusCodes.Status409Conflict, "Key from configuration",
                    $"Key '{name}' comes from configuration (Attune:ApiKeys): remove it there and restart.");
            var stored = keys.Stored.FirstOrDefault(k => k.Name == name)
                ?? throw new KeyRefusedException(StatusCodes.Status404NotFound, "Key not found", $"No key named '{name}'.");
            if (stored.Revoked is not null) return Info(stored);
            if ((stored.ScopeValue & Scope.Admin) == Scope.Admin && keys.AdminCount <= 1)
                throw new KeyRefusedException(StatusCodes.Status409Conflict, "Last admin key",
                    $"Key '{name}' is the last admin key: create another admin key first (without one nobody could manage keys).");
            var revoked = stored with { Revoked = time.GetUtcNow() };
            await store.PutDocumentAsync(Kind, name, JsonSerializer.Serialize(revoked, AttuneJson.Options), ct).ConfigureAwait(false);
            await LoadAsync(ct).ConfigureAwait(false);
            log.LogInformation("API key {Name} revoked", name);
            return Info(revoked);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Checks a new key's name and scopes as written (errors by field); returns the scopes as flags.</summary>
    public static Scope Check(string? name, IReadOnlyList<string>? scopes, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(name)) errors["name"] = ["is required"];
        else if (CheckName(name) is { } bad) errors["name"] = [bad];
        var scope = Scope.None;
        if (scopes is null) errors["scopes"] = [$"is required: one or more of {string.Join(", ", ScopeNames.All)}"];
        else if (scopes.Count == 0) errors["scopes"] = [$"must not be empty: one or more of {string.Join(", ", ScopeNames.All)}"];
        else
        {
            for (int i = 0; i < scopes.Count; i++)
            {
                if (ScopeNames.Parse(scopes[i] ?? "") is { } s) scope |= s;
                else errors[$"scopes[{i}]"] = [$"'{scopes[i]}' is not a scope: {string.Join(", ", ScopeNames.All)}"];
            }
        }
        return scope;
    }

    /// <summary>Checks a new key's web origins (errors as <c>origins[i]</c>); returns them normalized, without repeats.</summary>
    public static List<string> CheckOrigins(IReadOnlyList<string>? origins, Dictionary<string, string[]> errors)
    {
        var normalized = new List<string>();
        if (origins is null) return normalized;
        if (origins.Count > 100) errors["origins"] = ["at most 100 origins"];
        for (int i = 0; i < origins.Count; i++)
        {
            if (KeyCors.Normalize(origins[i], out var error) is not { } origin) errors[$"origins[{i}]"] = [error!];
            else if (!normalized.Contains(origin)) normalized.Add(origin);
        }
        return normalized;
    }

    /// <summary>Null when <paramref name="name"/> is a valid key name, else why not.</summary>
    public static string? CheckName(string name) =>
        name.Length is >= 1 and <= 64 && name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") < 0
            ? null : "must be 1 to 64 letters, digits, '-', '_' or '.'";

    private static ApiKeyInfo Info(StoredApiKey k) =>
        new(k.Name, k.Scopes, FromDatabase, k.Created, k.CreatedBy, k.Revoked, k.Origins is { Count: > 0 } o ? o : null);
}

/// <summary>What the API and the console show of a key: never its hash, never the key.</summary>
/// <param name="Source"><c>configuration</c> (read-only here) or <c>database</c>.</param>
/// <param name="Origins">Web origins that may use the key from a browser (CORS); null when none are listed.</param>
public sealed record ApiKeyInfo(string Name, IReadOnlyList<string> Scopes, string Source, DateTimeOffset? Created, string? CreatedBy,
    DateTimeOffset? Revoked, IReadOnlyList<string>? Origins = null);

/// <summary>A key request refused: the HTTP status, a title and detail, and for bad input the fields named.</summary>
public sealed class KeyRefusedException(int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;

    public static KeyRefusedException Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
}
