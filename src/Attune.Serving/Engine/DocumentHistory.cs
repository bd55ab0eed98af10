using System.Text.Json;
using Attune.Model;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Documents kept per owner under ids <c>OWNER@…</c> (recipe versions, rule versions, experiments' results snapshots): read
/// those of one owner, parsed, an unreadable one logged and skipped.
/// </summary>
internal static class DocumentHistory
{
    public static async Task<List<T>> ReadAsync<T>(IAttuneStore store, string kind, string owner, ILogger log, CancellationToken ct)
    {
        var list = new List<T>();
        string prefix = owner + "@";
        foreach (var doc in await store.ListDocumentsAsync(kind, ct).ConfigureAwait(false))
        {
            if (!doc.Id.StartsWith(prefix, StringComparison.Ordinal)) continue;
            try
            {
                if (JsonSerializer.Deserialize<T>(doc.Json, AttuneJson.Options) is { } value) list.Add(value);
            }
            catch (JsonException e)
            {
                log.LogWarning(e, "Document {Kind}/{Id} is unreadable and was skipped", kind, doc.Id);
            }
        }
        return list;
    }
}
