using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attune.Api;
using Attune.Model;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Security;

/// <summary>
/// Issues and checks user tokens (<see cref="UserToken"/>). The secrets come from configuration (<c>Attune:UserTokenSecrets:N</c>,
/// or <c>Attune:UserTokenSecret</c> with one secret or several separated by commas): the first signs, every one verifies, so
/// a secret is rotated by putting the new one first and removing the old one once its tokens expired. Without configuration a
/// random secret is made once and kept in the store (document <c>user-token-secret/default</c>): tokens then come only from
/// <c>POST /v1/user-tokens</c>, since no backend knows the secret, and several nodes need a configured one to agree.
/// </summary>
public sealed class UserTokens
{
    public const string DocumentKind = "user-token-secret";
    public const string DocumentId = "default";
    /// <summary>The fewest characters a configured secret may have.</summary>
    public const int MinSecretLength = 32;
    /// <summary>The longest life <c>POST /v1/user-tokens</c> gives a token: 90 days.</summary>
    public const int MaxTtlSeconds = 90 * 86400;

    private byte[][] _keys;
    private readonly TimeProvider _time;

    /// <summary>Whether the secrets come from configuration (false: one generated and stored).</summary>
    public bool Configured { get; }

    public UserTokens(IReadOnlyList<string> configured, TimeProvider time)
    {
        _time = time;
        _keys = new byte[configured.Count][];
        for (int i = 0; i < configured.Count; i++)
        {
            string secret = configured[i].Trim();
            if (secret.Length < MinSecretLength)
                throw new InvalidOperationException($"Attune:UserTokenSecrets: secret {i} is shorter than {MinSecretLength} characters");
            _keys[i] = Encoding.UTF8.GetBytes(secret);
        }
        Configured = _keys.Length > 0;
    }

    /// <summary>The configured secrets: <c>Attune:UserTokenSecrets:N</c>, else <c>Attune:UserTokenSecret</c> split at commas.
    /// Both set: an error (which one signs would be unclear).</summary>
    public static IReadOnlyList<string> FromSettings(IReadOnlyList<string> list, string? single)
    {
        var secrets = new List<string>();
        foreach (string s in list) if (!string.IsNullOrWhiteSpace(s)) secrets.Add(s.Trim());
        if (!string.IsNullOrWhiteSpace(single))
        {
            if (secrets.Count > 0) throw new InvalidOperationException("set Attune:UserTokenSecrets or Attune:UserTokenSecret, not both");
            foreach (string s in single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) secrets.Add(s);
        }
        return secrets;
    }

    /// <summary>Without configured secrets: reads the stored one, or makes and stores it the first time.</summary>
    public async Task LoadAsync(IAttuneStore store, ILogger log, CancellationToken ct = default)
    {
        if (Configured) return;
        foreach (var doc in await store.ListDocumentsAsync(DocumentKind, ct).ConfigureAwait(false))
        {
            if (doc.Id != DocumentId) continue;
            if (JsonSerializer.Deserialize<StoredSecret>(doc.Json, AttuneJson.Options) is { Secret.Length: >= MinSecretLength } stored)
            {
                _keys = [Encoding.UTF8.GetBytes(stored.Secret)];
                return;
            }
            log.LogWarning("The stored user-token secret is unreadable: a new one is made (tokens issued before are refused)");
        }
        string secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await store.PutDocumentAsync(DocumentKind, DocumentId, JsonSerializer.Serialize(new StoredSecret(secret, _time.GetUtcNow()), AttuneJson.Options), ct)
            .ConfigureAwait(false);
        _keys = [Encoding.UTF8.GetBytes(secret)];
        log.LogInformation("No Attune:UserTokenSecrets configured: made a user-token secret and stored it (POST /v1/user-tokens issues tokens)");
    }

    /// <summary>A token for <paramref name="userId"/> valid for <paramref name="ttlSeconds"/>, signed with the first secret.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(string userId, int ttlSeconds)
    {
        var keys = Volatile.Read(ref _keys);
        if (keys.Length == 0) throw new InvalidOperationException("no user-token secret is loaded");
        long expires = _time.GetUtcNow().ToUnixTimeSeconds() + ttlSeconds;
        return (UserToken.Create(keys[0], userId, expires), DateTimeOffset.FromUnixTimeSeconds(expires));
    }

    /// <summary>Checks a token for <paramref name="userId"/> now.</summary>
    public UserTokenCheck Verify(string token, string userId) =>
        UserToken.Verify(Volatile.Read(ref _keys), token, userId, _time.GetUtcNow().ToUnixTimeSeconds());

    private sealed record StoredSecret(string Secret, DateTimeOffset Created);
}
