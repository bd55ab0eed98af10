using System.Security.Cryptography;
using System.Text;
using Attune.Server.Hosting;

namespace Attune.Server.Security;

/// <summary>The configured API keys, kept only as SHA-256 hashes.</summary>
public sealed class ApiKeyStore
{
    private readonly List<(byte[] Hash, Scope Scope, string Name)> _keys = [];

    public ApiKeyStore(IEnumerable<ApiKeyOptions> keys)
    {
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
            {
                scope |= s.Trim().ToLowerInvariant() switch
                {
                    "admin" => Scope.Admin,
                    "ingest" => Scope.Ingest,
                    "serve" => Scope.Serve,
                    "viewer" => Scope.Viewer,
                    _ => throw new InvalidOperationException($"API key '{name}': unknown scope '{s}' (admin, ingest, serve, viewer)"),
                };
            }
            if (scope == Scope.None) throw new InvalidOperationException($"API key '{name}' has no scope (admin, ingest, serve, viewer)");
            _keys.Add((hash, scope, name));
        }
    }

    public bool IsEmpty => _keys.Count == 0;

    public int Count => _keys.Count;

    /// <summary>The scope of a presented key, or null when it matches none.</summary>
    public (Scope Scope, string Name)? Find(string presented)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), hash);
        (Scope, string)? found = null;
        foreach (var k in _keys)
        {
            // Compare against every key in fixed time so timing says nothing about which prefix matched.
            if (CryptographicOperations.FixedTimeEquals(hash, k.Hash)) found = (k.Scope, k.Name);
        }
        return found;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string HashHex(string key) => Convert.ToHexStringLower(Hash(key));

    /// <summary>A new random key: 32 bytes of entropy, URL-safe.</summary>
    public static string NewKey() =>
        "atk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
