using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Attune.Api;

/// <summary>
/// User tokens: proof, issued by the backend, that a browser or app acts for a user id. A key with only the <c>client</c>
/// scope may send events, identify and ask for recommendations for a user id only with one (docs/api.md "Client keys").
/// Format: <c>v1.EXPIRES.SIGNATURE</c>, where EXPIRES is the expiry in Unix seconds and SIGNATURE is the unpadded base64url
/// HMAC-SHA256, keyed with the UTF-8 bytes of the secret (<c>Attune:UserTokenSecrets</c>), of the UTF-8 text
/// <c>v1|USERID|EXPIRES</c>. A backend holding the secret computes it with <see cref="Create(string, string, DateTimeOffset)"/>
/// or the same few lines in any language.
/// </summary>
public static class UserToken
{
    /// <summary>The version prefix of this format.</summary>
    public const string Version = "v1";

    /// <summary>The token for <paramref name="userId"/> signed with <paramref name="secret"/>, valid until <paramref name="expiresAt"/>
    /// (whole seconds; a fraction is dropped).</summary>
    public static string Create(string secret, string userId, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return Create(Encoding.UTF8.GetBytes(secret), userId, expiresAt.ToUnixTimeSeconds());
    }

    /// <summary>The token for <paramref name="userId"/> signed with the key bytes, expiring at <paramref name="expiresUnixSeconds"/>.</summary>
    public static string Create(byte[] key, string userId, long expiresUnixSeconds)
    {
        string expires = expiresUnixSeconds.ToString(CultureInfo.InvariantCulture);
        Span<byte> mac = stackalloc byte[32];
        Sign(key, userId, expires, mac);
        return $"{Version}.{expires}.{Base64Url(mac)}";
    }

    /// <summary>
    /// Checks <paramref name="token"/> for <paramref name="userId"/> against every key (the signer's and older ones still
    /// accepted), in fixed time per key. The signature is checked before the expiry, so an altered expiry is
    /// <see cref="UserTokenCheck.Invalid"/>, not expired.
    /// </summary>
    public static UserTokenCheck Verify(IReadOnlyList<byte[]> keys, string token, string userId, long nowUnixSeconds)
    {
        // v1.<1 to 12 digits>.<43 base64url characters>
        if (token.Length > 64 || !token.StartsWith("v1.", StringComparison.Ordinal)) return UserTokenCheck.Malformed;
        int dot = token.IndexOf('.', 3);
        if (dot < 4 || dot > 15 || token.Length - dot - 1 != 43) return UserTokenCheck.Malformed;
        string expires = token[3..dot];
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out long expiresAt)) return UserTokenCheck.Malformed;
        Span<byte> presented = stackalloc byte[33];
        if (!TryDecodeBase64Url(token.AsSpan(dot + 1), presented, out int length) || length != 32) return UserTokenCheck.Malformed;
        Span<byte> expected = stackalloc byte[32];
        bool signed = false;
        for (int i = 0; i < keys.Count; i++)
        {
            Sign(keys[i], userId, expires, expected);
            signed |= CryptographicOperations.FixedTimeEquals(expected, presented[..32]);
        }
        if (!signed) return UserTokenCheck.Invalid;
        return expiresAt <= nowUnixSeconds ? UserTokenCheck.Expired : UserTokenCheck.Valid;
    }

    private static void Sign(byte[] key, string userId, string expires, Span<byte> mac)
    {
        byte[] message = Encoding.UTF8.GetBytes($"{Version}|{userId}|{expires}");
        HMACSHA256.HashData(key, message, mac);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecodeBase64Url(ReadOnlySpan<char> text, Span<byte> into, out int written)
    {
        Span<char> padded = stackalloc char[text.Length + 3];
        int n = 0;
        foreach (char c in text)
        {
            char d = c switch { '-' => '+', '_' => '/', '+' or '/' or '=' => '\0', _ => c };
            if (d == '\0') { written = 0; return false; }
            padded[n++] = d;
        }
        while (n % 4 != 0) padded[n++] = '=';
        return Convert.TryFromBase64Chars(padded[..n], into, out written);
    }
}

/// <summary>What checking a user token found.</summary>
public enum UserTokenCheck
{
    Valid,
    /// <summary>Not of the form <c>v1.EXPIRES.SIGNATURE</c>.</summary>
    Malformed,
    /// <summary>Signed by none of the keys for this user id: for another user, altered, or by a secret the server does not hold.</summary>
    Invalid,
    /// <summary>Signed correctly, but its time is over.</summary>
    Expired,
}
