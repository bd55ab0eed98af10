using Attune.Security;
using Attune.Storage.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>
/// Encryption at rest in the server: logs at start whether it is on, and with which key, then runs the store's re-encryption
/// pass in the background (short write batches shared with live traffic, a pause between them), so that after a key rotation
/// (a new active key, the old one still configured) or after encryption is first switched on, every user record and document
/// ends up under the active key without stopping the server. Progress: <c>encryptedValues</c> in <c>GET /v1/stats</c>.
/// </summary>
internal sealed class EncryptionRotation(SqliteStore? store, FieldCipher? cipher, ILogger log) : BackgroundService
{
    /// <summary>Rows per write batch of the pass, and the pause after each: a few milliseconds of writer time every 50 ms.</summary>
    private const int BatchRows = 256;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is null) return;
        if (cipher is null)
        {
            log.LogInformation("Encryption at rest is off: user records and documents are stored in clear (configure Attune:Encryption:Keys to encrypt them)");
            return;
        }
        try
        {
            var before = await store.GetEncryptionStatusAsync(stoppingToken).ConfigureAwait(false);
            log.LogInformation("Encryption at rest is on: active key '{Key}' of {Keys}; values per key: {Counts}", cipher.ActiveKeyId,
                string.Join(", ", cipher.KeyIds.Order(StringComparer.Ordinal)), Describe(before));
            long pending = 0;
            if (before is not null)
                foreach (var (key, n) in before)
                    if (key != cipher.ActiveKeyId) pending += n;
            if (pending == 0) return;
            log.LogInformation("Re-encrypting {Count} values under the active key '{Key}' in the background", pending, cipher.ActiveKeyId);
            long done = await store.ReencryptAsync(BatchRows, Pause, null, stoppingToken).ConfigureAwait(false);
            var after = await store.GetEncryptionStatusAsync(stoppingToken).ConfigureAwait(false);
            log.LogInformation("Re-encryption done: {Count} values rewritten; values per key: {Counts}. Keys other than '{Key}' can now be removed from the configuration",
                done, Describe(after), cipher.ActiveKeyId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { /* stopping: the next start continues */ }
        catch (Exception e)
        {
            // Never stops the host (a failed BackgroundService would): reads keep working, the next start continues the pass.
            log.LogError("Re-encryption stopped: {Message}", e.Message);
        }
    }

    private static string Describe(IReadOnlyDictionary<string, long>? counts) =>
        counts is null ? "-" : string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value:N0}"));
}
