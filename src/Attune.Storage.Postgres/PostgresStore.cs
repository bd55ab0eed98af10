using System.Text.Json;
using Attune.Model;
using Attune.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Attune.Storage.Postgres;

/// <summary>
/// The store on PostgreSQL: the same contract as the embedded SQLite store (<c>StoreContractTests</c> runs against both),
/// shared by several nodes. Every write is one transaction holding the schema's write lock (a transaction-level advisory
/// lock), so event and change sequence numbers are committed in the order they are handed out: a node that read the change
/// feed up to N never misses a lower number committed later. A commit sends <c>NOTIFY</c>; other nodes' waiters wake on it,
/// and poll as the fallback.
/// </summary>
public sealed partial class PostgresStore : IAttuneStore, ISharedStore
{
    private const int KindUser = 0, KindAnonymous = 1;

    private readonly NpgsqlDataSource _source;
    private readonly PostgresStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly FieldCipher? _cipher;
    private readonly string _channel;
    private long _committedChangeSeq;
    /// <summary>Item id → index, as committed (saves a round trip per batch of events naming known items).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _itemIndex = new(StringComparer.Ordinal);
    private const int ItemIndexCapacity = 2_000_000;
    /// <summary>
    /// Profile id → index by kind (user, visitor), as committed: events name mostly known people, and looking them up was most
    /// of the database's work per ingested event. A profile row can be deleted (an erasure, on any node): erasures count
    /// deletions in <c>attune_meta</c>, and a transaction that uses this memory first checks that count (one row).
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long>[] _profileIndex =
        [new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    /// <summary>The count of profile deletions (<c>attune_meta</c>) <see cref="_profileIndex"/> was filled at; guarded by it.</summary>
    private long _profileDeletions = -1;

    /// <summary>
    /// The events this process committed lately (by seq range), as a reader gets them back: this node's change feed applies its
    /// own writes from memory instead of reading them back (a join over profiles and items per batch, most of the database's
    /// work per ingested event otherwise). Only batches whose owners are the ids they name are kept (no link, no linked
    /// visitor); any write that moves or deletes events empties it. Other nodes' writes, imports and gaps read the database.
    /// </summary>
    private readonly Queue<(long After, long UpTo, StoredEvent[] Events)> _recentEvents = new();
    private readonly Lock _recentGate = new();
    private int _recentCount;
    private const int RecentEventsCapacity = 200_000;
    private TaskCompletionSource _changeSignal = NewSignal();
    private int _disposed;

    private PostgresStore(NpgsqlDataSource source, PostgresStoreOptions options, TimeProvider time, ILogger log, FieldCipher? cipher)
    {
        _source = source;
        _options = options;
        _time = time;
        _log = log;
        _cipher = cipher;
        _channel = "attune_changes_" + options.Schema;
    }

    /// <summary>
    /// Connects (retrying while the database cannot be reached, up to <see cref="PostgresStoreOptions.ConnectTimeout"/>),
    /// creates or migrates the schema, and opens the store.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database stayed unreachable, or its schema is from a newer Attune.</exception>
    public static async Task<PostgresStore> OpenAsync(PostgresStoreOptions options, TimeProvider? time = null, ILogger? log = null,
        FieldCipher? cipher = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!PostgresSchema.IsValidName(options.Schema))
            throw new ArgumentException($"'{options.Schema}' cannot name a PostgreSQL schema for Attune", nameof(options));
        log ??= NullLogger.Instance;
        var builder = new NpgsqlDataSourceBuilder(PostgresConnection.ToConnectionString(options.ConnectionString));
        builder.ConnectionStringBuilder.SearchPath = options.Schema;
        var source = builder.Build();
        try
        {
            await using (var c = await PostgresConnection.OpenAsync(source, options.ConnectTimeout,
                (e, wait) => log.LogWarning("PostgreSQL at {Where} is not reachable ({Error}); trying again in {Seconds:0.#} s",
                    PostgresConnection.Describe(source), e.Message, wait.TotalSeconds), time, ct).ConfigureAwait(false))
            {
                await PostgresSchema.MigrateAsync(c, options.Schema, ct).ConfigureAwait(false);
            }
            return new PostgresStore(source, options, time ?? TimeProvider.System, log, cipher);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public bool IsReady => Volatile.Read(ref _disposed) == 0;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private StoreUnavailableException Unavailable(Exception e) =>
        new($"PostgreSQL at {PostgresConnection.Describe(_source)} cannot be reached ({e.Message}); nothing was written", e);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // ---------------------------------------------------------------- writes

    /// <summary>
    /// Runs <paramref name="body"/> in one transaction holding the schema's write lock; the changes it records are written
    /// before the commit, in the same transaction, and announced after it.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<Writer, Task<T>> body, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var op = new WriteOp<T>(body, ct);
        lock (_queueGate)
        {
            _queue.Enqueue(op);
            if (!_writing)
            {
                _writing = true;
                _ = Task.Run(WriteLoopAsync);
            }
        }
        return await op.Task.ConfigureAwait(false);
    }

    /// <summary>Writes queued faster than one transaction each are committed together (at most this many per transaction).</summary>
    private const int MaxGroup = 256;

    private readonly object _queueGate = new();
    private readonly Queue<WriteOp> _queue = new();
    private bool _writing;

    /// <summary>One queued write: its body, run inside a group's transaction, and its caller's task.</summary>
    private abstract class WriteOp
    {
        public abstract CancellationToken Cancellation { get; }
        public abstract Task RunAsync(Writer w);
        public abstract void Succeed();
        public abstract void Fail(Exception e);
    }

    private sealed class WriteOp<T>(Func<Writer, Task<T>> body, CancellationToken ct) : WriteOp
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _done.Task;
        public override CancellationToken Cancellation => ct;
        public override async Task RunAsync(Writer w) => _result = await body(w).ConfigureAwait(false);
        public override void Succeed() => _done.TrySetResult(_result!);
        public override void Fail(Exception e)
        {
            if (e is OperationCanceledException && ct.IsCancellationRequested) _done.TrySetCanceled(ct);
            else _done.TrySetException(e);
        }
    }

    /// <summary>
    /// The group commit: the writes queued while the last transaction ran go into the next one, in call order, each inside a
    /// savepoint (a failing one is rolled back alone and fails alone); the others succeed only once the transaction commits.
    /// One transaction at a time per process; the database's lock orders it against other nodes'.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var group = new List<WriteOp>(MaxGroup);
        while (true)
        {
            group.Clear();
            lock (_queueGate)
            {
                while (group.Count < MaxGroup && _queue.TryDequeue(out var next)) group.Add(next);
                if (group.Count == 0)
                {
                    _writing = false;
                    return;
                }
            }
            await CommitGroupAsync(group).ConfigureAwait(false);
        }
    }

    private async Task CommitGroupAsync(List<WriteOp> group)
    {
        var done = new List<WriteOp>(group.Count);
        try
        {
            await using var connection = await _source.OpenConnectionAsync().ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
            var w = new Writer(this, connection, tx);
            await w.ExecAsync("SELECT pg_advisory_xact_lock(hashtext('attune-write:' || @schema))", default, ("schema", _options.Schema)).ConfigureAwait(false);
            foreach (var op in group)
            {
                if (op.Cancellation.IsCancellationRequested)
                {
                    op.Fail(new OperationCanceledException(op.Cancellation));
                    continue;
                }
                var mark = w.Mark();
                await w.ExecAsync("SAVEPOINT op", default).ConfigureAwait(false);
                try
                {
                    await op.RunAsync(w).ConfigureAwait(false);
                    await w.ExecAsync("RELEASE SAVEPOINT op", default).ConfigureAwait(false);
                    done.Add(op);
                }
                catch (Exception e) when (!PostgresConnection.IsTransient(e))
                {
                    // This write alone is undone; the group goes on.
                    await w.ExecAsync("ROLLBACK TO SAVEPOINT op", default).ConfigureAwait(false);
                    w.Reset(mark);
                    op.Fail(e);
                }
            }
            long last = await w.WriteChangesAsync(default).ConfigureAwait(false);
            if (last > 0) await w.ExecAsync($"NOTIFY {_channel}", default).ConfigureAwait(false);
            await tx.CommitAsync().ConfigureAwait(false);
            if (w.RewritesEvents) ForgetRecentEvents();
            else RememberEvents(w.Written);
            if (last > 0) Published(last);
            foreach (var (kind, id, idx) in w.LearnedProfiles)
            {
                var profiles = _profileIndex[kind];
                if (profiles.Count >= ItemIndexCapacity) profiles.Clear();
                profiles[id] = idx;
            }
            if (w.LearnedItems.Count > 0)
            {
                if (_itemIndex.Count + w.LearnedItems.Count > ItemIndexCapacity) _itemIndex.Clear();
                foreach (var (id, idx) in w.LearnedItems) _itemIndex[id] = idx;
            }
            foreach (var op in done) op.Succeed();
        }
        catch (Exception e)
        {
            // Nothing of the group is acknowledged: the database went away (the caller answers 503 and is sent it again), or
            // the commit itself failed.
            var failure = PostgresConnection.IsTransient(e) ? Unavailable(e) : e;
            foreach (var op in group) op.Fail(failure);
        }
    }

    private void RememberEvents(List<(long After, long UpTo, StoredEvent[] Events)> written)
    {
        if (written.Count == 0) return;
        lock (_recentGate)
        {
            foreach (var batch in written)
            {
                _recentEvents.Enqueue(batch);
                _recentCount += batch.Events.Length;
            }
            while (_recentCount > RecentEventsCapacity && _recentEvents.TryDequeue(out var old)) _recentCount -= old.Events.Length;
        }
    }

    private void ForgetRecentEvents()
    {
        lock (_recentGate)
        {
            _recentEvents.Clear();
            _recentCount = 0;
        }
    }

    /// <summary>The events after <paramref name="afterSeq"/> up to <paramref name="upToSeq"/> when this process remembers every
    /// one of that range (consecutive batches it committed, nothing of another writer between them); null otherwise.</summary>
    private List<StoredEvent>? RecentEvents(long afterSeq, long upToSeq)
    {
        lock (_recentGate)
        {
            long covered = afterSeq;
            List<StoredEvent>? events = null;
            foreach (var (after, upTo, batch) in _recentEvents)
            {
                if (upTo <= covered) continue;
                if (after > covered) return null; // a gap: another writer's events, or forgotten ones
                events ??= new List<StoredEvent>((int)Math.Min(upToSeq - afterSeq, RecentEventsCapacity));
                foreach (var e in batch)
                    if (e.Seq > covered && e.Seq <= upToSeq) events.Add(e);
                covered = upTo;
                if (covered >= upToSeq) return events;
            }
            return null;
        }
    }

    private void Published(long seq)
    {
        long seen = Volatile.Read(ref _committedChangeSeq);
        while (seq > seen)
        {
            long was = Interlocked.CompareExchange(ref _committedChangeSeq, seq, seen);
            if (was == seen) break;
            seen = was;
        }
        Interlocked.Exchange(ref _changeSignal, NewSignal()).TrySetResult();
    }

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

    // ---------------------------------------------------------------- change feed

    public async IAsyncEnumerable<StoreChange> ReadChangesAsync(long afterSeq, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var cmd = _source.CreateCommand("SELECT seq, kind, id, other, from_seq, to_seq, at_ms FROM changes WHERE seq > @after ORDER BY seq");
        cmd.Parameters.AddWithValue("after", afterSeq);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new StoreChange(r.GetInt64(0), (ChangeKind)r.GetInt32(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6));
    }

    public async Task<long> GetLastChangeSeqAsync(CancellationToken ct = default)
    {
        // The sequence's last value counts changes whose transaction has not committed yet: the table's is what is readable.
        await using var cmd = _source.CreateCommand("SELECT COALESCE(MAX(seq), 0) FROM changes");
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public long CommittedChangeSeq => Volatile.Read(ref _committedChangeSeq);

    // ---------------------------------------------------------------- records

    private static readonly byte[] UserDocPurpose = "profiles.doc"u8.ToArray();
    private static readonly byte[] DocumentPurpose = "documents.json"u8.ToArray();

    private string SealUserDoc(string json) => _cipher is { } c ? c.Encrypt(json, UserDocPurpose) : json;

    private string SealDocument(string json) => _cipher is { } c ? c.Encrypt(json, DocumentPurpose) : json;

    private string Reveal(string stored, byte[] purpose, string what)
    {
        if (!FieldCipher.IsEncrypted(stored)) return stored;
        return _cipher is { } c ? c.Decrypt(stored, purpose, what) : throw FieldCipher.NotConfigured(stored, what);
    }

    private string RevealDocument(string stored) => Reveal(stored, DocumentPurpose, "a stored document (documents.json)");

    private User UserFrom(string id, string? doc) =>
        doc is null ? new User { Id = id } : JsonSerializer.Deserialize<User>(Reveal(doc, UserDocPurpose, "a user record (profiles.doc)"), AttuneJson.Options)!;

    private static Item ParseItem(string doc) => JsonSerializer.Deserialize<Item>(doc, AttuneJson.Options)!;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopListeningAsync().ConfigureAwait(false);
        await DisposeLeasesAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);
    }
}
