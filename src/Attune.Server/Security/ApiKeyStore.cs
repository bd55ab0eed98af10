using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Attune.Server.Hosting;

namespace Attune.Server.Security;

/// <summary>
/// The keys this server accepts, kept only as SHA-256 hashes: the configured ones (<c>Attune:ApiKeys</c>, fixed for the
/// process's life) and the active ones stored in the database (<see cref="KeyBook"/> hands them over whole after every change).
/// </summary>
public sealed class ApiKeyStore
{
    private readonly ApiKeyEntry[] _configured;
    /// <summary>Configured + stored active keys, replaced whole (one reference write) so a check never sees half a change.</summary>
    private ApiKeyEntry[] _active;
    private IReadOnlyList<StoredApiKey> _stored = [];

    public ApiKeyStore(IEnumerable<ApiKeyOptions> keys)
    {
        var configured = new List<ApiKeyEntry>();
        int n = 0;
        foreach (var k in keys)
        {
            n++;
            string name = k.Name ?? $"key{n}";
            byte[] hash;
            if (!string.IsNullOrEmpty(k.Key))
            {
                if (k.Key.Length < 16) throw new InvalidOperationException($"API key '{name}' is shorter than 16 characters");
                hash = Hash(k.Key);
            }
            else if (!string.IsNullOrEmpty(k.KeyHash) && k.KeyHash.Length == 64)
                hash = Convert.FromHexString(k.KeyHash);
            else
                throw new InvalidOperationException($"API key '{name}' needs Key or a 64-hex-digit KeyHash");
            var scope = Scope.None;
            foreach (string s in k.Scopes)
                scope |= ScopeNames.Parse(s) ?? throw new InvalidOperationException($"API key '{name}': unknown scope '{s}' ({string.Join(", ", ScopeNames.All)})");
            if (scope == Scope.None) throw new InvalidOperationException($"API key '{name}' has no scope ({string.Join(", ", ScopeNames.All)})");
            var origins = new List<string>(k.Origins.Count);
            foreach (string o in k.Origins)
                origins.Add(KeyCors.Normalize(o, out var error) ?? throw new InvalidOperationException($"API key '{name}': Origins: {error}"));
            configured.Add(new ApiKeyEntry(hash, scope, name, origins));
        }
        _configured = [.. configured];
        _active = _configured;
    }

    /// <summary>Whether no key at all is active: the server is then open, and only on loopback.</summary>
    public bool IsEmpty => Volatile.Read(ref _active).Length == 0;

    /// <summary>Active keys, configured and stored.</summary>
    public int Count => Volatile.Read(ref _active).Length;

    /// <summary>The active keys, configured and stored.</summary>
    public IReadOnlyList<ApiKeyEntry> Active => Volatile.Read(ref _active);

    /// <summary>The configured keys, in configuration order.</summary>
    public IReadOnlyList<ApiKeyEntry> Configured => _configured;

    /// <summary>The keys stored in the database, revoked ones included, ordered by name.</summary>
    public IReadOnlyList<StoredApiKey> Stored => Volatile.Read(ref _stored);

    /// <summary>How many active keys (configured or stored) have the admin scope.</summary>
    public int AdminCount => Volatile.Read(ref _active).Count(k => (k.Scope & Scope.Admin) == Scope.Admin);

    /// <summary>Replaces the stored keys (all of them, revoked ones included); from now on only the active ones match.</summary>
    public void SetStored(IReadOnlyList<StoredApiKey> stored)
    {
        var active = new List<ApiKeyEntry>(_configured);
        foreach (var k in stored)
        {
            if (k.Revoked is not null || k.ScopeValue == Scope.None || k.KeyHash.Length != 64) continue;
            var origins = new List<string>();
            foreach (string o in k.Origins ?? []) if (KeyCors.Normalize(o, out _) is { } ok) origins.Add(ok);
            active.Add(new ApiKeyEntry(Convert.FromHexString(k.KeyHash), k.ScopeValue, k.Name, origins));
        }
        Volatile.Write(ref _stored, stored);
        Volatile.Write(ref _active, [.. active]);
    }

    /// <summary>The scope of a presented key, or null when it matches no active key.</summary>
    public (Scope Scope, string Name)? Find(string presented) => FindEntry(presented) is { } k ? (k.Scope, k.Name) : null;

    /// <summary>The active key presented, or null when it matches none.</summary>
    public ApiKeyEntry? FindEntry(string presented)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), hash);
        ApiKeyEntry? found = null;
        foreach (var k in Volatile.Read(ref _active))
        {
            // Compare against every key in fixed time so timing says nothing about which prefix matched.
            if (CryptographicOperations.FixedTimeEquals(hash, k.Hash)) found = k;
        }
        return found;
    }

    /// <summary>Whether <paramref name="presented"/> is an active key (configured or stored).</summary>
    public bool Knows(string presented)
    {
        Span<byte> hash = stackalloc byte[32];
        HashKey(presented, hash);
        return Knows(hash);
    }

    /// <summary>
    /// Whether the key whose SHA-256 is <paramref name="hash"/> is active. The tenants' router hashes a request's key once and
    /// asks every tenant with the hash; like <see cref="FindEntry"/>, every key is compared in fixed time.
    /// </summary>
    public bool Knows(ReadOnlySpan<byte> hash)
    {
        bool found = false;
        foreach (var k in Volatile.Read(ref _active)) found |= CryptographicOperations.FixedTimeEquals(hash, k.Hash);
        return found;
    }

    /// <summary>Writes the SHA-256 of <paramref name="key"/> (UTF-8) into <paramref name="hash"/> (32 bytes) without allocating
    /// for keys of ordinary length (a longer header borrows a pooled buffer).</summary>
    public static void HashKey(ReadOnlySpan<char> key, Span<byte> hash)
    {
        int max = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = max > 512 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> bytes = rented is null ? stackalloc byte[512] : rented;
        int length = Encoding.UTF8.GetBytes(key, bytes);
        SHA256.HashData(bytes[..length], hash);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>Whether some active key lists <paramref name="origin"/> (a CORS preflight carries no key).</summary>
    public bool AnyAllowsOrigin(string origin)
    {
        foreach (var k in Volatile.Read(ref _active))
        {
            if (k.Origins.Count > 0 && KeyCors.Allows(k.Origins, origin)) return true;
        }
        return false;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string HashHex(string key) => Convert.ToHexStringLower(Hash(key));

    /// <summary>A new random key: 32 bytes of entropy, URL-safe.</summary>
    public static string NewKey() =>
        "atk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>One active key: the SHA-256 of the key, what it may do, its name, the web origins that may use it (normalized;
/// <c>*</c> = any; empty = none cross-origin for a client key, no check for the others).</summary>
public sealed record ApiKeyEntry(byte[] Hash, Scope Scope, string Name, IReadOnlyList<string> Origins)
{
    public ApiKeyEntry(byte[] hash, Scope scope, string name) : this(hash, scope, name, []) { }

    /// <summary>Whether requests carrying a foreign <c>Origin</c> are checked against <see cref="Origins"/>: keys that list
    /// origins, and every key with the client scope (made for browsers). Other keys without origins behave as before CORS existed.</summary>
    public bool ChecksOrigin => Origins.Count > 0 || (Scope & Scope.Client) != 0;
}
