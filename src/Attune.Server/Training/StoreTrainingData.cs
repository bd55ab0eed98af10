using Attune.Algorithms.Data;
using Attune.Model;
using Attune.Storage;

namespace Attune.Server.Training;

/// <summary>
/// Reads the store into the models' input: every event as an interaction of its unified profile (strength from
/// <see cref="EventTypes.DefaultWeight"/>, negatives subtracting, times and types kept), every catalog item (so items nobody
/// touched yet get an index) with its text and attribute tokens for the content model.
/// </summary>
public static class StoreTrainingData
{
    public static async Task<(TrainingData Data, InteractionLog Log)> LoadAsync(IAttuneStore store, int threads = 0, CancellationToken ct = default)
    {
        var log = new InteractionLog();
        var text = new List<string?>();
        var attributes = new List<string[]>();
        string? cursor = null;
        do
        {
            var page = await store.ListItemsAsync(cursor, 1000, ct).ConfigureAwait(false);
            foreach (var item in page.Data)
            {
                int index = log.AddItem(item.Id);
                while (text.Count <= index) { text.Add(null); attributes.Add([]); }
                text[index] = string.Join(' ', new[] { item.Title, item.Description }.Where(s => !string.IsNullOrEmpty(s)));
                attributes[index] = Tokens(item);
            }
            cursor = page.NextCursor;
        } while (cursor is not null);

        await foreach (var e in store.ReadEventsAsync(ct).ConfigureAwait(false))
        {
            if (e.ItemId is null) continue;
            float weight = EventTypes.DefaultWeight(e.TypeCode);
            if (weight == 0) continue;
            log.Add(e.ProfileId, e.ItemId, weight, e.TimestampMs, e.TypeCode);
        }
        // Items first seen in events (not in the catalog) have no content.
        while (text.Count < log.ItemIds.Count) { text.Add(null); attributes.Add([]); }
        var data = log.Build(new ItemContent([.. text], [.. attributes]), threads: threads);
        return (data, log);
    }

    private static string[] Tokens(Item item)
    {
        var tokens = new List<string>();
        foreach (string c in item.Categories)
        {
            // "shoes/running" counts for "shoes" too, so a new item shares its department with older ones.
            int slash = -1;
            while ((slash = c.IndexOf('/', slash + 1)) > 0) tokens.Add("cat:" + c[..slash]);
            tokens.Add("cat:" + c);
        }
        if (item.Brand is { } brand) tokens.Add("brand:" + brand.ToLowerInvariant());
        foreach (string t in item.Tags) tokens.Add("tag:" + t.ToLowerInvariant());
        return [.. tokens];
    }
}
