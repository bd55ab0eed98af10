using System.Diagnostics;
using System.Runtime.CompilerServices;
using SQLitePCL;

namespace Attune.Storage.Sqlite;

/// <summary>
/// The change feed: every write op records what it changed (<see cref="AddChange"/>); the writer inserts those rows into
/// <c>changes</c> just before COMMIT, in the same transaction, and wakes the waiters once the commit is durable.
/// </summary>
/// <remarks>
/// <c>events.seq</c> is a plain INTEGER PRIMARY KEY: SQLite gives each row max(seq) + 1, so after the newest events are erased it
/// would hand their seqs out again, and a watermark past them would miss the new events. The writer therefore tracks the newest
/// seq ever handed out (<see cref="_lastEventSeq"/>, persisted in <c>meta.event_seq</c> by every commit that advanced it) and, when
/// the table's max may be below it (<see cref="_eventSeqGap"/>), gives the next row that seq + 1 explicitly; SQLite continues from
/// there. Every other row costs nothing extra (an explicit seq on every row slowed <c>attune import</c> by ~9%).
/// Change seqs are AUTOINCREMENT, never reused.
/// </remarks>
public sealed partial class SqliteStore
{
    private const string EventSeqKey = "event_seq";

    /// <summary>How often a waiter looks for changes committed by another process; commits in this one wake it at once.</summary>
    private static readonly TimeSpan ChangePollInterval = TimeSpan.FromMilliseconds(500);

    private readonly record struct PendingChange(ChangeKind Kind, string? Id, string? Other, long FromEventSeq, long ToEventSeq);

    // Writer-owned: the changes of the open transaction, in op order, and the event seq counter.
    private readonly List<PendingChange> _pendingChanges = [];
    /// <summary>The changes <see cref="WriteChanges"/> wrote, with their seqs, until the commit publishes them.</summary>
    private readonly List<StoreChange> _committingChanges = [];
    /// <summary>The newest event seq handed out, committed or in the open transaction.</summary>
    private long _lastEventSeq;
    /// <summary>Whether MAX(events.seq) may be below <see cref="_lastEventSeq"/> (events were erased): the next row then needs its seq.</summary>
    private bool _eventSeqGap;
    /// <summary>What <c>meta.event_seq</c> holds in the open transaction.</summary>
    private long _persistedEventSeq;
    private RawStatement? _insertChange, _saveEventSeq;

    // Read by any thread.
    private long _committedChangeSeq;
    private TaskCompletionSource _changeSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long CommittedChangeSeq => Volatile.Read(ref _committedChangeSeq);

    /// <summary>Queues a change of the running op; it is written only if the transaction commits.</summary>
    private void AddChange(ChangeKind kind, string? id, string? other = null) => _pendingChanges.Add(new(kind, id, other, 0, 0));

    /// <summary>Records one appended batch: the events with <paramref name="fromEventSeq"/> &lt; seq ≤ the last seq handed out.</summary>
    private void AddEventsChange(long fromEventSeq)
    {
        if (_lastEventSeq == fromEventSeq) return;
        // The counter and SQLite's rowids agree (one writer; gaps closed by AddAt); the inserter was flushed, so its row is the last.
        Debug.Assert(raw.sqlite3_last_insert_rowid(_writer.Handle!) == _lastEventSeq, "event seq counter out of step with SQLite");
        _pendingChanges.Add(new(ChangeKind.Events, null, null, fromEventSeq, _lastEventSeq));
    }

    /// <summary>Queues one event row; its seq is <see cref="_lastEventSeq"/> + 1, given by SQLite unless after a gap.</summary>
    private void AddEvent(EventInserter insert, int owner, int item, int type, long timestampMs, double value, bool hasValue, string? extra)
    {
        long seq = ++_lastEventSeq;
        if (_eventSeqGap)
        {
            insert.AddAt(seq, owner, item, type, timestampMs, value, hasValue, extra);
            _eventSeqGap = false;
        }
        else insert.Add(owner, item, type, timestampMs, value, hasValue, extra);
    }

    /// <summary>Runs inside the transaction, right before COMMIT. Returns the seq of the last change written, or 0.</summary>
    private long WriteChanges()
    {
        var db = _writer.Handle!;
        if (_lastEventSeq > _persistedEventSeq)
        {
            var save = _saveEventSeq ??= new(db, "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
            save.Bind(1, EventSeqKey);
            save.Bind(2, _lastEventSeq);
            save.Execute();
            _persistedEventSeq = _lastEventSeq;
        }
        _committingChanges.Clear();
        if (_pendingChanges.Count == 0) return 0;
        long at = NowMs;
        var insert = _insertChange ??= new(db, "INSERT INTO changes(kind, id, other, from_seq, to_seq, at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        foreach (var c in _pendingChanges)
        {
            insert.Bind(1, (long)c.Kind);
            insert.Bind(2, c.Id);
            insert.Bind(3, c.Other);
            insert.Bind(4, c.FromEventSeq);
            insert.Bind(5, c.ToEventSeq);
            insert.Bind(6, at);
            insert.Execute();
        }
        long last = raw.sqlite3_last_insert_rowid(db);
        // One writer, AUTOINCREMENT: the rows of this transaction have consecutive seqs ending at the last one.
        long seq = last - _pendingChanges.Count;
        foreach (var c in _pendingChanges) _committingChanges.Add(new StoreChange(++seq, c.Kind, c.Id, c.Other, c.FromEventSeq, c.ToEventSeq, at));
        _pendingChanges.Clear();
        return last;
    }

    /// <summary>After a rollback: the queued changes never happened.</summary>
    private void DiscardChanges()
    {
        _pendingChanges.Clear();
        _committingChanges.Clear();
        ResetPendingTail();
    }

    /// <summary>
    /// After COMMIT: puts the changes into the tail, then makes them visible to <see cref="CommittedChangeSeq"/> and wakes every
    /// waiter (in this order, so a reader that saw the seq finds it in the tail).
    /// </summary>
    private void PublishChanges(long lastChangeSeq)
    {
        PublishTail(_committingChanges, _lastEventSeq);
        _committingChanges.Clear();
        if (lastChangeSeq == 0) return;
        Volatile.Write(ref _committedChangeSeq, lastChangeSeq);
        Interlocked.Exchange(ref _changeSignal, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Loads the event seq counter (at open, and after a rollback): past every seq ever committed, erased or not.</summary>
    private void LoadEventSeq()
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = $"""
            SELECT COALESCE((SELECT MAX(seq) FROM events), 0),
                   COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{EventSeqKey}'), 0)
            """;
        using var r = cmd.ExecuteReader();
        r.Read();
        long maxSeq = r.GetInt64(0);
        _persistedEventSeq = r.GetInt64(1);
        // A database written before meta.event_seq existed has only MAX(seq); the next commit persists it.
        _lastEventSeq = Math.Max(maxSeq, _persistedEventSeq);
        _eventSeqGap = maxSeq < _lastEventSeq;
    }

    public async IAsyncEnumerable<StoreChange> ReadChangesAsync(long afterSeq, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (_tail.Changes(afterSeq) is { } recent)
        {
            foreach (var change in recent) yield return change;
            yield break;
        }
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, kind, id, other, from_seq, to_seq, at_ms FROM changes WHERE seq > $after ORDER BY seq";
        cmd.Parameters.AddWithValue("$after", afterSeq);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            yield return new StoreChange(r.GetInt64(0), (ChangeKind)r.GetInt32(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6));
        }
    }

    public async Task<long> GetLastChangeSeqAsync(CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT MAX(seq) FROM changes";
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long seq ? seq : 0;
    }

    public async Task WaitForChangesAsync(long afterSeq, CancellationToken ct = default)
    {
        // The file is read only on the first look and when the poll interval passes: a commit in this process is known without
        // it (reading after each local commit costs a query and the reader's page cache on every write).
        bool poll = true;
        using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task? timer = null;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(!_ready, this);
                // Taken before the checks, so a commit landing between the check and the wait still wakes us.
                var signal = Volatile.Read(ref _changeSignal).Task;
                if (CommittedChangeSeq > afterSeq || (poll && await GetLastChangeSeqAsync(ct).ConfigureAwait(false) > afterSeq)) return;
                // Real time, not the store's clock: this polls the file for other processes' commits.
                timer ??= Task.Delay(ChangePollInterval, stopTimer.Token);
                poll = await Task.WhenAny(signal, timer).ConfigureAwait(false) != signal;
                if (poll) timer = null;
            }
        }
        finally
        {
            stopTimer.Cancel(); // no timer outlives the wait
        }
    }
}
