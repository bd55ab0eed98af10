using System.Text.Json;
using Attune.Model;
using Microsoft.Data.Sqlite;

namespace Attune.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private RawStatement? _insertItem, _insertProfile, _updateItemDoc, _updateUserDoc;
    private EventInserter? _eventInserter;

    private EventInserter Inserter => _eventInserter ??= new EventInserter(_writer.Handle!);

    public Task UpsertItemsAsync(IReadOnlyList<Item> items, CancellationToken ct = default)
    {
        // Serialize outside the writer: it is the costly part and runs on the caller's core.
        var docs = new (string Id, string Doc)[items.Count];
        for (int i = 0; i < items.Count; i++) docs[i] = (items[i].Id, JsonSerializer.Serialize(items[i], AttuneJson.Options));
        return Enqueue(s =>
        {
            long now = s.NowMs;
            var update = s._updateItemDoc ??= new(s._writer.Handle!, "UPDATE items SET doc = ?1, updated_ms = ?2 WHERE idx = ?3");
            foreach (var (id, doc) in docs)
            {
                update.Bind(1, doc);
                update.Bind(2, now);
                update.Bind(3, s.ItemIndex(id));
                update.Execute();
                s.AddChange(ChangeKind.ItemUpserted, id);
            }
            return docs.Length;
        }, docs.Length, ct);
    }

    public Task<bool> DeleteItemAsync(string id, CancellationToken ct = default) =>
        Enqueue(s =>
        {
            if (!s._items.TryGetValue(id, out int idx)) return 0;
            using var cmd = s._writer.CreateCommand();
            // The row and its index stay so past events keep their meaning; the item itself is gone.
            cmd.CommandText = "UPDATE items SET doc = NULL, updated_ms = $now WHERE idx = $idx AND doc IS NOT NULL";
            cmd.Parameters.AddWithValue("$now", s.NowMs);
            cmd.Parameters.AddWithValue("$idx", idx);
            int deleted = cmd.ExecuteNonQuery();
            if (deleted > 0) s.AddChange(ChangeKind.ItemDeleted, id);
            return deleted;
        }, 1, ct).ContinueWith(t => t.Result > 0, ct, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public Task UpsertUsersAsync(IReadOnlyList<User> users, CancellationToken ct = default)
    {
        var list = users.ToArray();
        return Enqueue(s =>
        {
            long now = s.NowMs;
            var update = s._updateUserDoc ??= new(s._writer.Handle!, "UPDATE profiles SET doc = ?1, updated_ms = ?2 WHERE idx = ?3");
            foreach (var user in list)
            {
                int idx = s.UserIndex(user.Id);
                var stored = user;
                if (user.Consent is null || user.CreatedAt is null)
                {
                    // A record sent without consent keeps the consent already given: re-sending attributes must not opt a person back in.
                    var previous = s.ReadUserDoc(idx);
                    stored = user with
                    {
                        Consent = user.Consent ?? previous?.Consent,
                        CreatedAt = user.CreatedAt ?? previous?.CreatedAt ?? s._time.GetUtcNow(),
                    };
                }
                update.Bind(1, s.SealUserDoc(JsonSerializer.Serialize(stored, AttuneJson.Options)));
                update.Bind(2, now);
                update.Bind(3, idx);
                update.Execute();
                s.AddChange(ChangeKind.UserUpserted, user.Id);
            }
            return list.Length;
        }, list.Length, ct);
    }

    public async Task<bool> DeleteUserAsync(string id, CancellationToken ct = default) =>
        await ErasePersonAsync(id, anonymous: false, ct).ConfigureAwait(false) is not null;

    public async Task<ErasedPerson?> ErasePersonAsync(string id, bool anonymous, CancellationToken ct = default)
    {
        ErasedPerson? erased = null;
        await Enqueue(s =>
        {
            erased = s.ErasePerson(id, anonymous);
            return erased is null ? 0 : 1;
        }, 1, ct).ConfigureAwait(false);
        return erased;
    }

    /// <summary>On the writer. An anonymous id linked to a user is that user: the unified person is erased.</summary>
    private ErasedPerson? ErasePerson(string id, bool anonymous)
    {
        if (!anonymous)
        {
            if (_users.TryGetValue(id, out int user)) return Erase(id, user, isUser: true);
            EraseDecisionsOf(id, anonymous: false); // decisions can name someone the store has no profile of
            return null;
        }
        if (!_anonymous.TryGetValue(id, out int a))
        {
            EraseDecisionsOf(id, anonymous: true);
            return null;
        }
        int idx = _canonical.GetValueOrDefault(a, a);
        if (idx == a) return Erase(id, a, isUser: false);
        foreach (var (userId, u) in _users) if (u == idx) return Erase(userId, idx, isUser: true);
        return null;
    }

    public async Task<bool> FinishErasuresAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
    {
        var list = ids.ToArray();
        long clean = await Enqueue(new AfterCommitOp(
            s => s.ForgetInChanges(list, [ChangeKind.UserDeleted, ChangeKind.VisitorDeleted, ChangeKind.UserUpserted, ChangeKind.IdentityLinked]),
            s => s.TruncateLog() ? 1 : 0), ct).ConfigureAwait(false);
        return clean == 1;
    }

    /// <summary>On the writer: deletes the change-feed rows of <paramref name="kinds"/> that name any of <paramref name="ids"/>
    /// (one scan of the feed: it has no index by id).</summary>
    private void ForgetInChanges(IReadOnlyList<string> ids, ChangeKind[] kinds)
    {
        if (ids.Count == 0) return;
        using var cmd = _writer.CreateCommand();
        cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids));
        var codes = new string[kinds.Length];
        for (int i = 0; i < kinds.Length; i++) codes[i] = ((int)kinds[i]).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // A deletion's `other` lists the erased anonymous ids, one per line: each is matched as a whole line.
        cmd.CommandText = $"""
            DELETE FROM changes WHERE kind IN ({string.Join(',', codes)}) AND (
                id IN (SELECT value FROM json_each($ids)) OR other IN (SELECT value FROM json_each($ids))
                OR EXISTS (SELECT 1 FROM json_each($ids) j WHERE instr(char(10) || other || char(10), char(10) || j.value || char(10)) > 0))
            """;
        if (cmd.ExecuteNonQuery() > 0) _pendingTailForgetsChanges = true;
    }

    /// <summary>
    /// On the writer, outside a transaction: checkpoints the write-ahead log into the database and truncates it, so page images
    /// from before a deletion are gone from the files (deleted content in the database itself is zeroed: secure_delete). Waits
    /// at most 200 ms for readers on an older snapshot; false when one still held the log.
    /// </summary>
    private bool TruncateLog()
    {
        Exec(_writer, "PRAGMA busy_timeout=200;");
        try
        {
            using var cmd = _writer.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            using var r = cmd.ExecuteReader();
            return r.Read() && r.GetInt32(0) == 0;
        }
        catch (SqliteException)
        {
            return false;
        }
        finally
        {
            Exec(_writer, "PRAGMA busy_timeout=10000;");
        }
    }

    public async Task<(int Deleted, long NextSeq)> PurgeEventsAsync(string type, long beforeMs, long afterSeq, int maxRows, CancellationToken ct = default)
    {
        int deleted = 0;
        long next = 0;
        await Enqueue(s =>
        {
            int code = EventTypes.TryGetBuiltIn(type, out var t) ? (int)t : s._customTypes.GetValueOrDefault(type, -1);
            if (code < 0) return 0;
            using var cmd = s._writer.CreateCommand();
            cmd.Parameters.AddWithValue("$type", code);
            cmd.Parameters.AddWithValue("$before", beforeMs);
            cmd.Parameters.AddWithValue("$after", afterSeq);
            cmd.Parameters.AddWithValue("$n", maxRows);
            // The primary key walks forward from the cursor: each batch reads only the rows after the last one.
            cmd.CommandText = "SELECT seq FROM events WHERE seq > $after AND type = $type AND ts < $before ORDER BY seq LIMIT $n";
            var seqs = new List<long>(maxRows);
            using (var r = cmd.ExecuteReader()) while (r.Read()) seqs.Add(r.GetInt64(0));
            if (seqs.Count == 0) return 0;
            cmd.CommandText = "DELETE FROM events WHERE seq >= $from AND seq <= $to AND type = $type AND ts < $before";
            cmd.Parameters.AddWithValue("$from", seqs[0]);
            cmd.Parameters.AddWithValue("$to", seqs[^1]);
            deleted = cmd.ExecuteNonQuery();
            next = seqs.Count < maxRows ? 0 : seqs[^1];
            s._eventSeqGap = true; // the newest seqs may be gone: SQLite would reuse them
            s.TailInvalidate();
            return deleted;
        }, maxRows, ct).ConfigureAwait(false);
        return (deleted, next);
    }

    /// <summary>On the writer: removes the profile <paramref name="idx"/> (<paramref name="id"/>) and everything naming it.</summary>
    private ErasedPerson Erase(string id, int idx, bool isUser)
    {
        using var cmd = _writer.CreateCommand();
        cmd.Parameters.AddWithValue("$idx", idx);
        cmd.CommandText = "DELETE FROM events WHERE profile = $idx";
        long events = cmd.ExecuteNonQuery();
        if (events > 0)
        {
            _eventSeqGap = true; // the newest seqs may be gone: SQLite would reuse them
            TailInvalidate();
        }
        var anonymous = new List<(int Idx, string Id)>();
        if (isUser)
        {
            cmd.CommandText = "SELECT idx, id FROM profiles WHERE kind = 1 AND canonical = $idx";
            using var r = cmd.ExecuteReader();
            while (r.Read()) anonymous.Add((r.GetInt32(0), r.GetString(1)));
        }
        else anonymous.Add((idx, id));
        cmd.CommandText = "DELETE FROM profiles WHERE idx = $idx OR (kind = 1 AND canonical = $idx)";
        cmd.ExecuteNonQuery();
        // The recommendation log and experiment exposures name the person by id (the user's, or one of their anonymous ids).
        long recommendations = 0, exposures = 0;
        cmd.Parameters.AddWithValue("$person", id);
        cmd.Parameters.AddWithValue("$anonymous", isUser ? 0 : 1);
        void ByPerson()
        {
            cmd.CommandText = "DELETE FROM recommendations WHERE person = $person AND anonymous = $anonymous";
            recommendations += cmd.ExecuteNonQuery();
            cmd.CommandText = "DELETE FROM exposures WHERE person = $person";
            exposures += cmd.ExecuteNonQuery();
            EraseDecisions(cmd);
        }
        ByPerson();
        if (isUser)
        {
            foreach (var (_, anonId) in anonymous)
            {
                cmd.Parameters["$person"].Value = anonId;
                cmd.Parameters["$anonymous"].Value = 1;
                ByPerson();
            }
            _users.Remove(id);
        }
        var anonymousIds = new List<string>(anonymous.Count);
        foreach (var (a, anonId) in anonymous)
        {
            _anonymous.Remove(anonId);
            _canonical.Remove(a);
            anonymousIds.Add(anonId);
        }
        // The feed's older records of the person (their upserts and links) go too; the deletion's own record keeps the ids
        // until every follower has handled it (FinishErasuresAsync).
        ForgetInChanges(isUser ? [id, .. anonymousIds] : anonymousIds, [ChangeKind.UserUpserted, ChangeKind.IdentityLinked]);
        if (isUser) AddChange(ChangeKind.UserDeleted, id, anonymousIds.Count == 0 ? null : string.Join('\n', anonymousIds));
        else AddChange(ChangeKind.VisitorDeleted, id);
        return new ErasedPerson(isUser ? id : null, anonymousIds, events, recommendations, exposures);
    }

    public Task AppendEventsAsync(IReadOnlyList<Event> events, CancellationToken ct = default)
    {
        var list = events as Event[] ?? events.ToArray();
        var extras = Extras(list);
        return Enqueue(s => s.AppendOnWriter(list, extras), list.Length, ct);
    }

    public async Task<IdempotentAppend> AppendEventsAsync(IReadOnlyList<Event> events, string idempotencyKey, byte[] bodyHash, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        ArgumentNullException.ThrowIfNull(bodyHash);
        var list = events as Event[] ?? events.ToArray();
        var extras = Extras(list);
        return (IdempotentAppend)await Enqueue(s =>
        {
            using (var find = s._writer.CreateCommand())
            {
                find.CommandText = "SELECT body_hash FROM idempotency_keys WHERE key = $key";
                find.Parameters.AddWithValue("$key", idempotencyKey);
                if (find.ExecuteScalar() is byte[] stored)
                    return (long)(stored.AsSpan().SequenceEqual(bodyHash) ? IdempotentAppend.Replayed : IdempotentAppend.Conflict);
            }
            using (var keep = s._writer.CreateCommand())
            {
                keep.CommandText = """
                    DELETE FROM idempotency_keys WHERE at_ms < $cutoff;
                    INSERT INTO idempotency_keys(key, body_hash, at_ms) VALUES($key, $hash, $now);
                    """;
                keep.Parameters.AddWithValue("$cutoff", s.NowMs - (long)Idempotency.Window.TotalMilliseconds);
                keep.Parameters.AddWithValue("$key", idempotencyKey);
                keep.Parameters.AddWithValue("$hash", bodyHash);
                keep.Parameters.AddWithValue("$now", s.NowMs);
                keep.ExecuteNonQuery();
            }
            s.AppendOnWriter(list, extras);
            return (long)IdempotentAppend.Stored;
        }, list.Length, ct).ConfigureAwait(false);
    }

    /// <summary>The JSON of each event's extra fields, built on the caller's core (the single writer only binds and steps).</summary>
    private static string?[] Extras(Event[] list)
    {
        var extras = new string?[list.Length];
        for (int i = 0; i < list.Length; i++) extras[i] = EventExtra.ToJson(list[i]);
        return extras;
    }

    private long AppendOnWriter(Event[] list, string?[] extras)
    {
        var insert = Inserter;
        long from = _lastEventSeq;
        bool tail = list.Length <= TailLargestAppend;
        if (!tail) TailIncomplete();
        for (int i = 0; i < list.Length; i++)
        {
            var e = list[i];
            int owner = OwnerOf(e.UserId, e.AnonymousId);
            int item = e.ItemId is null ? 0 : ItemIndex(e.ItemId);
            int type = TypeCode(e.Type);
            AddEvent(insert, owner, item, type, e.Timestamp.ToUnixTimeMilliseconds(), e.Value ?? 0, e.Value.HasValue, extras[i]);
            if (tail) TailEvent(e, type, extras[i]);
        }
        insert.Flush();
        AddEventsChange(from);
        return list.Length;
    }

    public Task<long> IdentifyAsync(string anonymousId, string userId, CancellationToken ct = default) =>
        Enqueue(s => s.Link(anonymousId, userId), 1, ct);

    public async Task<long> BulkAppendAsync(IEnumerable<InteractionBatch> batches, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        // Pipelined: the caller parses the next batch while the writer inserts this one. Two in flight at most.
        long total = 0;
        Task<long>? pending = null;
        foreach (var batch in batches)
        {
            ct.ThrowIfCancellationRequested();
            var copy = Snapshot(batch);
            var task = Enqueue(s => s.InsertBatch(copy), copy.Count, ct);
            if (pending is not null)
            {
                total += await pending.ConfigureAwait(false);
                progress?.Report(total);
            }
            pending = task;
        }
        if (pending is not null)
        {
            total += await pending.ConfigureAwait(false);
            progress?.Report(total);
        }
        return total;
    }

    private static InteractionBatch Snapshot(InteractionBatch b)
    {
        // The caller reuses its batch object; the writer gets its own copy.
        var c = new InteractionBatch(b.Count);
        Array.Copy(b.UserIds, c.UserIds, b.Count);
        Array.Copy(b.Anonymous, c.Anonymous, b.Count);
        Array.Copy(b.ItemIds, c.ItemIds, b.Count);
        Array.Copy(b.TypeCodes, c.TypeCodes, b.Count);
        Array.Copy(b.TimestampsMs, c.TimestampsMs, b.Count);
        Array.Copy(b.Values, c.Values, b.Count);
        Array.Copy(b.HasValue, c.HasValue, b.Count);
        Array.Copy(b.Extras, c.Extras, b.Count);
        c.Count = b.Count;
        return c;
    }

    private long InsertBatch(InteractionBatch b)
    {
        TailIncomplete();
        var insert = Inserter;
        long from = _lastEventSeq;
        for (int i = 0; i < b.Count; i++)
        {
            int owner = b.Anonymous[i] ? _canonical[AnonymousIndex(b.UserIds[i])] : UserIndex(b.UserIds[i]);
            int item = b.ItemIds[i] is { } id ? ItemIndex(id) : 0;
            AddEvent(insert, owner, item, b.TypeCodes[i], b.TimestampsMs[i], b.Values[i], b.HasValue[i], b.Extras[i]);
        }
        insert.Flush();
        AddEventsChange(from);
        return b.Count;
    }

    /// <summary>The profile that owns an event; an event naming both ids also links the anonymous id to the user.</summary>
    private int OwnerOf(string? userId, string? anonymousId)
    {
        if (userId is not null)
        {
            int user = UserIndex(userId);
            if (anonymousId is not null) Link(anonymousId, userId);
            return user;
        }
        return _canonical[AnonymousIndex(anonymousId!)];
    }

    /// <summary>
    /// Links an anonymous id to a user. The first link moves the anonymous history into the user's profile; linking an id
    /// already linked to the same user does nothing. An id already linked to another user is re-pointed for its future
    /// events only: one known person's history is never handed to another automatically. A new or re-pointed link is a change.
    /// </summary>
    private long Link(string anonymousId, string userId)
    {
        int user = UserIndex(userId);
        int anon = AnonymousIndex(anonymousId);
        int current = _canonical[anon];
        if (current == user) return 0;
        using var cmd = _writer.CreateCommand();
        cmd.Parameters.AddWithValue("$anon", anon);
        cmd.Parameters.AddWithValue("$user", user);
        long moved = 0;
        if (current == anon)
        {
            // Rows of this same batch may still wait in the multi-row inserter with the anonymous owner: write them first.
            _eventInserter?.Flush();
            cmd.CommandText = "UPDATE events SET profile = $user WHERE profile = $anon";
            moved = cmd.ExecuteNonQuery();
            if (moved > 0) TailInvalidate(); // held events of this anonymous id now belong to the user
        }
        cmd.CommandText = "UPDATE profiles SET canonical = $user WHERE idx = $anon";
        cmd.ExecuteNonQuery();
        _canonical[anon] = user;
        AddChange(ChangeKind.IdentityLinked, anonymousId, userId);
        return moved;
    }

    private int ItemIndex(string id)
    {
        if (_items.TryGetValue(id, out int idx)) return idx;
        idx = _nextItem++;
        var insert = _insertItem ??= new(_writer.Handle!, "INSERT INTO items(idx, id, doc, updated_ms) VALUES(?1, ?2, NULL, ?3)");
        insert.Bind(1, idx);
        insert.Bind(2, id);
        insert.Bind(3, NowMs);
        insert.Execute();
        _items[id] = idx;
        return idx;
    }

    private int UserIndex(string id)
    {
        if (_users.TryGetValue(id, out int idx)) return idx;
        idx = InsertProfile(KindUser, id);
        _users[id] = idx;
        return idx;
    }

    private int AnonymousIndex(string id)
    {
        if (_anonymous.TryGetValue(id, out int idx)) return idx;
        idx = InsertProfile(KindAnonymous, id);
        _anonymous[id] = idx;
        _canonical[idx] = idx;
        return idx;
    }

    private int InsertProfile(int kind, string id)
    {
        int idx = _nextProfile++;
        var insert = _insertProfile ??= new(_writer.Handle!,
            "INSERT INTO profiles(idx, kind, id, canonical, doc, updated_ms) VALUES(?1, ?2, ?3, ?1, NULL, ?4)");
        insert.Bind(1, idx);
        insert.Bind(2, kind);
        insert.Bind(3, id);
        insert.Bind(4, NowMs);
        insert.Execute();
        return idx;
    }

    private int TypeCode(string name)
    {
        if (EventTypes.TryGetBuiltIn(name, out var t)) return (int)t;
        if (_customTypes.TryGetValue(name, out int code)) return code;
        code = _nextCustomType++;
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "INSERT INTO event_types(code, name) VALUES($code, $name)";
        cmd.Parameters.AddWithValue("$code", code);
        cmd.Parameters.AddWithValue("$name", name);
        cmd.ExecuteNonQuery();
        _customTypes[name] = code;
        return code;
    }

    private User? ReadUserDoc(int idx)
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "SELECT doc FROM profiles WHERE idx = $idx";
        cmd.Parameters.AddWithValue("$idx", idx);
        return cmd.ExecuteScalar() is string doc ? JsonSerializer.Deserialize<User>(RevealUserDoc(doc), AttuneJson.Options) : null;
    }
}
