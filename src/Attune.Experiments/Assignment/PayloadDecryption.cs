using System.Security.Cryptography;
using System.Text;

namespace Attune.Experiments.Assignment;

/// <summary>
/// Encrypted SDK payloads (<c>encryptedFeatures</c>): <c>base64(iv) + "." + base64(ciphertext)</c>, AES-CBC with PKCS#7
/// padding and a base64 key, as the SDKs' <c>decrypt</c>.
/// </summary>
public static class PayloadDecryption
{
    /// <summary>The decrypted text (UTF-8). Throws <see cref="CryptographicException"/> when it cannot be decrypted.</summary>
    public static string Decrypt(string encrypted, string key)
    {
        try
        {
            int dot = encrypted.IndexOf('.');
            string ivText = dot < 0 ? encrypted : encrypted[..dot];
            // JavaScript: split(".")[1] of a string without a dot is undefined, and atob("undefined") fails.
            string? cipherText = dot < 0 ? null : encrypted[(dot + 1)..].Split('.')[0];
            using var aes = Aes.Create();
            aes.Key = FromBase64(key);
            byte[] plain = aes.DecryptCbc(FromBase64(cipherText ?? "undefined"), FromBase64(ivText), PaddingMode.PKCS7);
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or CryptographicException)
        {
            throw new CryptographicException("Failed to decrypt", e);
        }
    }

    /// <summary>The browser's forgiving base64 (<c>atob</c>): whitespace ignored, padding optional.</summary>
    private static byte[] FromBase64(string text)
    {
        var s = new StringBuilder(text.Length + 2);
        foreach (char c in text)
        {
            if (c is not (' ' or '\t' or '\n' or '\f' or '\r')) s.Append(c);
        }
        if (s.Length % 4 == 0 && s.Length > 0 && s[^1] == '=')
        {
            s.Length--;
            if (s.Length > 0 && s[^1] == '=') s.Length--;
        }
        if (s.Length % 4 == 1) throw new FormatException("Invalid base64 length");
        for (int i = 0; i < s.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(s[i]) || s[i] is '+' or '/')) throw new FormatException("Invalid base64 character");
        }
        while (s.Length % 4 != 0) s.Append('=');
        return Convert.FromBase64String(s.ToString());
    }
}
