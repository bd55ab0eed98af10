using Attune.Model;
using Attune.Storage;

namespace Attune.Demo;

/// <summary>Loads a generated demo shop into a store: catalog, users, then events in pipelined batches.</summary>
public static class DemoLoader
{
    public static async Task<long> LoadAsync(IAttuneStore store, DemoShop shop, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        foreach (var chunk in shop.Items.Chunk(5_000)) await store.UpsertItemsAsync(chunk, ct).ConfigureAwait(false);
        foreach (var chunk in shop.Users.Chunk(5_000)) await store.UpsertUsersAsync(chunk, ct).ConfigureAwait(false);

        // Events go through the regular append path (it links anonymous sessions to users when an event names both),
        // two batches in flight so generation overlaps with the writer.
        long total = 0;
        Task? pending = null;
        var batch = new List<Event>(20_000);
        foreach (var e in shop.Events())
        {
            batch.Add(e);
            if (batch.Count < 20_000) continue;
            total += await Flush().ConfigureAwait(false);
        }
        total += await Flush().ConfigureAwait(false);
        if (pending is not null) await pending.ConfigureAwait(false);
        progress?.Report(total);
        return total;

        async Task<int> Flush()
        {
            if (batch.Count == 0) return 0;
            var task = store.AppendEventsAsync(batch.ToArray(), ct);
            int n = batch.Count;
            batch.Clear();
            if (pending is not null) await pending.ConfigureAwait(false);
            pending = task;
            progress?.Report(total + n);
            return n;
        }
    }
}
