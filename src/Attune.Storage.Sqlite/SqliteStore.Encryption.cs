using System.Text.Json;
using Attune.Model;
using Attune.Security;
using Microsoft.Data.Sqlite;

namespace Attune.Storage.Sqlite;

/// <summary>
/// Encryption at rest of personal fields (<see cref="SqliteStoreOptions.Cipher"/>): the user record (<c>profiles.doc</c>:
/// attributes, consent) and every stored document (<c>documents.json</c>: some name people, e.g. pending erasures). Ids, events,
/// the recommendation log and exposures stay in clear: they are the join and lookup keys (see docs/configuration.md).
/// </summary>
/// <remarks>
/// <c>meta.encryption_keys</c> lists the key ids values may be under (comma-separated): every open with a cipher adds the active
/// key before anything is written with it, and a finished re-encryption pass removes the keys it emptied. An open whose
/// configuration lacks a listed key counts that key's values, and refuses to open when there are any, naming the key — so a
/// missing key is found at start, not on the first read of one person's record.
/// </remarks>
public sealed partial class SqliteStore
{
    private const string EncryptionKeysKey = "encryption_keys";
    /// <summary>The label of unencrypted values in <see cref="GetEncryptionStatusAsync"/> (not a valid key id).</summary>
    public const string PlainLabel = "(plain)";

    private static ReadOnlySpan<byte> UserDocPurpose => "profiles.doc"u8;
    private static ReadOnlySpan<byte> DocumentPurpose => "documents.json"u8;
    private const string UserDocWhat = "a user record (profiles.doc)";
    private const string DocumentWhat = "a stored document (documents.json)";

    /// <summary>The encrypted columns: table, column, associated data, what an error calls a value.</summary>
    private static readonly (string Table, string Column, byte[] Purpose, string What)[] EncryptedColumns =
    [
        ("profiles", "doc", "profiles.doc"u8.ToArray(), UserDocWhat),
        ("documents", "json", "documents.json"u8.ToArray(), DocumentWhat),
    ];

    private FieldCipher? Cipher => _options.Cipher;

    private string SealUserDoc(string json) => Cipher is { } c ? c.Encrypt(json, UserDocPurpose) : json;

    private string SealDocument(string json) => Cipher is { } c ? c.Encrypt(json, DocumentPurpose) : json;

    private string RevealUserDoc(string stored) => Reveal(stored, UserDocPurpose, UserDocWhat);

    private string RevealDocument(string stored) => Reveal(stored, DocumentPurpose, DocumentWhat);

    private string Reveal(string stored, ReadOnlySpan<byte> purpose, string what)
    {
        if (!FieldCipher.IsEncrypted(stored)) return stored;
        return Cipher is { } c ? c.Decrypt(stored, purpose, what) : throw FieldCipher.NotConfigured(stored, what);
    }

    private User UserFrom(string id, string? doc) =>
        doc is null ? new User { Id = id } : JsonSerializer.Deserialize<User>(RevealUserDoc(doc), AttuneJson.Options)!;

    /// <summary>At open, on the writer: refuses keys that values need but the configuration lacks; records the active key.</summary>
    private void CheckEncryptionKeys()
    {
        var listed = ReadListedKeys(_writer);
        var keep = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var id in listed)
        {
            if (Cipher?.HasKey(id) == true) { keep.Add(id); continue; }
            long n = CountUnderKey(_writer, id);
            if (n == 0) continue; // emptied by a pass that did not get to update the list
            throw new EncryptionKeyException(Cipher is null
                ? $"{_options.DatabasePath} holds {n:N0} values encrypted with key '{id}', but no encryption key is configured: " +
                  $"add it under {EncryptionOptions.Section}:Keys:{id}"
                : $"{_options.DatabasePath} holds {n:N0} values encrypted with key '{id}', which is not configured: add it back under " +
                  $"{EncryptionOptions.Section}:Keys:{id} until the re-encryption pass has moved them to the active key '{Cipher.ActiveKeyId}'");
        }
        if (Cipher is { } c) keep.Add(c.ActiveKeyId);
        if (!keep.SetEquals(listed)) WriteListedKeys(_writer, keep);
    }

    private static HashSet<string> ReadListedKeys(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", EncryptionKeysKey);
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (cmd.ExecuteScalar() is string s)
            foreach (var id in s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) set.Add(id);
        return set;
    }

    private static void WriteListedKeys(SqliteConnection c, IEnumerable<string> keys)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$k", EncryptionKeysKey);
        cmd.Parameters.AddWithValue("$v", string.Join(',', keys));
        cmd.ExecuteNonQuery();
    }

    private static long CountUnderKey(SqliteConnection c, string keyId)
    {
        using var cmd = c.CreateCommand();
        string prefix = FieldCipher.Prefix + keyId + ":";
        cmd.Parameters.AddWithValue("$p", prefix);
        cmd.Parameters.AddWithValue("$n", prefix.Length);
        long total = 0;
        foreach (var (table, column, _, _) in EncryptedColumns)
        {
            cmd.CommandText = $"SELECT COUNT(*) FROM {table} WHERE substr({column}, 1, $n) = $p";
            total += (long)cmd.ExecuteScalar()!;
        }
        return total;
    }

    /// <summary>
    /// How many stored personal values are under each key (<see cref="PlainLabel"/> for unencrypted ones): the progress of a
    /// re-encryption pass. A scan of the user records and documents: call it off the request path. Null when encryption is not
    /// configured and nothing is encrypted.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>?> GetEncryptionStatusAsync(CancellationToken ct = default)
    {
        await using var c = OpenRead();
        if (Cipher is null && ReadListedKeys(c).Count == 0) return null;
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (Cipher is { } cipher) counts[cipher.ActiveKeyId] = 0;
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT CASE WHEN substr(v, 1, {FieldCipher.Prefix.Length}) = '{FieldCipher.Prefix}'
                        THEN substr(v, {FieldCipher.Prefix.Length + 1}, instr(substr(v, {FieldCipher.Prefix.Length + 1}), ':') - 1) END, COUNT(*)
            FROM (SELECT doc AS v FROM profiles WHERE doc IS NOT NULL UNION ALL SELECT json FROM documents) GROUP BY 1
            """;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) counts[r.IsDBNull(0) ? PlainLabel : r.GetString(0)] = r.GetInt64(1);
        return counts;
    }

    /// <summary>
    /// The re-encryption pass: rewrites every user record and document not under the active key (plain ones, and ones under
    /// older keys) with the active key, in short write batches of <paramref name="batchRows"/> rows that share the writer with
    /// live traffic (like the retention purge), pausing <paramref name="pause"/> between batches. When it is done, keys no value
    /// is under any more are dropped from <c>meta.encryption_keys</c>, so the next open no longer needs them. Reports the number
    /// of values rewritten so far. Returns that number; 0 without a cipher.
    /// </summary>
    public async Task<long> ReencryptAsync(int batchRows = 256, TimeSpan pause = default, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchRows, 1);
        if (Cipher is null) return 0;
        long total = 0;
        for (int part = 0; part < EncryptedColumns.Length; part++)
        {
            long after = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                long next = 0;
                int p = part;
                long from = after;
                long rewritten = await Enqueue(s => s.ReencryptBatch(p, from, batchRows, out next), batchRows, ct).ConfigureAwait(false);
                total += rewritten;
                progress?.Report(total);
                if (next == 0) break;
                after = next;
                if (pause > TimeSpan.Zero) await Task.Delay(pause, ct).ConfigureAwait(false);
            }
        }
        await Enqueue(s =>
        {
            var listed = ReadListedKeys(s._writer);
            var keep = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var id in listed)
                if (id == s.Cipher!.ActiveKeyId || CountUnderKey(s._writer, id) > 0) keep.Add(id);
            keep.Add(s.Cipher!.ActiveKeyId);
            if (!keep.SetEquals(listed)) WriteListedKeys(s._writer, keep);
            return 0;
        }, 1, ct).ConfigureAwait(false);
        return total;
    }

    /// <summary>On the writer: one batch of the pass over <see cref="EncryptedColumns"/>[part] after rowid <paramref name="after"/>.</summary>
    private long ReencryptBatch(int part, long after, int maxRows, out long next)
    {
        var (table, column, purpose, what) = EncryptedColumns[part];
        var cipher = Cipher!;
        var rows = new List<(long RowId, string Value)>(maxRows);
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = $"SELECT rowid, {column} FROM {table} WHERE rowid > $after AND {column} IS NOT NULL ORDER BY rowid LIMIT $n";
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$n", maxRows);
        long last = after;
        int scanned = 0;
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                scanned++;
                last = r.GetInt64(0);
                string value = r.GetString(1);
                if (!cipher.IsUnderActiveKey(value)) rows.Add((last, value));
            }
        }
        next = scanned < maxRows ? 0 : last;
        if (rows.Count == 0) return 0;
        cmd.Parameters.Clear();
        cmd.CommandText = $"UPDATE {table} SET {column} = $v WHERE rowid = $id";
        var v = cmd.Parameters.Add("$v", SqliteType.Text);
        var id = cmd.Parameters.Add("$id", SqliteType.Integer);
        foreach (var (rowId, value) in rows)
        {
            v.Value = cipher.Encrypt(cipher.Decrypt(value, purpose, what), purpose);
            id.Value = rowId;
            cmd.ExecuteNonQuery();
        }
        return rows.Count;
    }
}
