using System.Runtime.ExceptionServices;
using SQLitePCL;

namespace Attune.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>One queued write. It runs on the writer inside a shared transaction and completes after the commit.</summary>
    private abstract class WriteOp
    {
        private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Rows this op writes, so one huge op does not share a transaction with many others.</summary>
        public virtual int Size => 1;

        public long Result;

        public Task<long> Task => _done.Task;

        public abstract void Run(SqliteStore store);

        /// <summary>Runs on the writer after the group's COMMIT, outside any transaction (a checkpoint needs that).</summary>
        public virtual void AfterCommit(SqliteStore store) { }

        public void Complete() => _done.TrySetResult(Result);

        public void Fail(Exception e) => _done.TrySetException(e);
    }

    private sealed class DelegateOp(Func<SqliteStore, long> run, int size) : WriteOp
    {
        public override int Size => size;
        public override void Run(SqliteStore store) => Result = run(store);
    }

    /// <summary>A write whose result is computed after the commit (<paramref name="after"/>), outside the transaction.</summary>
    private sealed class AfterCommitOp(Action<SqliteStore> run, Func<SqliteStore, long> after) : WriteOp
    {
        public override void Run(SqliteStore store) => run(store);
        public override void AfterCommit(SqliteStore store) => Result = after(store);
    }

    /// <summary>Most rows folded into one group commit before it is written out.</summary>
    private const int MaxGroupRows = 100_000;

    private Task<long> Enqueue(Func<SqliteStore, long> run, int size = 1, CancellationToken ct = default) =>
        Enqueue(new DelegateOp(run, size), ct);

    private Task<long> Enqueue(WriteOp op, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_ready) throw new ObjectDisposedException(nameof(SqliteStore));
        if (!_queue.Writer.TryWrite(op)) throw new ObjectDisposedException(nameof(SqliteStore));
        // The write is not cancelled once queued: callers may stop waiting, but what was accepted is written.
        return op.Task;
    }

    private async Task WriterLoop()
    {
        var group = new List<WriteOp>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            int rows = 0;
            while (group.Count < _options.MaxGroupSize && rows < MaxGroupRows && reader.TryPeek(out var next))
            {
                if (group.Count > 0 && rows + next.Size > MaxGroupRows) break;
                reader.TryRead(out _);
                group.Add(next);
                rows += next.Size;
            }
            CommitGroup(group);
        }
    }

    private void CommitGroup(List<WriteOp> group)
    {
        try
        {
            RunInTransaction(group);
            foreach (var op in group) CompleteAfterCommit(op);
            return;
        }
        catch (Exception) when (group.Count > 1)
        {
            // One op broke the shared transaction: the in-memory interning may hold ids that were rolled back.
            // Reload it, then run each op alone so only the faulty one fails.
            LoadInterning();
        }
        catch (Exception e)
        {
            LoadInterning();
            group[0].Fail(e);
            return;
        }
        foreach (var op in group)
        {
            try
            {
                RunInTransaction([op]);
                CompleteAfterCommit(op);
            }
            catch (Exception e)
            {
                LoadInterning();
                op.Fail(e);
            }
        }
    }

    private void CompleteAfterCommit(WriteOp op)
    {
        try
        {
            op.AfterCommit(this);
            op.Complete();
        }
        catch (Exception e)
        {
            op.Fail(e);
        }
    }

    private void RunInTransaction(List<WriteOp> ops)
    {
        var db = _writer.Handle!;
        CheckRc(db, raw.sqlite3_exec(db, "BEGIN IMMEDIATE"));
        try
        {
            foreach (var op in ops) op.Run(this);
            long lastChange = WriteChanges();
            CheckRc(db, raw.sqlite3_exec(db, "COMMIT"));
            PublishChanges(lastChange);
        }
        catch (Exception e)
        {
            _eventInserter?.Reset();
            DiscardChanges();
            raw.sqlite3_exec(db, "ROLLBACK");
            ExceptionDispatchInfo.Capture(e).Throw();
        }
    }

    private static void CheckRc(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK)
            throw new InvalidOperationException($"SQLite error {rc}: {raw.sqlite3_errmsg(db).utf8_to_string()}");
    }
}
