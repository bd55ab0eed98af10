using Attune.Algorithms.Data;
using Attune.Model;
using Attune.Storage;

namespace Attune.Serving.Training;

/// <summary>
/// Reads the store into the models' input: every event as an interaction of its unified profile (strength from
/// <see cref="EventTypes.DefaultWeight"/>, negatives subtracting, times and types kept), every catalog item (so items nobody
/// touched yet get an index) with its text and attribute tokens for the content model. Serving also needs what the
/// interaction matrix drops: who bought what, who was shown what (frequency caps), and popularity by context.
/// </summary>
public static class StoreTrainingData
{
    /// <summary>Events per batch handed from the reading task to the counting one (small enough to stay off the large-object heap).</summary>
    private const int ReadBatch = 1024;

    public static async Task<(TrainingData Data, InteractionLog Log)> LoadAsync(IAttuneStore store, int threads = 0, CancellationToken ct = default)
    {
        var snapshot = await LoadSnapshotAsync(store, new SnapshotOptions { Threads = threads }, ct).ConfigureAwait(false);
        return (snapshot.Data, snapshot.Log);
    }

    /// <summary>Everything up to the newest event at the time of the call (the watermark).</summary>
    public static async Task<StoreSnapshot> LoadSnapshotAsync(IAttuneStore store, SnapshotOptions options, CancellationToken ct = default)
    {
        // Read the clock before the watermark: every event observed live before this moment was committed before it.
        long readAtMs = options.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long watermark = await store.GetLastEventSeqAsync(ct).ConfigureAwait(false);
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

        var purchases = new List<(int User, int Item)>();
        var impressions = new List<(int User, int Item, long Time)>();
        var engagements = new List<(int User, int Item, long Time)>();
        var context = new ContextCounts(options.Now.ToUnixTimeMilliseconds(), options.ContextHalfLifeDays);
        var carts = new Dictionary<(int User, int Item), (long Added, long Closed)>();
        long nowMs = options.Now.ToUnixTimeMilliseconds();
        long impressionFrom = nowMs - (long)options.ImpressionWindow.TotalMilliseconds;
        // Reading (SQLite, strings) on one core overlaps with interning and counting on the other.
        var batches = System.Threading.Channels.Channel.CreateBounded<(StoredEvent[] Events, int Count)>(
            new System.Threading.Channels.BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(async () =>
        {
            try
            {
                var batch = new StoredEvent[ReadBatch];
                int k = 0;
                await foreach (var e in store.ReadEventsAsync(0, watermark, ct).ConfigureAwait(false))
                {
                    batch[k++] = e;
                    if (k < batch.Length) continue;
                    await batches.Writer.WriteAsync((batch, k), ct).ConfigureAwait(false);
                    batch = new StoredEvent[ReadBatch];
                    k = 0;
                }
                if (k > 0) await batches.Writer.WriteAsync((batch, k), ct).ConfigureAwait(false);
                batches.Writer.Complete();
            }
            catch (Exception e)
            {
                batches.Writer.Complete(e);
            }
        }, ct);
        await foreach (var (events, n) in batches.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        for (int b = 0; b < n; b++)
        {
            var e = events[b];
            if (e.ItemId is null) continue;
            int type = e.TypeCode;
            if (type == (int)EventType.Impression)
            {
                if (e.TimestampMs >= impressionFrom) impressions.Add((log.AddUser(e.ProfileId), log.AddItem(e.ItemId), e.TimestampMs));
                continue;
            }
            float weight = EventTypes.DefaultWeight(type);
            if (weight == 0) continue;
            log.Add(e.ProfileId, e.ItemId, weight, e.TimestampMs, type);
            if (type is (int)EventType.AddToCart or (int)EventType.RemoveFromCart or (int)EventType.Purchase)
            {
                var key = (log.IndexOfUser(e.ProfileId), log.IndexOfItem(e.ItemId));
                var (added, closed) = carts.GetValueOrDefault(key);
                carts[key] = type == (int)EventType.AddToCart ? (Math.Max(added, e.TimestampMs), closed) : (added, Math.Max(closed, e.TimestampMs));
            }
            if (weight > 0)
            {
                int item = log.IndexOfItem(e.ItemId);
                context.Add(item, e.TimestampMs, e.Extra);
                if (type == (int)EventType.Purchase) purchases.Add((log.IndexOfUser(e.ProfileId), item));
                if (e.TimestampMs >= impressionFrom) engagements.Add((log.IndexOfUser(e.ProfileId), item, e.TimestampMs));
            }
        }
        await reader.ConfigureAwait(false);
        // Items first seen in events (not in the catalog) have no content.
        while (text.Count < log.ItemIds.Count) { text.Add(null); attributes.Add([]); }
        var data = log.Build(new ItemContent([.. text], [.. attributes]), threads: options.Threads);
        log.ReleaseRows();
        return new StoreSnapshot
        {
            Data = data,
            Log = log,
            Watermark = watermark,
            ReadAtMs = readAtMs,
            Purchases = PairsByUser(data.Users, purchases),
            OpenCarts = PairsByUser(data.Users, carts.Where(kv => kv.Value.Added > kv.Value.Closed
                && kv.Value.Added >= nowMs - (long)options.CartWindow.TotalMilliseconds).Select(kv => kv.Key).ToList()),
            Impressions = ImpressionTable.Build(data.Users, impressions, engagements),
            ContextPopularity = context.Build(data.Items),
        };
    }

    private static SparseRows PairsByUser(int users, List<(int User, int Item)> pairs)
    {
        pairs.Sort();
        var start = new int[users + 1];
        var items = new List<int>(pairs.Count);
        int u = 0;
        for (int k = 0; k < pairs.Count; k++)
        {
            if (k > 0 && pairs[k] == pairs[k - 1]) continue;
            while (u < pairs[k].User) start[++u] = items.Count;
            items.Add(pairs[k].Item);
        }
        while (u < users) start[++u] = items.Count;
        return new SparseRows(start, [.. items]);
    }

    /// <summary>Content tokens of an item: category paths (each prefix too), brand, tags.</summary>
    public static string[] Tokens(Item item)
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

    /// <summary>
    /// Decayed positive-event counts per item by context value (device, country, part of day), accumulated as the events
    /// stream by (decay measured from the snapshot's "now"), so memory is one array per context value, not per event.
    /// </summary>
    private sealed class ContextCounts(long nowMs, double halfLifeDays)
    {
        private readonly Dictionary<string, (List<float> Scores, int Events)> _byKey = new(StringComparer.Ordinal);

        public void Add(int item, long timeMs, string? extra)
        {
            float weight = (float)Math.Pow(0.5, Math.Max(0, nowMs - timeMs) / (halfLifeDays * 86_400_000));
            Add(ContextKeys.PartOfDay(ContextKeys.LocalHour(extra, timeMs)), item, weight);
            if (extra is null) return;
            if (ContextKeys.Find(extra, "\"device\":\"") is { } device) Add("device:" + device, item, weight);
            if (ContextKeys.Find(extra, "\"country\":\"") is { } country) Add("country:" + country, item, weight);
        }

        private void Add(string key, int item, float weight)
        {
            if (!_byKey.TryGetValue(key, out var entry))
            {
                if (_byKey.Count >= 1_000) return; // a runaway context field: keep the first thousand values
                entry = ([], 0);
            }
            var scores = entry.Scores;
            while (scores.Count <= item) scores.Add(0);
            scores[item] += weight;
            _byKey[key] = (scores, entry.Events + 1);
        }

        public Dictionary<string, float[]> Build(int items)
        {
            var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var (key, (scores, events)) in _byKey)
            {
                if (events < 50) continue; // too little to say anything about that context
                var array = new float[items];
                for (int i = 0; i < Math.Min(items, scores.Count); i++) array[i] = scores[i];
                result[key] = array;
            }
            return result;
        }
    }
}

/// <summary>What <see cref="StoreTrainingData.LoadSnapshotAsync"/> reads besides the events.</summary>
public sealed record SnapshotOptions
{
    public int Threads { get; init; }
    /// <summary>The clock the snapshot's read time comes from.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>"Now" for windows: impressions older than <see cref="ImpressionWindow"/> before it are not kept.</summary>
    public DateTimeOffset Now { get; init; } = TimeProvider.System.GetUtcNow();
    public TimeSpan ImpressionWindow { get; init; } = TimeSpan.FromDays(7);
    /// <summary>Items added to a cart longer ago than this are no longer "in the cart". <value>The default is 30 days.</value></summary>
    public TimeSpan CartWindow { get; init; } = TimeSpan.FromDays(30);
    public double ContextHalfLifeDays { get; init; } = 14;
}

/// <summary>The store at one moment, ready to train and serve from.</summary>
public sealed class StoreSnapshot
{
    public required TrainingData Data { get; init; }
    public required InteractionLog Log { get; init; }
    /// <summary>The arrival number of the last event included: serving replays events after it.</summary>
    public required long Watermark { get; init; }
    public required long ReadAtMs { get; init; }
    /// <summary>Items each user (training index) bought.</summary>
    public required SparseRows Purchases { get; init; }
    /// <summary>Items each user added to a cart and neither bought nor removed since.</summary>
    public required SparseRows OpenCarts { get; init; }
    public required ImpressionTable Impressions { get; init; }
    /// <summary>Popularity by context key (<c>device:mobile</c>, <c>country:DE</c>, <c>daypart:evening</c>).</summary>
    public required Dictionary<string, float[]> ContextPopularity { get; init; }
}

/// <summary>Rows of item indexes in CSR layout: row r is <c>Items[Start[r]..Start[r+1]]</c>, ascending.</summary>
public sealed class SparseRows(int[] start, int[] items)
{
    public int[] Start { get; } = start;
    public int[] Items { get; } = items;
    public int Rows => Start.Length - 1;

    public ReadOnlySpan<int> Row(int r) => (uint)r < (uint)Rows ? Items.AsSpan(Start[r], Start[r + 1] - Start[r]) : default;

}

/// <summary>
/// Per user and item: how many times it was shown within the window, when last, and when the person last engaged with it
/// (view, click, cart, purchase). Rows by user in CSR layout, items ascending.
/// </summary>
public sealed class ImpressionTable(int[] start, int[] items, int[] counts, long[] firstShownMs, long[] lastShownMs, long[] lastEngagedMs)
{
    public int[] Start { get; } = start;
    public int[] Items { get; } = items;
    public int[] Counts { get; } = counts;
    public long[] FirstShownMs { get; } = firstShownMs;
    public long[] LastShownMs { get; } = lastShownMs;
    public long[] LastEngagedMs { get; } = lastEngagedMs;

    public int Users => Start.Length - 1;

    /// <summary>The rows of the given users (by index here), in that order: row r of the result is row <c>users[r]</c>.</summary>
    public ImpressionTable Rows(ReadOnlySpan<int> users)
    {
        var start = new int[users.Length + 1];
        for (int r = 0; r < users.Length; r++)
            start[r + 1] = start[r] + ((uint)users[r] < (uint)Users ? Start[users[r] + 1] - Start[users[r]] : 0);
        int n = start[^1];
        var (items, counts, first, last, engaged) = (new int[n], new int[n], new long[n], new long[n], new long[n]);
        for (int r = 0; r < users.Length; r++)
        {
            int length = start[r + 1] - start[r];
            if (length == 0) continue;
            int from = Start[users[r]];
            Array.Copy(Items, from, items, start[r], length);
            Array.Copy(Counts, from, counts, start[r], length);
            Array.Copy(FirstShownMs, from, first, start[r], length);
            Array.Copy(LastShownMs, from, last, start[r], length);
            Array.Copy(LastEngagedMs, from, engaged, start[r], length);
        }
        return new ImpressionTable(start, items, counts, first, last, engaged);
    }

    public static ImpressionTable Build(int users, List<(int User, int Item, long Time)> shown, List<(int User, int Item, long Time)> engaged)
    {
        if (shown.Count == 0) return new ImpressionTable(new int[users + 1], [], [], [], [], []);
        var map = new Dictionary<(int, int), (int Count, long First, long Last, long Engaged)>();
        foreach (var (u, i, t) in shown)
        {
            var v = map.GetValueOrDefault((u, i), (0, long.MaxValue, 0, 0));
            map[(u, i)] = (v.Count + 1, Math.Min(v.First, t), Math.Max(v.Last, t), v.Engaged);
        }
        foreach (var (u, i, t) in engaged)
        {
            if (map.TryGetValue((u, i), out var v)) map[(u, i)] = v with { Engaged = Math.Max(v.Engaged, t) };
        }
        var keys = map.Keys.ToList();
        keys.Sort();
        var start = new int[users + 1];
        var items = new int[keys.Count];
        var counts = new int[keys.Count];
        var first = new long[keys.Count];
        var last = new long[keys.Count];
        var eng = new long[keys.Count];
        for (int k = 0; k < keys.Count; k++)
        {
            var (u, i) = keys[k];
            start[u + 1]++;
            items[k] = i;
            (counts[k], first[k], last[k], eng[k]) = map[(u, i)];
        }
        for (int u = 0; u < users; u++) start[u + 1] += start[u];
        return new ImpressionTable(start, items, counts, first, last, eng);
    }
}

/// <summary>The context keys that popularity is kept by, from an event's extra JSON or a request's context.</summary>
public static class ContextKeys
{
    /// <summary>A string value that follows <paramref name="marker"/> (such as <c>"device":"</c>) in compact JSON, or null.</summary>
    public static string? Find(string json, string marker)
    {
        int p = json.IndexOf(marker, StringComparison.Ordinal);
        if (p < 0) return null;
        p += marker.Length;
        int end = json.IndexOf('"', p);
        return end > p && end - p <= 64 ? json.Substring(p, end - p) : null;
    }

    /// <summary>The local hour: from a <c>"localTime":"…"</c> in the context (ISO date-time or HH:mm), else the UTC hour.</summary>
    public static int LocalHour(string? extra, long timeMs)
    {
        if (extra is not null && Find(extra, "\"localTime\":\"") is { } local && HourOf(local) is { } h) return h;
        return (int)(timeMs / 3_600_000 % 24);
    }

    public static int? HourOf(string localTime)
    {
        if (DateTimeOffset.TryParse(localTime, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var dto))
            return dto.Hour;
        if (TimeOnly.TryParse(localTime, System.Globalization.CultureInfo.InvariantCulture, out var t)) return t.Hour;
        return null;
    }

    /// <summary><c>daypart:night</c> (0–5), <c>morning</c> (6–11), <c>afternoon</c> (12–17), <c>evening</c> (18–23).</summary>
    public static string PartOfDay(int hour) => hour switch
    {
        < 6 => "daypart:night",
        < 12 => "daypart:morning",
        < 18 => "daypart:afternoon",
        _ => "daypart:evening",
    };
}
