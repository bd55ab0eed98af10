using System.Globalization;
using System.Text.Json;
using Attune.Model;
using Microsoft.Data.Sqlite;

namespace Attune.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>How many of a person's most recent events the profile summary reads (counts cover all events).</summary>
    private const int ProfileWindow = 5_000;

    public async Task<Item?> GetItemAsync(string id, CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT doc FROM items WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string doc ? ParseItem(doc) : null;
    }

    public async Task<Page<Item>> ListItemsAsync(string? cursor, int limit, CancellationToken ct = default)
    {
        long after = ParseCursor(cursor);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT idx, doc FROM items WHERE idx > $after AND doc IS NOT NULL ORDER BY idx LIMIT $limit";
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        var list = new List<Item>(limit);
        long last = after;
        bool more = false;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            if (list.Count == limit) { more = true; break; }
            last = r.GetInt64(0);
            list.Add(ParseItem(r.GetString(1)));
        }
        return new Page<Item>(list, more ? last.ToString(CultureInfo.InvariantCulture) : null);
    }

    public async Task<User?> GetUserAsync(string id, CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT doc FROM profiles WHERE kind = 0 AND id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return UserFrom(id, r.IsDBNull(0) ? null : r.GetString(0));
    }

    public async Task<Page<User>> ListUsersAsync(string? cursor, int limit, CancellationToken ct = default)
    {
        long after = ParseCursor(cursor);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT idx, id, doc FROM profiles WHERE kind = 0 AND idx > $after ORDER BY idx LIMIT $limit";
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        var list = new List<User>(limit);
        long last = after;
        bool more = false;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            if (list.Count == limit) { more = true; break; }
            last = r.GetInt64(0);
            list.Add(UserFrom(r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));
        }
        return new Page<User>(list, more ? last.ToString(CultureInfo.InvariantCulture) : null);
    }

    public async Task<Profile?> GetProfileAsync(string id, bool anonymous = false, CancellationToken ct = default)
    {
        await using var c = OpenRead();
        // Resolve the owner: a user, or an anonymous id that may since have been identified.
        int owner;
        string ownerId;
        string? doc;
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = """
                SELECT o.idx, o.id, o.doc, o.kind FROM profiles p JOIN profiles o ON o.idx = p.canonical
                WHERE p.kind = $kind AND p.id = $id
                """;
            cmd.Parameters.AddWithValue("$kind", anonymous ? KindAnonymous : KindUser);
            cmd.Parameters.AddWithValue("$id", id);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
            owner = r.GetInt32(0);
            ownerId = r.GetString(1);
            doc = r.IsDBNull(2) ? null : r.GetString(2);
        }
        var user = UserFrom(ownerId, doc);
        var typeNames = await TypeNamesAsync(c, ct).ConfigureAwait(false);

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        long? first = null, last = null;
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT type, COUNT(*), MIN(ts), MAX(ts) FROM events WHERE profile = $p GROUP BY type";
            cmd.Parameters.AddWithValue("$p", owner);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                long n = r.GetInt64(1);
                counts[NameOf(typeNames, r.GetInt32(0))] = n;
                total += n;
                first = Math.Min(first ?? long.MaxValue, r.GetInt64(2));
                last = Math.Max(last ?? long.MinValue, r.GetInt64(3));
            }
        }

        // Recent window: items, channels, devices and taste weights.
        var channels = new SortedSet<string>(StringComparer.Ordinal);
        var devices = new SortedSet<string>(StringComparer.Ordinal);
        var recent = new List<RecentItem>();
        var seenRecent = new HashSet<long>();
        var itemWeights = new Dictionary<long, double>();
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = """
                SELECT e.type, e.item, i.id, e.ts, json_extract(e.extra, '$.channel'), json_extract(e.extra, '$.context.device')
                FROM events e LEFT JOIN items i ON i.idx = e.item
                WHERE e.profile = $p ORDER BY e.ts DESC LIMIT $n
                """;
            cmd.Parameters.AddWithValue("$p", owner);
            cmd.Parameters.AddWithValue("$n", ProfileWindow);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            long newest = last ?? 0;
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                int type = r.GetInt32(0);
                long ts = r.GetInt64(3);
                if (!r.IsDBNull(4)) channels.Add(r.GetString(4));
                if (!r.IsDBNull(5)) devices.Add(r.GetString(5));
                if (r.IsDBNull(1)) continue;
                long item = r.GetInt64(1);
                if (recent.Count < 20 && EventTypes.DefaultWeight(type) > 0 && seenRecent.Add(item))
                    recent.Add(new RecentItem(r.GetString(2), NameOf(typeNames, type), DateTimeOffset.FromUnixTimeMilliseconds(ts)));
                // Taste weight: event strength, halved every 30 days back from the person's last event.
                double decay = Math.Pow(0.5, (newest - ts) / (30.0 * 86_400_000));
                itemWeights[item] = itemWeights.GetValueOrDefault(item) + EventTypes.DefaultWeight(type) * decay;
            }
        }
        var (categories, brands) = await TasteAsync(c, itemWeights, ct).ConfigureAwait(false);

        var anonymousIds = new List<string>();
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT id FROM profiles WHERE kind = 1 AND canonical = $p AND idx <> $p ORDER BY idx";
            cmd.Parameters.AddWithValue("$p", owner);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) anonymousIds.Add(r.GetString(0));
        }

        return new Profile
        {
            UserId = ownerId,
            Attributes = user.Attributes,
            Consent = user.Consent ?? new Consent(),
            EventCount = total,
            EventCounts = counts,
            FirstSeen = first is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
            LastSeen = last is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
            Channels = channels.ToList(),
            Devices = devices.ToList(),
            RecentItems = recent,
            TopCategories = categories,
            TopBrands = brands,
            AnonymousIds = anonymousIds,
        };
    }

    private static async Task<(List<WeightedName>, List<WeightedName>)> TasteAsync(
        SqliteConnection c, Dictionary<long, double> itemWeights, CancellationToken ct)
    {
        var categories = new Dictionary<string, double>(StringComparer.Ordinal);
        var brands = new Dictionary<string, double>(StringComparer.Ordinal);
        var positive = itemWeights.Where(kv => kv.Value > 0).ToList();
        foreach (var chunk in positive.Chunk(500))
        {
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT idx, json_extract(doc, '$.brand'), json_extract(doc, '$.categories') FROM items WHERE doc IS NOT NULL AND idx IN ({string.Join(',', chunk.Select(kv => kv.Key))})";
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                double w = itemWeights[r.GetInt64(0)];
                if (!r.IsDBNull(1)) brands[r.GetString(1)] = brands.GetValueOrDefault(r.GetString(1)) + w;
                if (!r.IsDBNull(2))
                {
                    foreach (var cat in JsonSerializer.Deserialize<string[]>(r.GetString(2)) ?? [])
                        categories[cat] = categories.GetValueOrDefault(cat) + w;
                }
            }
        }
        return (Top(categories), Top(brands));

        static List<WeightedName> Top(Dictionary<string, double> d)
        {
            double sum = d.Values.Sum();
            return d.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(10)
                .Select(kv => new WeightedName(kv.Key, Math.Round(kv.Value / sum, 4))).ToList();
        }
    }

    public async Task<ActivitySummary> GetActivityAsync(long fromMs, long toMs, CancellationToken ct = default)
    {
        await using var c = OpenRead();
        var names = await TypeNamesAsync(c, ct).ConfigureAwait(false);
        long events = 0, people = 0, answers = 0, shown = 0;
        var attributed = new SortedDictionary<string, (long, double)>(StringComparer.Ordinal);
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*), COUNT(DISTINCT profile) FROM events WHERE ts >= $from AND ts < $to";
            cmd.Parameters.AddWithValue("$from", fromMs);
            cmd.Parameters.AddWithValue("$to", toMs);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await r.ReadAsync(ct).ConfigureAwait(false)) { events = r.GetInt64(0); people = r.GetInt64(1); }
        }
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = $"SELECT e.type, COUNT(*), TOTAL(e.value) FROM events e WHERE e.ts >= $from AND e.ts < $to AND {CarriesRecommendation} GROUP BY e.type";
            cmd.Parameters.AddWithValue("$from", fromMs);
            cmd.Parameters.AddWithValue("$to", toMs);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) attributed[NameOf(names, r.GetInt32(0))] = (r.GetInt64(1), r.GetDouble(2));
        }
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*), TOTAL(json_array_length(items)) FROM recommendations WHERE ts >= $from AND ts < $to";
            cmd.Parameters.AddWithValue("$from", fromMs);
            cmd.Parameters.AddWithValue("$to", toMs);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await r.ReadAsync(ct).ConfigureAwait(false)) { answers = r.GetInt64(0); shown = (long)r.GetDouble(1); }
        }
        return new ActivitySummary(events, people, answers, shown, attributed);
    }

    public async Task<StoreStats> GetStatsAsync(CancellationToken ct = default)
    {
        await using var c = OpenRead();
        long Scalar(string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar() is long v ? v : 0;
        }
        var names = await TypeNamesAsync(c, ct).ConfigureAwait(false);
        var byType = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long? first = null, last = null;
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT type, COUNT(*) FROM events GROUP BY type";
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) byType[NameOf(names, r.GetInt32(0))] = r.GetInt64(1);
        }
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT MIN(ts), MAX(ts) FROM events";
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await r.ReadAsync(ct).ConfigureAwait(false) && !r.IsDBNull(0)) { first = r.GetInt64(0); last = r.GetInt64(1); }
        }
        long bytes = 0;
        foreach (var suffix in new[] { "", "-wal" })
        {
            var f = new FileInfo(_options.DatabasePath + suffix);
            if (f.Exists) bytes += f.Length;
        }
        return new StoreStats(
            Items: Scalar("SELECT COUNT(*) FROM items WHERE doc IS NOT NULL"),
            Users: Scalar("SELECT COUNT(*) FROM profiles WHERE kind = 0"),
            AnonymousVisitors: Scalar("SELECT COUNT(*) FROM profiles WHERE kind = 1 AND canonical = idx"),
            Events: byType.Values.Sum(),
            EventsByType: byType,
            FirstEvent: first is { } f0 ? DateTimeOffset.FromUnixTimeMilliseconds(f0) : null,
            LastEvent: last is { } l0 ? DateTimeOffset.FromUnixTimeMilliseconds(l0) : null,
            DatabaseBytes: bytes)
        {
            EncryptedValues = await GetEncryptionStatusAsync(ct).ConfigureAwait(false),
        };
    }

    public async IAsyncEnumerable<StoredEvent> ReadEventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"{StoredEventSelect} ORDER BY e.seq";
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadStoredEvent(r);
    }

    private static async Task<Dictionary<int, string>> TypeNamesAsync(SqliteConnection c, CancellationToken ct)
    {
        var names = new Dictionary<int, string>();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT code, name FROM event_types";
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) names[r.GetInt32(0)] = r.GetString(1);
        return names;
    }

    private static string NameOf(Dictionary<int, string> custom, int code) =>
        EventTypes.BuiltInNameOf(code) ?? custom.GetValueOrDefault(code) ?? $"type{code}";

    private static long ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return 0;
        if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            throw new FormatException("cursor is not one this API returned");
        return v;
    }

    private static Item ParseItem(string doc) => JsonSerializer.Deserialize<Item>(doc, AttuneJson.Options)!;
}
