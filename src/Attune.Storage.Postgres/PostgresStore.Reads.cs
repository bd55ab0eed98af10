using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Attune.Model;
using Attune.Security;
using Npgsql;

namespace Attune.Storage.Postgres;

/// <summary>Reads: records, profiles, statistics, events, links, consents, documents, the recommendation log, exposures.</summary>
public sealed partial class PostgresStore
{
    /// <summary>How many of a person's most recent events the profile summary reads (counts cover all events).</summary>
    private const int ProfileWindow = 5_000;

    /// <summary>An event with its owner resolved (the unified profile the event row belongs to).</summary>
    private const string StoredEventSelect = """
        SELECT p.id, p.kind, i.id, e.type, e.ts, e.value, e.seq, e.extra
        FROM events e JOIN profiles p ON p.idx = e.profile LEFT JOIN items i ON i.idx = e.item
        """;

    private static StoredEvent ReadStoredEvent(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetInt16(1) == KindAnonymous, r.IsDBNull(2) ? null : r.GetString(2), r.GetInt32(3), r.GetInt64(4),
            r.IsDBNull(5) ? null : r.GetDouble(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetString(7));

    private NpgsqlCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = _source.CreateCommand(sql);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    private async IAsyncEnumerable<StoredEvent> EventsAsync(string sql, [EnumeratorCancellation] CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadStoredEvent(r);
    }

    public async Task<Item?> GetItemAsync(string id, CancellationToken ct = default)
    {
        await using var cmd = Command("SELECT doc FROM items WHERE id = @id", ("id", id));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string doc ? ParseItem(doc) : null;
    }

    public Task<Page<Item>> ListItemsAsync(string? cursor, int limit, CancellationToken ct = default) =>
        PageAsync("SELECT idx, doc FROM items WHERE idx > @after AND doc IS NOT NULL ORDER BY idx LIMIT @limit", cursor, limit,
            r => ParseItem(r.GetString(1)), ct);

    /// <summary>One page of rows whose first column is the index the cursor continues after.</summary>
    private async Task<Page<T>> PageAsync<T>(string sql, string? cursor, int limit, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        long after = ParseCursor(cursor);
        await using var cmd = Command(sql, ("after", after), ("limit", limit + 1));
        var list = new List<T>(limit);
        long last = after;
        bool more = false;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            if (list.Count == limit) { more = true; break; }
            last = r.GetInt64(0);
            list.Add(read(r));
        }
        return new Page<T>(list, more ? last.ToString(CultureInfo.InvariantCulture) : null);
    }

    public async Task<User?> GetUserAsync(string id, CancellationToken ct = default)
    {
        await using var cmd = Command("SELECT doc FROM profiles WHERE kind = 0 AND id = @id", ("id", id));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return UserFrom(id, r.IsDBNull(0) ? null : r.GetString(0));
    }

    public Task<Page<User>> ListUsersAsync(string? cursor, int limit, CancellationToken ct = default) =>
        PageAsync("SELECT idx, id, doc FROM profiles WHERE kind = 0 AND idx > @after ORDER BY idx LIMIT @limit", cursor, limit,
            r => UserFrom(r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)), ct);

    public async Task<Profile?> GetProfileAsync(string id, bool anonymous = false, CancellationToken ct = default)
    {
        // Resolve the owner: a user, or an anonymous id that may since have been identified.
        long owner;
        string ownerId;
        string? doc;
        await using (var cmd = Command("""
            SELECT o.idx, o.id, o.doc FROM profiles p JOIN profiles o ON o.idx = p.canonical WHERE p.kind = @kind AND p.id = @id
            """, ("kind", (short)(anonymous ? KindAnonymous : KindUser)), ("id", id)))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
            owner = r.GetInt64(0);
            ownerId = r.GetString(1);
            doc = r.IsDBNull(2) ? null : r.GetString(2);
        }
        var user = UserFrom(ownerId, doc);
        var typeNames = await TypeNamesAsync(ct).ConfigureAwait(false);

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        long? first = null, last = null;
        await using (var cmd = Command("SELECT type, COUNT(*), MIN(ts), MAX(ts) FROM events WHERE profile = @p GROUP BY type", ("p", owner)))
        {
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
        await using (var cmd = Command("""
            SELECT e.type, e.item, i.id, e.ts, (e.extra::jsonb) ->> 'channel', (e.extra::jsonb) -> 'context' ->> 'device'
            FROM events e LEFT JOIN items i ON i.idx = e.item
            WHERE e.profile = @p ORDER BY e.ts DESC, e.seq DESC LIMIT @n
            """, ("p", owner), ("n", ProfileWindow)))
        {
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
        var (categories, brands) = await TasteAsync(itemWeights, ct).ConfigureAwait(false);

        var anonymousIds = new List<string>();
        await using (var cmd = Command("SELECT id FROM profiles WHERE kind = 1 AND canonical = @p AND idx <> @p ORDER BY idx", ("p", owner)))
        {
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

    private async Task<(List<WeightedName>, List<WeightedName>)> TasteAsync(Dictionary<long, double> itemWeights, CancellationToken ct)
    {
        var categories = new Dictionary<string, double>(StringComparer.Ordinal);
        var brands = new Dictionary<string, double>(StringComparer.Ordinal);
        var positive = itemWeights.Where(kv => kv.Value > 0).Select(kv => kv.Key).ToArray();
        if (positive.Length > 0)
        {
            await using var cmd = Command("SELECT idx, doc FROM items WHERE doc IS NOT NULL AND idx = ANY(@ids)", ("ids", positive));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                double w = itemWeights[r.GetInt64(0)];
                var item = ParseItem(r.GetString(1));
                if (item.Brand is { } brand) brands[brand] = brands.GetValueOrDefault(brand) + w;
                foreach (string cat in item.Categories) categories[cat] = categories.GetValueOrDefault(cat) + w;
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
        var names = await TypeNamesAsync(ct).ConfigureAwait(false);
        long events = 0, people = 0, answers = 0, shown = 0;
        var attributed = new SortedDictionary<string, (long, double)>(StringComparer.Ordinal);
        await using (var cmd = Command("SELECT COUNT(*), COUNT(DISTINCT profile) FROM events WHERE ts >= @from AND ts < @to", ("from", fromMs), ("to", toMs)))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await r.ReadAsync(ct).ConfigureAwait(false)) { events = r.GetInt64(0); people = r.GetInt64(1); }
        }
        await using (var cmd = Command("""
            SELECT type, COUNT(*), COALESCE(SUM(value), 0) FROM events
            WHERE ts >= @from AND ts < @to AND strpos(extra, '"recommendationId":') > 0 GROUP BY type
            """, ("from", fromMs), ("to", toMs)))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) attributed[NameOf(names, r.GetInt32(0))] = (r.GetInt64(1), r.GetDouble(2));
        }
        await using (var cmd = Command("""
            SELECT COUNT(*), COALESCE(SUM(json_array_length(items::json)), 0) FROM recommendations WHERE ts >= @from AND ts < @to
            """, ("from", fromMs), ("to", toMs)))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await r.ReadAsync(ct).ConfigureAwait(false)) { answers = r.GetInt64(0); shown = r.GetInt64(1); }
        }
        return new ActivitySummary(events, people, answers, shown, attributed);
    }

    public async Task<StoreStats> GetStatsAsync(CancellationToken ct = default)
    {
        async Task<long> Scalar(string sql)
        {
            await using var cmd = Command(sql);
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long v ? v : 0;
        }
        var names = await TypeNamesAsync(ct).ConfigureAwait(false);
        var byType = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long? first = null, last = null;
        await using (var cmd = Command("SELECT type, COUNT(*) FROM events GROUP BY type"))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) byType[NameOf(names, r.GetInt32(0))] = r.GetInt64(1);
        }
        await using (var cmd = Command("SELECT MIN(ts), MAX(ts) FROM events"))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await r.ReadAsync(ct).ConfigureAwait(false) && !r.IsDBNull(0)) { first = r.GetInt64(0); last = r.GetInt64(1); }
        }
        return new StoreStats(
            Items: await Scalar("SELECT COUNT(*) FROM items WHERE doc IS NOT NULL").ConfigureAwait(false),
            Users: await Scalar("SELECT COUNT(*) FROM profiles WHERE kind = 0").ConfigureAwait(false),
            AnonymousVisitors: await Scalar("SELECT COUNT(*) FROM profiles WHERE kind = 1 AND canonical = idx").ConfigureAwait(false),
            Events: byType.Values.Sum(),
            EventsByType: byType,
            FirstEvent: first is { } f0 ? DateTimeOffset.FromUnixTimeMilliseconds(f0) : null,
            LastEvent: last is { } l0 ? DateTimeOffset.FromUnixTimeMilliseconds(l0) : null,
            // This tenant's tables and their indexes.
            DatabaseBytes: await Scalar("""
                SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind = 'r'
                """).ConfigureAwait(false))
        {
            EncryptedValues = await EncryptionStatusAsync(ct).ConfigureAwait(false),
        };
    }

    /// <summary>Personal values (user records, documents) per key id, <c>(plain)</c> for clear ones; null when encryption is off
    /// and nothing is encrypted.</summary>
    private async Task<IReadOnlyDictionary<string, long>?> EncryptionStatusAsync(CancellationToken ct)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (_cipher is { } cipher) counts[cipher.ActiveKeyId] = 0;
        await using var cmd = Command($"""
            SELECT v FROM (SELECT doc AS v FROM profiles WHERE kind = 0 AND doc IS NOT NULL UNION ALL SELECT json FROM documents) x
            """);
        bool anyEncrypted = false;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            string value = r.GetString(0);
            string key = FieldCipher.KeyIdOf(value) ?? "(plain)";
            anyEncrypted |= key != "(plain)";
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return _cipher is null && !anyEncrypted ? null : counts;
    }

    public IAsyncEnumerable<StoredEvent> ReadEventsAsync(CancellationToken ct = default) =>
        EventsAsync($"{StoredEventSelect} ORDER BY e.seq", ct);

    public IAsyncEnumerable<StoredEvent> ReadEventsAsync(long afterSeq, long upToSeq, CancellationToken ct = default) =>
        upToSeq > afterSeq && RecentEvents(afterSeq, upToSeq) is { } recent
            ? FromMemory(recent)
            : EventsAsync($"{StoredEventSelect} WHERE e.seq > @after AND e.seq <= @upTo ORDER BY e.seq", ct, ("after", afterSeq), ("upTo", upToSeq));

#pragma warning disable CS1998 // an async iterator over memory: the interface's shape
    private static async IAsyncEnumerable<StoredEvent> FromMemory(List<StoredEvent> events)
    {
        foreach (var e in events) yield return e;
    }
#pragma warning restore CS1998

    public IAsyncEnumerable<StoredEvent> ReadEventsOfTypeAsync(int typeCode, long fromMs, long upToSeq, CancellationToken ct = default) =>
        EventsAsync($"{StoredEventSelect} WHERE e.type = @type AND e.ts >= @from AND e.seq <= @upTo ORDER BY e.seq", ct,
            ("type", typeCode), ("from", fromMs), ("upTo", upToSeq));

    public async Task<long> GetLastEventSeqAsync(CancellationToken ct = default)
    {
        await using var cmd = Command("SELECT COALESCE(MAX(seq), 0) FROM events");
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async IAsyncEnumerable<(string AnonymousId, string UserId)> ReadIdentityLinksAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var cmd = Command("""
            SELECT a.id, u.id FROM profiles a JOIN profiles u ON u.idx = a.canonical
            WHERE a.kind = 1 AND a.canonical <> a.idx AND u.kind = 0 ORDER BY a.idx
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return (r.GetString(0), r.GetString(1));
    }

    public async IAsyncEnumerable<(string UserId, Consent Consent)> ReadStatedConsentsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        // Every record is read and parsed here (at start, not per request): encrypted ones need decrypting anyway.
        await using var cmd = Command("SELECT id, doc FROM profiles WHERE kind = 0 AND doc IS NOT NULL ORDER BY idx");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            string id = r.GetString(0);
            if (UserFrom(id, r.GetString(1)).Consent is { } consent) yield return (id, consent);
        }
    }

    public async Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        await using var cmd = Command("SELECT id, json, updated_ms FROM documents WHERE kind = @kind ORDER BY id COLLATE \"C\"", ("kind", kind));
        var list = new List<StoredDocument>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new StoredDocument(kind, r.GetString(0), RevealDocument(r.GetString(1)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
        return list;
    }

    private static RecommendationRecord ReadRecommendation(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), JsonSerializer.Deserialize<string[]>(r.GetString(6)) ?? [],
            r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9),
            r.FieldCount > 10 && !r.IsDBNull(10) ? r.GetString(10) : null);

    public async Task<RecommendationRecord?> GetRecommendationAsync(string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var cmd = Command("SELECT id, person, anonymous, scenario, model, ts, items, recipe, experiment, variant FROM recommendations WHERE id = @id",
            ("id", id));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadRecommendation(r) : null;
    }

    public async IAsyncEnumerable<RecommendationRecord> ReadRecommendationsAsync(long fromMs, long toMs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var cmd = Command("""
            SELECT id, person, anonymous, scenario, model, ts, items, recipe, experiment, variant, features FROM recommendations
            WHERE ts >= @from AND ts < @to ORDER BY ts, id COLLATE "C"
            """, ("from", fromMs), ("to", toMs));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadRecommendation(r);
    }

    public IAsyncEnumerable<StoredEvent> ReadProfileEventsAsync(string profileId, bool anonymous, long fromMs, long toMs, IReadOnlyList<int>? typeCodes = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(profileId);
        return EventsAsync($"""
            {StoredEventSelect}
            WHERE e.profile = (SELECT idx FROM profiles WHERE kind = @kind AND id = @id) AND e.ts >= @from AND e.ts < @to
            {(typeCodes is null ? "" : "AND e.type = ANY(@types)")}
            ORDER BY e.ts, e.seq
            """, ct, ("kind", (short)(anonymous ? KindAnonymous : KindUser)), ("id", profileId), ("from", fromMs), ("to", toMs),
            ("types", typeCodes?.ToArray()));
    }

    public async IAsyncEnumerable<Exposure> ReadExposuresAsync(string experimentId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        await using var cmd = Command("SELECT person, anonymous, phase, variant, ts FROM exposures WHERE experiment = @e ORDER BY ts, person COLLATE \"C\"",
            ("e", experimentId));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new Exposure(experimentId, r.GetString(0), r.GetBoolean(1), r.GetInt32(2), r.GetString(3), r.GetInt64(4));
    }

    public async Task<IReadOnlyList<StoredEvent>> GetAttributedEventsAsync(string recommendationId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(recommendationId);
        var list = new List<StoredEvent>();
        // Both terms: the equality on the indexed expression, and the partial index's own WHERE.
        await foreach (var e in EventsAsync($"""
            {StoredEventSelect}
            WHERE strpos(e.extra, '"recommendationId":') > 0 AND (e.extra::jsonb) ->> 'recommendationId' = @rid ORDER BY e.seq
            """, ct, ("rid", recommendationId)).ConfigureAwait(false))
            list.Add(e);
        return list;
    }

    private async Task<Dictionary<int, string>> TypeNamesAsync(CancellationToken ct)
    {
        var names = new Dictionary<int, string>();
        await using var cmd = Command("SELECT code, name FROM event_types");
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
}
