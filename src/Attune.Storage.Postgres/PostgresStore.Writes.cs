using System.Text.Json;
using Attune.Model;
using Npgsql;
using NpgsqlTypes;

namespace Attune.Storage.Postgres;

/// <summary>Writes of records, events, identity links, documents, the recommendation log and exposures.</summary>
public sealed partial class PostgresStore
{
    public Task UpsertItemsAsync(IReadOnlyList<Item> items, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var ids = new string[items.Count];
        var docs = new string[items.Count];
        for (int i = 0; i < items.Count; i++) (ids[i], docs[i]) = (items[i].Id, JsonSerializer.Serialize(items[i], AttuneJson.Options));
        return WriteAsync(async w =>
        {
            // The last record of an id in one call wins, as if upserted one by one.
            await w.ExecAsync("""
                INSERT INTO items(id, doc, updated_ms)
                SELECT DISTINCT ON (id) id, doc, @now FROM unnest(@ids, @docs) WITH ORDINALITY AS u(id, doc, n) ORDER BY id, n DESC
                ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms
                """, ct, ("ids", ids), ("docs", docs), ("now", w.NowMs)).ConfigureAwait(false);
            foreach (string id in ids) w.AddChange(ChangeKind.ItemUpserted, id);
            return 0;
        }, ct);
    }

    public Task<bool> DeleteItemAsync(string id, CancellationToken ct = default) =>
        WriteAsync(async w =>
        {
            // The row and its index stay so past events keep their meaning; the item itself is gone.
            bool deleted = await w.ExecAsync("UPDATE items SET doc = NULL, updated_ms = @now WHERE id = @id AND doc IS NOT NULL", ct,
                ("id", id), ("now", w.NowMs)).ConfigureAwait(false) > 0;
            if (deleted) w.AddChange(ChangeKind.ItemDeleted, id);
            return deleted;
        }, ct);

    public Task UpsertUsersAsync(IReadOnlyList<User> users, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var list = users.ToArray();
        return WriteAsync(async w =>
        {
            var indexes = await w.ProfileIndexesAsync(KindUser, list.Select(u => u.Id), ct).ConfigureAwait(false);
            foreach (var user in list)
            {
                long idx = indexes[user.Id];
                var stored = user;
                if (user.Consent is null || user.CreatedAt is null)
                {
                    // A record sent without consent keeps the consent already given: re-sending attributes must not opt a person back in.
                    var previousDoc = await w.ScalarAsync("SELECT doc FROM profiles WHERE idx = @idx", ct, ("idx", idx)).ConfigureAwait(false) as string;
                    var previous = previousDoc is null ? null : UserFrom(user.Id, previousDoc);
                    stored = user with
                    {
                        Consent = user.Consent ?? previous?.Consent,
                        CreatedAt = user.CreatedAt ?? previous?.CreatedAt ?? _time.GetUtcNow(),
                    };
                }
                await w.ExecAsync("UPDATE profiles SET doc = @doc, updated_ms = @now WHERE idx = @idx", ct,
                    ("doc", SealUserDoc(JsonSerializer.Serialize(stored, AttuneJson.Options))), ("now", w.NowMs), ("idx", idx)).ConfigureAwait(false);
                w.AddChange(ChangeKind.UserUpserted, user.Id);
            }
            return 0;
        }, ct);
    }

    public async Task<bool> DeleteUserAsync(string id, CancellationToken ct = default) =>
        await ErasePersonAsync(id, anonymous: false, ct).ConfigureAwait(false) is not null;

    public Task AppendEventsAsync(IReadOnlyList<Event> events, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var list = events as Event[] ?? events.ToArray();
        var extras = Extras(list);
        return WriteAsync(w => AppendAsync(w, list, extras, ct), ct);
    }

    public Task<IdempotentAppend> AppendEventsAsync(IReadOnlyList<Event> events, string idempotencyKey, byte[] bodyHash, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        ArgumentNullException.ThrowIfNull(bodyHash);
        var list = events as Event[] ?? events.ToArray();
        var extras = Extras(list);
        // Under the writers' lock: a key stored by any node's committed write (or earlier in this group) is seen here.
        return WriteAsync(async w =>
        {
            if (await w.ScalarAsync("SELECT body_hash FROM idempotency_keys WHERE key = @key", ct, ("key", idempotencyKey)).ConfigureAwait(false)
                is byte[] stored)
                return stored.AsSpan().SequenceEqual(bodyHash) ? IdempotentAppend.Replayed : IdempotentAppend.Conflict;
            await w.ExecAsync("""
                DELETE FROM idempotency_keys WHERE at_ms < @cutoff;
                INSERT INTO idempotency_keys(key, body_hash, at_ms) VALUES (@key, @hash, @now)
                """, ct, ("cutoff", w.NowMs - (long)Idempotency.Window.TotalMilliseconds), ("key", idempotencyKey), ("hash", bodyHash),
                ("now", w.NowMs)).ConfigureAwait(false);
            await AppendAsync(w, list, extras, ct).ConfigureAwait(false);
            return IdempotentAppend.Stored;
        }, ct);
    }

    private static string?[] Extras(Event[] list)
    {
        var extras = new string?[list.Length];
        for (int i = 0; i < list.Length; i++) extras[i] = EventExtra.ToJson(list[i]);
        return extras;
    }

    /// <summary>One batch of events in the writer's transaction (ids interned, links made in order, the rows inserted).</summary>
    private async Task<int> AppendAsync(Writer w, Event[] list, string?[] extras, CancellationToken ct)
    {
        var users = await w.RememberedProfileIndexesAsync(KindUser, list.Where(e => e.UserId is not null).Select(e => e.UserId!), ct).ConfigureAwait(false);
        var visitors = await w.RememberedProfileIndexesAsync(KindAnonymous, list.Where(e => e.AnonymousId is not null).Select(e => e.AnonymousId!), ct).ConfigureAwait(false);
        var items = await w.ItemIndexesAsync(list.Where(e => e.ItemId is not null).Select(e => e.ItemId!), ct).ConfigureAwait(false);
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in list)
            if (!types.ContainsKey(e.Type)) types[e.Type] = await w.TypeCodeAsync(e.Type, ct).ConfigureAwait(false);

        // In order: an event naming both ids links them first, and the anonymous events after it go to the user.
        var rows = new EventRows(list.Length);
        var owners = await w.CanonicalOfAsync(visitors.Values, ct).ConfigureAwait(false);
        // Whether every event's owner is the id it names (no link in the batch, no linked visitor): then the events are
        // remembered as a reader would get them back (see RememberEvents).
        bool plain = true;
        for (int i = 0; i < list.Length; i++)
        {
            var e = list[i];
            long owner;
            if (e.UserId is not null)
            {
                owner = users[e.UserId];
                if (e.AnonymousId is not null)
                {
                    plain = false;
                    // Rows of this batch already collected for the anonymous owner are written before the link moves them.
                    await rows.FlushAsync(w, ct).ConfigureAwait(false);
                    await LinkAsync(w, visitors[e.AnonymousId], e.AnonymousId, owner, e.UserId, owners, ct).ConfigureAwait(false);
                }
            }
            else
            {
                long visitor = visitors[e.AnonymousId!];
                owner = owners[visitor];
                plain &= owner == visitor;
            }
            rows.Add(owner, e.ItemId is null ? null : items[e.ItemId], types[e.Type], e.Timestamp.ToUnixTimeMilliseconds(), e.Value, extras[i]);
        }
        long first = await rows.FlushAsync(w, ct).ConfigureAwait(false);
        if (plain && first > 0)
        {
            var stored = new StoredEvent[list.Length];
            for (int i = 0; i < list.Length; i++)
            {
                var e = list[i];
                stored[i] = e.UserId is not null
                    ? new StoredEvent(e.UserId, false, e.ItemId, types[e.Type], e.Timestamp.ToUnixTimeMilliseconds(), e.Value, first + i, extras[i])
                    : new StoredEvent(e.AnonymousId!, true, e.ItemId, types[e.Type], e.Timestamp.ToUnixTimeMilliseconds(), e.Value, first + i, extras[i]);
            }
            w.Wrote(first - 1, first + list.Length - 1, stored);
        }
        return 0;
    }

    /// <summary>Events collected for one multi-row insert; their seqs come from <c>event_seq</c> under the write lock.</summary>
    private sealed class EventRows(int capacity)
    {
        private readonly List<long> _owners = new(capacity), _times = new(capacity);
        private readonly List<long?> _items = new(capacity);
        private readonly List<int> _types = new(capacity);
        private readonly List<double?> _values = new(capacity);
        private readonly List<string?> _extras = new(capacity);

        public void Add(long owner, long? item, int type, long timeMs, double? value, string? extra)
        {
            _owners.Add(owner); _items.Add(item); _types.Add(type); _times.Add(timeMs); _values.Add(value); _extras.Add(extra);
        }

        /// <summary>Inserts the rows collected; returns the first one's seq (they are consecutive, in order), 0 when none.</summary>
        public async Task<long> FlushAsync(Writer w, CancellationToken ct)
        {
            if (_owners.Count == 0) return 0;
            await using var cmd = w.Command("""
                WITH rows AS (
                    INSERT INTO events(seq, profile, item, type, ts, value, extra)
                    SELECT nextval('event_seq'), o, i, t, ts, v, x
                    FROM unnest(@owners, @items, @types, @times, @values, @extras) WITH ORDINALITY AS u(o, i, t, ts, v, x, n) ORDER BY n
                    RETURNING seq)
                SELECT MIN(seq), MAX(seq) FROM rows
                """, ("owners", _owners.ToArray()), ("items", _items.ToArray()), ("types", _types.ToArray()), ("times", _times.ToArray()),
                ("values", _values.ToArray()), ("extras", _extras.ToArray()));
            long first;
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                await r.ReadAsync(ct).ConfigureAwait(false);
                first = r.GetInt64(0);
                w.AddEventsChange(first - 1, r.GetInt64(1));
            }
            _owners.Clear(); _items.Clear(); _types.Clear(); _times.Clear(); _values.Clear(); _extras.Clear();
            return first;
        }
    }

    public Task<long> IdentifyAsync(string anonymousId, string userId, CancellationToken ct = default) =>
        WriteAsync(async w =>
        {
            long user = (await w.ProfileIndexesAsync(KindUser, [userId], ct).ConfigureAwait(false))[userId];
            long anon = (await w.ProfileIndexesAsync(KindAnonymous, [anonymousId], ct).ConfigureAwait(false))[anonymousId];
            var owners = await w.CanonicalOfAsync([anon], ct).ConfigureAwait(false);
            return await LinkAsync(w, anon, anonymousId, user, userId, owners, ct).ConfigureAwait(false);
        }, ct);

    /// <summary>
    /// Links an anonymous id to a user. The first link moves the anonymous history into the user's profile; linking an id
    /// already linked to the same user does nothing. An id already linked to another user is re-pointed for its future events
    /// only: one known person's history is never handed to another automatically. A new or re-pointed link is a change.
    /// </summary>
    private static async Task<long> LinkAsync(Writer w, long anon, string anonymousId, long user, string userId, Dictionary<long, long> owners,
        CancellationToken ct)
    {
        long current = owners.TryGetValue(anon, out long o) ? o : anon;
        if (current == user) return 0;
        long moved = 0;
        if (current == anon)
        {
            w.EventsRewritten();
            moved = await w.ExecAsync("UPDATE events SET profile = @user WHERE profile = @anon", ct, ("user", user), ("anon", anon)).ConfigureAwait(false);
        }
        await w.ExecAsync("UPDATE profiles SET canonical = @user WHERE idx = @anon", ct, ("user", user), ("anon", anon)).ConfigureAwait(false);
        owners[anon] = user;
        w.AddChange(ChangeKind.IdentityLinked, anonymousId, userId);
        return moved;
    }

    /// <summary>
    /// Appends many interactions with binary <c>COPY</c>: each batch in one transaction under the write lock, ids interned
    /// per batch, one <see cref="ChangeKind.Events"/> change per batch.
    /// </summary>
    public async Task<long> BulkAppendAsync(IEnumerable<InteractionBatch> batches, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        long total = 0;
        // Pipelined: the next batch is read (parsed) while this one is copied. The caller reuses its batch object: each is
        // copied out of it before the next is read.
        using var source = batches.GetEnumerator();
        Task<BulkRows?> Next() => Task.Run(() => source.MoveNext() ? BulkRows.From(source.Current) : null, ct);
        var next = Next();
        while (await next.ConfigureAwait(false) is { } rows)
        {
            next = Next();
            if (rows.Count == 0) continue;
            await WriteAsync(w => CopyAsync(w, rows, ct), ct).ConfigureAwait(false);
            total += rows.Count;
            progress?.Report(total);
        }
        return total;
    }

    /// <summary>One batch of interactions, copied out of the caller's reusable <see cref="InteractionBatch"/>.</summary>
    private sealed class BulkRows
    {
        public required int Count { get; init; }
        public required string[] Ids { get; init; }
        public required bool[] Anonymous { get; init; }
        public required string?[] Items { get; init; }
        public required int[] Types { get; init; }
        public required long[] Times { get; init; }
        public required double[] Values { get; init; }
        public required bool[] HasValue { get; init; }
        public required string?[] Extras { get; init; }

        public static BulkRows From(InteractionBatch b) => new()
        {
            Count = b.Count, Ids = b.UserIds[..b.Count], Anonymous = b.Anonymous[..b.Count], Items = b.ItemIds[..b.Count],
            Types = b.TypeCodes[..b.Count], Times = b.TimestampsMs[..b.Count], Values = b.Values[..b.Count],
            HasValue = b.HasValue[..b.Count], Extras = b.Extras[..b.Count],
        };
    }

    /// <summary>Interns the batch's ids, then writes its events with binary <c>COPY</c> under one block of sequence numbers.</summary>
    private static async Task<int> CopyAsync(Writer w, BulkRows b, CancellationToken ct)
    {
        int n = b.Count;
        var userIds = new List<string>(n);
        var visitorIds = new List<string>();
        var itemIds = new List<string>(n);
        for (int i = 0; i < n; i++)
        {
            (b.Anonymous[i] ? visitorIds : userIds).Add(b.Ids[i]);
            if (b.Items[i] is { } item) itemIds.Add(item);
        }
        // Through the store's memory of profiles (checked against erasures once per batch, on any node).
        var users = await w.RememberedProfileIndexesAsync(KindUser, userIds, ct).ConfigureAwait(false);
        var visitors = await w.RememberedProfileIndexesAsync(KindAnonymous, visitorIds, ct).ConfigureAwait(false);
        var owners = await w.CanonicalOfAsync(visitors.Values, ct).ConfigureAwait(false);
        var itemMap = await w.ItemIndexesAsync(itemIds, ct).ConfigureAwait(false);
        long first = (long)(await w.ScalarAsync("SELECT nextval('event_seq')", ct).ConfigureAwait(false))!;
        // The block first .. first + n - 1 is this batch's: nobody else allocates while the write lock is held.
        if (n > 1) await w.ExecAsync("SELECT setval('event_seq', @last)", ct, ("last", first + n - 1)).ConfigureAwait(false);
        await using (var copy = await w.Connection.BeginBinaryImportAsync(
            "COPY events(seq, profile, item, type, ts, value, extra) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            // Synchronous writes into the importer's buffer (it flushes as it fills): an await per value costs more than the value.
            for (int i = 0; i < n; i++)
            {
                copy.StartRow();
                copy.Write(first + i, NpgsqlDbType.Bigint);
                copy.Write(b.Anonymous[i] ? owners[visitors[b.Ids[i]]] : users[b.Ids[i]], NpgsqlDbType.Bigint);
                if (b.Items[i] is { } item) copy.Write(itemMap[item], NpgsqlDbType.Bigint);
                else copy.WriteNull();
                copy.Write(b.Types[i], NpgsqlDbType.Integer);
                copy.Write(b.Times[i], NpgsqlDbType.Bigint);
                if (b.HasValue[i]) copy.Write(b.Values[i], NpgsqlDbType.Double);
                else copy.WriteNull();
                if (b.Extras[i] is { } x) copy.Write(x, NpgsqlDbType.Text);
                else copy.WriteNull();
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }
        w.AddEventsChange(first - 1, first + n - 1);
        return n;
    }

    public Task PutDocumentAsync(string kind, string id, string json, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(json);
        string stored = SealDocument(json);
        return WriteAsync(async w =>
        {
            await w.ExecAsync("""
                INSERT INTO documents(kind, id, json, updated_ms) VALUES(@kind, @id, @json, @now)
                ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json, updated_ms = excluded.updated_ms
                """, ct, ("kind", kind), ("id", id), ("json", stored), ("now", w.NowMs)).ConfigureAwait(false);
            w.AddChange(ChangeKind.DocumentPut, id, kind);
            return 0;
        }, ct);
    }

    public Task<bool> DeleteDocumentAsync(string kind, string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        return WriteAsync(async w =>
        {
            bool deleted = await w.ExecAsync("DELETE FROM documents WHERE kind = @kind AND id = @id", ct, ("kind", kind), ("id", id)).ConfigureAwait(false) > 0;
            if (deleted) w.AddChange(ChangeKind.DocumentDeleted, id, kind);
            return deleted;
        }, ct);
    }

    /// <summary>Logs what answers showed; a record logged again under the same id replaces the earlier one. Not a change of the
    /// feed, and not under the write lock (nothing orders on it).</summary>
    public async Task LogRecommendationsAsync(IReadOnlyList<RecommendationRecord> records, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return;
        // The last record of an id in one call wins.
        var last = new Dictionary<string, RecommendationRecord>(StringComparer.Ordinal);
        foreach (var r in records) last[r.Id] = r;
        var list = last.Values.ToArray();
        await using var cmd = _source.CreateCommand("""
            INSERT INTO recommendations(id, person, anonymous, scenario, model, ts, items, recipe, experiment, variant, features)
            SELECT * FROM unnest(@id, @person, @anonymous, @scenario, @model, @ts, @items, @recipe, @experiment, @variant, @features)
            ON CONFLICT (id) DO UPDATE SET person = excluded.person, anonymous = excluded.anonymous, scenario = excluded.scenario,
                model = excluded.model, ts = excluded.ts, items = excluded.items, recipe = excluded.recipe,
                experiment = excluded.experiment, variant = excluded.variant, features = excluded.features
            """);
        cmd.Parameters.AddWithValue("id", list.Select(r => r.Id).ToArray());
        cmd.Parameters.AddWithValue("person", list.Select(r => r.PersonId).ToArray());
        cmd.Parameters.AddWithValue("anonymous", list.Select(r => r.Anonymous).ToArray());
        cmd.Parameters.AddWithValue("scenario", list.Select(r => r.Scenario).ToArray());
        cmd.Parameters.AddWithValue("model", list.Select(r => r.ModelVersion).ToArray());
        cmd.Parameters.AddWithValue("ts", list.Select(r => r.Timestamp.ToUnixTimeMilliseconds()).ToArray());
        cmd.Parameters.AddWithValue("items", list.Select(r => JsonSerializer.Serialize(r.ItemIds, AttuneJson.Options)).ToArray());
        cmd.Parameters.AddWithValue("recipe", list.Select(r => r.Recipe).ToArray());
        cmd.Parameters.AddWithValue("experiment", list.Select(r => r.Experiment).ToArray());
        cmd.Parameters.AddWithValue("variant", list.Select(r => r.Variant).ToArray());
        cmd.Parameters.AddWithValue("features", list.Select(r => r.Features).ToArray());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The first exposure of a person to an experiment is kept; recording it again changes nothing.</summary>
    public async Task RecordExposuresAsync(IReadOnlyList<Exposure> exposures, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(exposures);
        if (exposures.Count == 0) return;
        var list = exposures.ToArray();
        await using var cmd = _source.CreateCommand("""
            INSERT INTO exposures(experiment, person, anonymous, phase, variant, ts)
            SELECT * FROM unnest(@experiment, @person, @anonymous, @phase, @variant, @ts) ON CONFLICT DO NOTHING
            """);
        cmd.Parameters.AddWithValue("experiment", list.Select(e => e.ExperimentId).ToArray());
        cmd.Parameters.AddWithValue("person", list.Select(e => e.PersonId).ToArray());
        cmd.Parameters.AddWithValue("anonymous", list.Select(e => e.Anonymous).ToArray());
        cmd.Parameters.AddWithValue("phase", list.Select(e => e.Phase).ToArray());
        cmd.Parameters.AddWithValue("variant", list.Select(e => e.Variant).ToArray());
        cmd.Parameters.AddWithValue("ts", list.Select(e => e.AtMs).ToArray());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
