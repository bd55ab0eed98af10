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
