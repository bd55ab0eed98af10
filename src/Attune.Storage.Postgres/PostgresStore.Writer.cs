using Attune.Model;
using Npgsql;

namespace Attune.Storage.Postgres;

// The writer: what one write transaction does inside the schema's write lock (PostgresStore.cs runs the group commit).
public sealed partial class PostgresStore
{
    /// <summary>One write transaction: its commands, the ids it interned, and the changes it made.</summary>
    private sealed class Writer(PostgresStore store, NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        private readonly List<(ChangeKind Kind, string? Id, string? Other, long From, long To)> _changes = [];

        public PostgresStore Store => store;
        public NpgsqlConnection Connection => connection;
        public NpgsqlTransaction Transaction => tx;
        public long NowMs { get; } = store.NowMs;

        public NpgsqlCommand Command(string sql, params (string Name, object? Value)[] parameters)
        {
            var cmd = new NpgsqlCommand(sql, connection, tx);
            foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return cmd;
        }

        public async Task<int> ExecAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
        {
            await using var cmd = Command(sql, parameters);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        public async Task<object?> ScalarAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
        {
            await using var cmd = Command(sql, parameters);
            var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return v is DBNull ? null : v;
        }

        public void AddChange(ChangeKind kind, string? id, string? other = null) => _changes.Add((kind, id, other, 0, 0));

        /// <summary>Events this transaction inserted, as a reader would get them back (remembered after the commit).</summary>
        public List<(long After, long UpTo, StoredEvent[] Events)> Written { get; } = [];

        /// <summary>Whether this transaction moved or deleted stored events (a link, an erasure, retention).</summary>
        public bool RewritesEvents { get; private set; }

        public void Wrote(long after, long upTo, StoredEvent[] events) => Written.Add((after, upTo, events));

        /// <summary>Stored events are about to move or go: what this process remembers of recent ones is forgotten now and
        /// at the commit (see <see cref="PostgresStore.RememberEvents"/>).</summary>
        public void EventsRewritten()
        {
            RewritesEvents = true;
            store.ForgetRecentEvents();
        }

        /// <summary>Where this transaction's records stand before one write (see <see cref="Reset"/>).</summary>
        public (int Changes, int Items, int Written, int Profiles) Mark() => (_changes.Count, LearnedItems.Count, Written.Count, LearnedProfiles.Count);

        /// <summary>Forgets what a write rolled back to its savepoint had recorded.</summary>
        public void Reset((int Changes, int Items, int Written, int Profiles) mark)
        {
            LearnedProfiles.RemoveRange(mark.Profiles, LearnedProfiles.Count - mark.Profiles);
            _changes.RemoveRange(mark.Changes, _changes.Count - mark.Changes);
            LearnedItems.RemoveRange(mark.Items, LearnedItems.Count - mark.Items);
            Written.RemoveRange(mark.Written, Written.Count - mark.Written);
        }

        public void AddEventsChange(long from, long to)
        {
            if (to > from) _changes.Add((ChangeKind.Events, null, null, from, to));
        }

        /// <summary>A change of <paramref name="kind"/> covering the sequence numbers <paramref name="from"/> &lt; seq ≤
        /// <paramref name="to"/> (decision rewards).</summary>
        public void AddRangeChange(ChangeKind kind, long from, long to)
        {
            if (to > from) _changes.Add((kind, null, null, from, to));
        }

        /// <summary>Deletes the feed's rows of <paramref name="kinds"/> naming any of <paramref name="ids"/> (a deletion's
        /// <c>other</c> lists erased anonymous ids, one per line).</summary>
        public Task<int> ForgetInChangesAsync(IReadOnlyList<string> ids, ChangeKind[] kinds, CancellationToken ct) =>
            ids.Count == 0 ? Task.FromResult(0) : ExecAsync("""
                DELETE FROM changes WHERE kind = ANY(@kinds) AND (id = ANY(@ids) OR other = ANY(@ids)
                    OR string_to_array(other, E'\n') && @ids)
                """, ct, ("kinds", kinds.Select(k => (int)k).ToArray()), ("ids", ids.ToArray()));

        /// <summary>Writes the recorded changes with their sequence numbers; returns the last (0 when none).</summary>
        public async Task<long> WriteChangesAsync(CancellationToken ct)
        {
            if (_changes.Count == 0) return 0;
            var kinds = new int[_changes.Count];
            var ids = new string?[_changes.Count];
            var others = new string?[_changes.Count];
            var froms = new long[_changes.Count];
            var tos = new long[_changes.Count];
            for (int i = 0; i < _changes.Count; i++)
                (kinds[i], ids[i], others[i], froms[i], tos[i]) = ((int)_changes[i].Kind, _changes[i].Id, _changes[i].Other, _changes[i].From, _changes[i].To);
            await using var cmd = Command("""
                INSERT INTO changes(seq, kind, id, other, from_seq, to_seq, at_ms)
                SELECT nextval('change_seq'), k, i, o, f, t, @now
                FROM unnest(@kinds, @ids, @others, @froms, @tos) WITH ORDINALITY AS c(k, i, o, f, t, n) ORDER BY n
                RETURNING seq
                """, ("now", NowMs), ("kinds", kinds), ("ids", ids), ("others", others), ("froms", froms), ("tos", tos));
            long last = 0;
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) last = Math.Max(last, r.GetInt64(0));
            return last;
        }

        /// <summary>The index of each item id, creating rows for ids not seen before.</summary>
        private bool? _profilesKept;

        /// <summary>
        /// Whether no profile was deleted since the store's memory of profile indexes was filled: erasures count their deletions
        /// in <c>attune_meta</c> (under the writers' lock, so not during this transaction); one read per transaction. When
        /// the count moved, the memory is emptied and starts again from this count.
        /// </summary>
        private async Task<bool> ProfilesKeptAsync(CancellationToken ct)
        {
            if (_profilesKept is { } kept) return kept;
            long deletions = await ScalarAsync("SELECT value FROM attune_meta WHERE key = 'profile-deletions'", ct).ConfigureAwait(false) is string v
                ? long.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : 0;
            lock (store._profileIndex)
            {
                kept = store._profileDeletions == deletions;
                if (!kept)
                {
                    foreach (var profiles in store._profileIndex) profiles.Clear();
                    store._profileDeletions = deletions;
                }
            }
            _profilesKept = true; // from here on, this transaction's own lookups are current
            return kept;
        }

        /// <summary>Profiles this transaction found or created: remembered once it commits.</summary>
        public List<(int Kind, string Id, long Idx)> LearnedProfiles { get; } = [];

        /// <summary>
        /// <see cref="ProfileIndexesAsync"/> through the store's memory of committed profiles: those remembered are checked
        /// to exist still (one indexed count; a mismatch forgets them all and looks every id up), the rest are interned.
        /// </summary>
        public async Task<Dictionary<string, long>> RememberedProfileIndexesAsync(int kind, IEnumerable<string> ids, CancellationToken ct)
        {
            var remembered = store._profileIndex[kind];
            var map = new Dictionary<string, long>(StringComparer.Ordinal);
            var unknown = new List<string>();
            var hits = new List<long>();
            foreach (string id in ids)
            {
                if (map.ContainsKey(id)) continue;
                if (remembered.TryGetValue(id, out long idx))
                {
                    map[id] = idx;
                    hits.Add(idx);
                }
                else
                {
                    map[id] = 0;
                    unknown.Add(id);
                }
            }
            if (hits.Count > 0 && !await ProfilesKeptAsync(ct).ConfigureAwait(false))
            {
                // Someone was erased since these were remembered (here or on another node): look every id up again.
                unknown = [.. map.Keys];
            }
            if (unknown.Count == 0) return map;
            foreach (var (id, idx) in await ProfileIndexesAsync(kind, unknown, ct).ConfigureAwait(false))
            {
                map[id] = idx;
                LearnedProfiles.Add((kind, id, idx));
            }
            return map;
        }

        public async Task<Dictionary<string, long>> ItemIndexesAsync(IEnumerable<string> ids, CancellationToken ct)
        {
            var map = new Dictionary<string, long>(StringComparer.Ordinal);
            var unknown = new List<string>();
            foreach (string id in ids)
            {
                if (map.ContainsKey(id)) continue;
                if (store._itemIndex.TryGetValue(id, out long known)) map[id] = known;
                else
                {
                    map[id] = 0;
                    unknown.Add(id);
                }
            }
            if (unknown.Count == 0) return map;
            var distinct = unknown.ToArray();
            await ExecAsync("INSERT INTO items(id, updated_ms) SELECT unnest(@ids), @now ON CONFLICT (id) DO NOTHING", ct,
                ("ids", distinct), ("now", NowMs)).ConfigureAwait(false);
            await using var cmd = Command("SELECT id, idx FROM items WHERE id = ANY(@ids)", ("ids", distinct));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                long idx = r.GetInt64(1);
                map[r.GetString(0)] = idx;
                LearnedItems.Add((r.GetString(0), idx));
            }
            return map;
        }

        /// <summary>Item indexes this transaction read or created: remembered once it commits (an item row is never deleted,
        /// so an id keeps its index for good, whichever node made it).</summary>
        public List<(string Id, long Idx)> LearnedItems { get; } = [];

        /// <summary>The profile index of each id of one kind, creating profiles (their own canonical owner) for new ones.</summary>
        public async Task<Dictionary<string, long>> ProfileIndexesAsync(int kind, IEnumerable<string> ids, CancellationToken ct)
        {
            var map = new Dictionary<string, long>(StringComparer.Ordinal);
            var unknown = new List<string>();
            foreach (string id in ids)
            {
                if (map.ContainsKey(id)) continue;
                map[id] = 0;
                unknown.Add(id);
            }
            var distinct = unknown.ToArray();
            if (distinct.Length == 0) return map;
            // One round trip: the new profiles (each its own owner, canonical = its index, drawn from the identity's sequence
            // up front) come back from the insert; those that existed come from the select, which does not see the rows its
            // own CTE inserted: so no profile is returned twice. Writers hold the schema's lock: nobody inserts meanwhile.
            await using var cmd = Command("""
                WITH added AS (
                    INSERT INTO profiles(idx, kind, id, canonical, updated_ms) OVERRIDING SYSTEM VALUE
                    SELECT n, @kind, id, n, @now FROM (SELECT nextval(pg_get_serial_sequence('profiles', 'idx')) AS n, id FROM unnest(@ids) AS u(id)) s
                    ON CONFLICT (kind, id) DO NOTHING RETURNING id, idx)
                SELECT id, idx FROM added
                UNION ALL
                SELECT id, idx FROM profiles WHERE kind = @kind AND id = ANY(@ids)
                """, ("kind", (short)kind), ("ids", distinct), ("now", NowMs));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) map[r.GetString(0)] = r.GetInt64(1);
            return map;
        }

        /// <summary>The owner (canonical profile) of each anonymous profile index.</summary>
        public async Task<Dictionary<long, long>> CanonicalOfAsync(IEnumerable<long> anonymous, CancellationToken ct)
        {
            var distinct = anonymous.Distinct().ToArray();
            var map = new Dictionary<long, long>(distinct.Length);
            if (distinct.Length == 0) return map;
            await using var cmd = Command("SELECT idx, canonical FROM profiles WHERE idx = ANY(@ids)", ("ids", distinct));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) map[r.GetInt64(0)] = r.GetInt64(1);
            return map;
        }

        /// <summary>The code of an event type: built in, or a custom one (registered on first use).</summary>
        public async Task<int> TypeCodeAsync(string name, CancellationToken ct)
        {
            if (EventTypes.TryGetBuiltIn(name, out var builtIn)) return (int)builtIn;
            if (await ScalarAsync("SELECT code FROM event_types WHERE name = @n", ct, ("n", name)).ConfigureAwait(false) is int code) return code;
            return (int)(await ScalarAsync("""
                INSERT INTO event_types(code, name)
                SELECT GREATEST(@first, COALESCE(MAX(code), 0) + 1), @n FROM event_types RETURNING code
                """, ct, ("first", EventTypes.FirstCustomCode), ("n", name)).ConfigureAwait(false))!;
        }
    }
}
