using Microsoft.Extensions.Logging;
using Npgsql;

namespace Attune.Storage.Postgres;

/// <summary>
/// Reading the change feed (its rows are written by each write transaction: PostgresStore.Writer.cs), and waiting for it: this process's own commits wake its waiters at once; other nodes' commits wake them through
/// one held <c>LISTEN</c> connection per store (their <c>NOTIFY</c> is sent with each commit); and a waiter reads the
/// feed's end every <see cref="ChangePollInterval"/> whatever happens, so a lost notification or a listener that is
/// reconnecting delays a change by that much at most.
/// </summary>
public sealed partial class PostgresStore
{
    /// <summary>How often a waiter looks for changes committed by other nodes when no notification came.</summary>
    private static readonly TimeSpan ChangePollInterval = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan MaxListenerBackoff = TimeSpan.FromSeconds(15);

    private readonly Lock _listenGate = new();
    private readonly CancellationTokenSource _listenerStop = new();
    private Task? _listener;
    private TaskCompletionSource _notified = NewSignal();

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

    public async Task WaitForChangesAsync(long afterSeq, CancellationToken ct = default)
    {
        EnsureListening();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (CommittedChangeSeq > afterSeq) return;
            var own = Volatile.Read(ref _changeSignal).Task;
            var notified = Volatile.Read(ref _notified).Task;
            try
            {
                if (await GetLastChangeSeqAsync(ct).ConfigureAwait(false) > afterSeq) return;
            }
            catch (Exception e) when (PostgresConnection.IsTransient(e) && !ct.IsCancellationRequested)
            {
                // The database is away: no change can be seen; keep waiting (followers resume when it is back).
                _log.LogDebug(e, "Waiting for changes: PostgreSQL cannot be reached");
                await Task.Delay(ChangePollInterval, _time, ct).ConfigureAwait(false);
                continue;
            }
            await Task.WhenAny(own, notified, Task.Delay(ChangePollInterval, _time, ct)).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the store's listener with its first waiter (a store nobody follows holds no extra connection).</summary>
    private void EnsureListening()
    {
        if (Volatile.Read(ref _listener) is not null) return;
        lock (_listenGate)
        {
            if (_listener is null && Volatile.Read(ref _disposed) == 0)
                Volatile.Write(ref _listener, Task.Run(() => ListenAsync(_listenerStop.Token)));
        }
    }

    /// <summary>
    /// Holds a connection (not pooled, TCP keepalives on: <see cref="LeaseSource"/>) listening on the schema's channel and
    /// wakes every waiter on each notification; when it is lost, waiters are woken (to read the feed) and it reconnects with
    /// backoff (0.5 s doubling to 15 s) while they poll.
    /// </summary>
    private async Task ListenAsync(CancellationToken stop)
    {
        var backoff = ChangePollInterval;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var c = await LeaseSource().OpenConnectionAsync(stop).ConfigureAwait(false);
                c.Notification += (_, _) => Notified();
                await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", c)) await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                Notified(); // what was committed while nobody listened: waiters read the feed again
                backoff = ChangePollInterval;
                while (true) await c.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (ObjectDisposedException) { return; } // the store is closing
            catch (Exception e)
            {
                _log.LogDebug(e, "The change feed's listener lost its connection; reconnecting in {Seconds:0.0} s (polling meanwhile)", backoff.TotalSeconds);
                Notified();
            }
            try { await Task.Delay(backoff, _time, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            backoff = TimeSpan.FromTicks(Math.Min(MaxListenerBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    private void Notified() => Interlocked.Exchange(ref _notified, NewSignal()).TrySetResult();

    private async Task StopListeningAsync()
    {
        Task? listener;
        lock (_listenGate) listener = _listener;
        await _listenerStop.CancelAsync().ConfigureAwait(false);
        if (listener is not null)
        {
            try { await listener.ConfigureAwait(false); }
            catch (Exception e) when (e is not OutOfMemoryException) { _log.LogDebug(e, "The change feed's listener ended with an error"); }
        }
        _listenerStop.Dispose();
    }
}
