using System.Security.Cryptography;
using System.Text;

namespace Attune.Security;

/// <summary>Encryption-at-rest settings (configuration section <c>Attune:Encryption</c>).</summary>
public sealed class EncryptionOptions
{
    public const string Section = "Attune:Encryption";

    /// <summary>
    /// Key id → base64 of 32 random bytes (AES-256), e.g. <c>Attune:Encryption:Keys:k1</c> or the environment variable
    /// <c>Attune__Encryption__Keys__k1</c>. Ids are 1–32 of <c>A-Z a-z 0-9 _ -</c>. None = no encryption.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The key new values are written with; may be omitted when only one key is configured.</summary>
    public string? ActiveKey { get; set; }
}

/// <summary>
/// A value cannot be encrypted or decrypted with the configured keys (a key missing, wrong bytes, an altered value), or the
/// settings are invalid. The message names the key id or the setting; it never holds the value or a person's id.
/// </summary>
public sealed class EncryptionKeyException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>
/// Authenticated field encryption with AES-256-GCM: <c>enc:v1:&lt;keyId&gt;:&lt;base64(nonce 12 | ciphertext | tag 16)&gt;</c>.
/// Each value gets a fresh random nonce, so equal plaintexts give different ciphertexts (it is not searchable). The key id in
/// the value says which configured key opens it, so several keys may be configured while values move to the active one; a
/// value without the prefix is a plain (legacy or unencrypted) value and reads as itself.
/// </summary>
/// <remarks>
/// The associated data (a purpose such as <c>profiles.doc</c>) binds a ciphertext to the column it was written for: a value
/// copied into another column fails authentication. Thread-safe: an <see cref="AesGcm"/> is made per call (a key schedule,
/// about a microsecond), which is fine for the per-record paths that use it (user records, documents), not for per-event ones.
/// </remarks>
public sealed class FieldCipher
{
    public const string Prefix = "enc:v1:";
    private const int NonceBytes = 12, TagBytes = 16, KeyBytes = 32, MaxKeyIdLength = 32;

    private readonly Dictionary<string, byte[]> _keys;
    private readonly string _activePrefix;
    private readonly byte[] _activeKey;

    public FieldCipher(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, key) in keys)
        {
            if (!IsValidKeyId(id)) throw new EncryptionKeyException($"{EncryptionOptions.Section}:Keys:{id}: a key id is 1 to {MaxKeyIdLength} of A-Z a-z 0-9 _ -");
            if (key.Length != KeyBytes) throw new EncryptionKeyException($"{EncryptionOptions.Section}:Keys:{id} must be {KeyBytes} bytes; it is {key.Length}");
            _keys[id] = (byte[])key.Clone();
        }
        if (!_keys.TryGetValue(activeKeyId, out var active))
            throw new EncryptionKeyException($"{EncryptionOptions.Section}:ActiveKey is '{activeKeyId}', which is not one of the configured keys ({string.Join(", ", _keys.Keys.Order(StringComparer.Ordinal))})");
        ActiveKeyId = activeKeyId;
        _activeKey = active;
        _activePrefix = Prefix + activeKeyId + ":";
    }

    /// <summary>The id of the key new values are encrypted with.</summary>
    public string ActiveKeyId { get; }

    /// <summary>The configured key ids.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    public bool HasKey(string keyId) => _keys.ContainsKey(keyId);

    /// <summary>
    /// The cipher the settings describe, or null when no key is configured (no encryption). Throws
    /// <see cref="EncryptionKeyException"/> naming the setting when a key is not base64 of 32 bytes, an id is invalid, or the
    /// active key is missing or ambiguous.
    /// </summary>
    public static FieldCipher? FromOptions(EncryptionOptions? options)
    {
        const string S = EncryptionOptions.Section;
        if (options is null || options.Keys.Count == 0)
        {
            if (!string.IsNullOrWhiteSpace(options?.ActiveKey))
                throw new EncryptionKeyException($"{S}:ActiveKey is '{options!.ActiveKey}' but no key is configured under {S}:Keys");
            return null;
        }
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, text) in options.Keys)
        {
            if (!IsValidKeyId(id)) throw new EncryptionKeyException($"{S}:Keys:{id}: a key id is 1 to {MaxKeyIdLength} of A-Z a-z 0-9 _ -");
            byte[] bytes;
            try { bytes = Convert.FromBase64String((text ?? "").Trim()); }
            catch (FormatException) { throw new EncryptionKeyException($"{S}:Keys:{id} is not base64; it must be the base64 of {KeyBytes} random bytes (make one with 'attune key encryption')"); }
            if (bytes.Length != KeyBytes)
                throw new EncryptionKeyException($"{S}:Keys:{id} decodes to {bytes.Length} bytes; it must be the base64 of {KeyBytes} random bytes (make one with 'attune key encryption')");
            keys[id] = bytes;
        }
        string? active = string.IsNullOrWhiteSpace(options.ActiveKey) ? null : options.ActiveKey.Trim();
        if (active is null)
        {
            if (keys.Count > 1)
                throw new EncryptionKeyException($"{S}:ActiveKey must name the key new values are written with when several are configured ({string.Join(", ", keys.Keys.Order(StringComparer.Ordinal))})");
            active = keys.Keys.First();
        }
        return new FieldCipher(keys, active);
    }

    /// <summary>A fresh random key, as base64 of 32 bytes.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));

    public static bool IsValidKeyId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxKeyIdLength) return false;
        foreach (char c in id)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) return false;
        return true;
    }

    /// <summary>Whether <paramref name="value"/> is an encrypted value (of any key).</summary>
    public static bool IsEncrypted(string value) => value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The key id of an encrypted value, or null for a plain one.</summary>
    public static string? KeyIdOf(string value)
    {
        if (!IsEncrypted(value)) return null;
        int end = value.IndexOf(':', Prefix.Length);
        return end < 0 ? value[Prefix.Length..] : value[Prefix.Length..end];
    }

    /// <summary>Whether <paramref name="value"/> is already encrypted with the active key (the re-encryption pass skips it).</summary>
    public bool IsUnderActiveKey(string value) => value.StartsWith(_activePrefix, StringComparison.Ordinal);

    /// <summary>Encrypts <paramref name="plain"/> with the active key; <paramref name="purpose"/> is bound as associated data.</summary>
    public string Encrypt(string plain, ReadOnlySpan<byte> purpose)
    {
        ArgumentNullException.ThrowIfNull(plain);
        int n = Encoding.UTF8.GetByteCount(plain);
        var sealedBytes = new byte[NonceBytes + n + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(n);
        try
        {
            Encoding.UTF8.GetBytes(plain.AsSpan(), rented);
            using var aes = new AesGcm(_activeKey, TagBytes);
            aes.Encrypt(nonce, rented.AsSpan(0, n), sealedBytes.AsSpan(NonceBytes, n), sealedBytes.AsSpan(NonceBytes + n), purpose);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, n));
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
        return string.Concat(_activePrefix, Convert.ToBase64String(sealedBytes));
    }

    /// <summary>
    /// The plaintext of <paramref name="value"/>: itself when it is plain, else decrypted with the key its id names.
    /// <paramref name="what"/> says what the value is in an error (e.g. "a user record (profiles.doc)"); never a person's id.
    /// </summary>
    /// <exception cref="EncryptionKeyException">The key is not configured, or the value does not authenticate under it.</exception>
    public string Decrypt(string value, ReadOnlySpan<byte> purpose, string what)
    {
        if (!IsEncrypted(value)) return value;
        int end = value.IndexOf(':', Prefix.Length);
        if (end < 0) throw new EncryptionKeyException($"{what} is not a well-formed encrypted value (no key id)");
        string keyId = value[Prefix.Length..end];
        if (!_keys.TryGetValue(keyId, out var key))
            throw new EncryptionKeyException($"{what} is encrypted with key '{keyId}', which is not configured: add it back under " +
                $"{EncryptionOptions.Section}:Keys:{keyId} (configured: {string.Join(", ", _keys.Keys.Order(StringComparer.Ordinal))})");
        var payload = value.AsSpan(end + 1);
        byte[] bytes = new byte[payload.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64Chars(payload, bytes, out int length) || length < NonceBytes + TagBytes)
            throw new EncryptionKeyException($"{what} under key '{keyId}' is not well-formed (bad base64 or too short)");
        int n = length - NonceBytes - TagBytes;
        var plain = new byte[n];
        try
        {
            using var aes = new AesGcm(key, TagBytes);
            aes.Decrypt(bytes.AsSpan(0, NonceBytes), bytes.AsSpan(NonceBytes, n), bytes.AsSpan(NonceBytes + n, TagBytes), plain, purpose);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new EncryptionKeyException($"{what} does not decrypt under key '{keyId}': the configured key's bytes differ from the " +
                "ones it was written with, or the stored value was altered", e);
        }
        string text = Encoding.UTF8.GetString(plain);
        CryptographicOperations.ZeroMemory(plain);
        return text;
    }

    /// <summary>The error for an encrypted value met when no key is configured at all.</summary>
    public static EncryptionKeyException NotConfigured(string value, string what) =>
        new($"{what} is encrypted with key '{KeyIdOf(value)}', but no encryption key is configured: add it under " +
            $"{EncryptionOptions.Section}:Keys:{KeyIdOf(value)}");
}
