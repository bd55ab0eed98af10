using System.Data;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Attune.Storage.Postgres;

/// <summary>
/// The shared part of the store (<see cref="ISharedStore"/>): model versions kept as chunks in the tenant's schema, and leases
/// held as session advisory locks on a connection of their own.
/// </summary>
public sealed partial class PostgresStore
{
    /// <summary>The size of one stored chunk of a bundle: big enough that the round trips do not matter, small enough that
    /// one buffer of it is all a put or a read holds in memory.</summary>
    internal const int ModelChunkBytes = 4 << 20;

    /// <summary>
    /// Stores a version's bundle in one transaction: its chunks under a new revision, then the version row pointing at that
    /// revision, then the deletion of the version's older chunks. A reader's statement sees either the old row with its chunks
    /// or the new row with its own, never a mix. Puts of one version take turns (a transaction-level advisory lock), so a
    /// later put always gets the higher revision. Neither the schema's write lock nor the change feed is involved: which
    /// version is active is a document, written elsewhere.
    /// </summary>
    /// <exception cref="StoreUnavailableException">PostgreSQL cannot be reached; nothing was stored.</exception>
    public async Task PutModelAsync(string version, string info, Stream content, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(content);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await using var connection = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            long revision;
            await using (var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('attune-model:' || @schema || ':' || @version))", connection, tx))
            {
                cmd.Parameters.AddWithValue("schema", _options.Schema);
                cmd.Parameters.AddWithValue("version", version);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                // Taken under the lock: revisions of one version grow in commit order.
                cmd.Parameters.Clear();
                cmd.CommandText = "SELECT nextval('model_revision_seq')";
                revision = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }

            // One buffer for the whole bundle, sent chunk by chunk: a bundle is never held whole in memory.
            var buffer = new byte[ModelChunkBytes];
            long total = 0;
            await using (var insert = new NpgsqlCommand("INSERT INTO model_chunks(version, revision, n, data) VALUES (@version, @revision, @n, @data)", connection, tx))
            {
                insert.Parameters.AddWithValue("version", version);
                insert.Parameters.AddWithValue("revision", revision);
                var n = new NpgsqlParameter<int>("n", 0);
                var data = new NpgsqlParameter<ReadOnlyMemory<byte>>("data", NpgsqlDbType.Bytea);
                insert.Parameters.Add(n);
                insert.Parameters.Add(data);
                while (true)
                {
                    int read = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                    if (read == 0) break;
                    data.TypedValue = buffer.AsMemory(0, read);
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    n.TypedValue++;
                    total += read;
                    if (read < buffer.Length) break;
                }
            }

            await using (var cmd = new NpgsqlCommand("""
                INSERT INTO model_versions(version, info, bytes, revision, updated_ms) VALUES (@version, @info, @bytes, @revision, @now)
                ON CONFLICT (version) DO UPDATE SET info = excluded.info, bytes = excluded.bytes, revision = excluded.revision,
                    updated_ms = excluded.updated_ms;
                DELETE FROM model_chunks WHERE version = @version AND revision <> @revision;
                """, connection, tx))
            {
                cmd.Parameters.AddWithValue("version", version);
                cmd.Parameters.AddWithValue("info", info);
                cmd.Parameters.AddWithValue("bytes", total);
                cmd.Parameters.AddWithValue("revision", revision);
                cmd.Parameters.AddWithValue("now", NowMs);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (PostgresConnection.IsTransient(e))
        {
            throw Unavailable(e);
        }
    }

    /// <exception cref="StoreUnavailableException">PostgreSQL cannot be reached.</exception>
    public async Task<IReadOnlyList<SharedModel>> ListModelsAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await using var cmd = Command("SELECT version, info, bytes, revision FROM model_versions");
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<SharedModel>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new SharedModel(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
            return list;
        }
        catch (Exception e) when (PostgresConnection.IsTransient(e))
        {
            throw Unreachable(e);
        }
    }

    /// <summary>
    /// Copies the version's current chunks into <paramref name="destination"/>, in order, streamed one chunk at a time. One
    /// statement reads the version row and its chunks, so it sees a single revision however a concurrent put goes.
    /// </summary>
    /// <remarks>When this throws, <paramref name="destination"/> may hold part of the bundle: callers copy into a temporary
    /// file and keep it only once this returned true.</remarks>
    /// <exception cref="StoreUnavailableException">PostgreSQL cannot be reached.</exception>
    public async Task<bool> ReadModelAsync(string version, Stream destination, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            // The outer join keeps the version row of an empty bundle (one row, no chunk): present, nothing to copy.
            await using var cmd = Command("""
                SELECT c.data FROM model_versions v
                LEFT JOIN model_chunks c ON c.version = v.version AND c.revision = v.revision
                WHERE v.version = @version ORDER BY c.n
                """, ("version", version));
            await using var r = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct).ConfigureAwait(false);
            bool found = false;
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                found = true;
                if (await r.IsDBNullAsync(0, ct).ConfigureAwait(false)) continue;
                await using var chunk = await r.GetStreamAsync(0, ct).ConfigureAwait(false);
                await chunk.CopyToAsync(destination, ct).ConfigureAwait(false);
            }
            return found;
        }
        catch (Exception e) when (PostgresConnection.IsTransient(e))
        {
            throw Unreachable(e);
        }
    }

    /// <exception cref="StoreUnavailableException">PostgreSQL cannot be reached; nothing was deleted.</exception>
    public async Task<bool> DeleteModelAsync(string version, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await using var connection = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("DELETE FROM model_versions WHERE version = @version", connection, tx);
            cmd.Parameters.AddWithValue("version", version);
            // The row first: it waits for a put of the version in progress, and the chunks' statement that follows then sees
            // everything that put wrote.
            bool deleted = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
            cmd.CommandText = "DELETE FROM model_chunks WHERE version = @version";
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return deleted;
        }
        catch (Exception e) when (PostgresConnection.IsTransient(e))
        {
            throw Unavailable(e);
        }
    }

    private StoreUnavailableException Unreachable(Exception e) =>
        new($"PostgreSQL at {PostgresConnection.Describe(_source)} cannot be reached ({e.Message})", e);

    // ---------------------------------------------------------------- leases

    /// <summary>How often a held lease checks its connection.</summary>
    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long one check may take (seconds) before the lease counts as lost.</summary>
    private const int LeaseCheckTimeoutSeconds = 3;

    /// <summary>
    /// The server's keepalives on a lease's connection. The server drops the session of a node it can no longer reach after
    /// idle + interval × count, which frees the lock for another node; a holder cut off from the server notices first, after
    /// one check interval and one check timeout at most, so it has stopped before another node can take over.
    /// </summary>
    private const string LeaseKeepalives = "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3";

    private readonly object _leaseGate = new();
    private readonly List<SharedLease> _leases = [];
    private NpgsqlDataSource? _leaseSource;
    private bool _leasesClosed;

    /// <summary>
    /// Tries to take <paramref name="role"/>: a session advisory lock, keyed by the schema and the role, on a connection
    /// opened for this lease alone (never pooled, so the lock lives exactly as long as that connection). PostgreSQL frees the
    /// lock when the connection ends, however it ends: disposed, this process gone, or the server giving up on it.
    /// </summary>
    /// <exception cref="StoreUnavailableException">PostgreSQL cannot be reached.</exception>
    public async Task<IStoreLease?> TryLeaseAsync(string role, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(role);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await LeaseSource().OpenConnectionAsync(ct).ConfigureAwait(false);
            await using (var setup = new NpgsqlCommand(LeaseKeepalives, connection)) await setup.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using (var take = new NpgsqlCommand("""
                SELECT set_config('application_name', 'attune lease ' || @role, false),
                    pg_try_advisory_lock(hashtext('attune-lease:' || @schema || ':' || @role))
                """, connection))
            {
                take.Parameters.AddWithValue("schema", _options.Schema);
                take.Parameters.AddWithValue("role", role);
                await using var r = await take.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await r.ReadAsync(ct).ConfigureAwait(false) || !r.GetBoolean(1)) return null;
            }
            var lease = new SharedLease(this, role, connection);
            connection = null;
            bool closed;
            lock (_leaseGate)
            {
                closed = _leasesClosed;
                if (!closed) _leases.Add(lease);
            }
            if (closed)
            {
                await lease.DisposeAsync().ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(PostgresStore));
            }
            lease.Start();
            return lease;
        }
        catch (Exception e) when (PostgresConnection.IsTransient(e))
        {
            throw Unreachable(e);
        }
        finally
        {
            // Not taken (or failed before the lease owned it): closing the connection lets go of anything it held.
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Connections held open (leases, the change feed's listener): not pooled (closing one ends its session), with
    /// the client's TCP keepalives on, and a check that times out breaks the connection at once instead of asking the server
    /// to cancel.</summary>
    private NpgsqlDataSource LeaseSource()
    {
        lock (_leaseGate)
        {
            ObjectDisposedException.ThrowIf(_leasesClosed, this);
            if (_leaseSource is not null) return _leaseSource;
            var builder = new NpgsqlDataSourceBuilder(PostgresConnection.ToConnectionString(_options.ConnectionString));
            var settings = builder.ConnectionStringBuilder;
            settings.SearchPath = _options.Schema;
            settings.Pooling = false;
            settings.CancellationTimeout = -1;
            // Npgsql sets TCP options on whatever socket it opens: on a Unix socket they would fail every connection.
            if (!OverUnixSocket(settings.Host))
            {
                settings.TcpKeepAlive = true;
                settings.TcpKeepAliveTime = 5;
                settings.TcpKeepAliveInterval = 2;
            }
            return _leaseSource = builder.Build();
        }
    }

    /// <summary>Whether a host (or any of a comma-separated list) names a Unix socket's folder rather than a TCP host.</summary>
    private static bool OverUnixSocket(string? hosts)
    {
        if (string.IsNullOrEmpty(hosts)) return true;
        foreach (string host in hosts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            if (host.StartsWith('/') || host.StartsWith('@')) return true;
        return false;
    }

    private void Forget(SharedLease lease)
    {
        lock (_leaseGate) _leases.Remove(lease);
    }

    /// <summary>Ends the leases still held (the store is closing: nothing may go on as their holder) and closes their data
    /// source.</summary>
    private async Task DisposeLeasesAsync()
    {
        SharedLease[] held;
        NpgsqlDataSource? source;
        lock (_leaseGate)
        {
            _leasesClosed = true;
            held = _leases.ToArray();
            source = _leaseSource;
        }
        foreach (var lease in held) await lease.DisposeAsync().ConfigureAwait(false);
        if (source is not null) await source.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A role held through a session advisory lock on <paramref name="connection"/>. A loop checks the connection on an
    /// interval; the first failed check (or one that times out) counts the lease as lost: <see cref="Lost"/> is cancelled and
    /// the connection closed, which also frees the lock should the server still hold it. Checks never take a caller's
    /// cancellation: cancelling one midway would break the connection, and with it the lease.
    /// </summary>
    internal sealed class SharedLease(PostgresStore store, string role, NpgsqlConnection connection) : IStoreLease
    {
        private readonly CancellationTokenSource _lost = new();
        private readonly CancellationTokenSource _stop = new();
        /// <summary>One command at a time on the connection (the loop's check, <see cref="IsHeldAsync"/>, the release).</summary>
        private readonly SemaphoreSlim _gate = new(1, 1);
        private Task _loop = Task.CompletedTask;
        private bool _closed;
        private int _disposed;

        public string Role => role;

        /// <summary>The server process of the lease's connection (tests end it to cut the lease).</summary>
        internal int BackendPid { get; } = connection.ProcessID;

        /// <summary>Cancelled once the lease is lost, and when it is disposed (it is no longer held either way).</summary>
        public CancellationToken Lost => _lost.Token;

        internal void Start() => _loop = RunAsync();

        private async Task RunAsync()
        {
            using var timer = new PeriodicTimer(LeaseCheckInterval, store._time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    await _gate.WaitAsync(_stop.Token).ConfigureAwait(false);
                    try
                    {
                        if (!await CheckAsync().ConfigureAwait(false)) return;
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }

        public async Task<bool> IsHeldAsync(CancellationToken ct = default)
        {
            if (_lost.IsCancellationRequested) return false;
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                return await CheckAsync().ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Asks the server now, holding the gate; a failure loses the lease.</summary>
        private async Task<bool> CheckAsync()
        {
            if (_closed || _lost.IsCancellationRequested) return false;
            try
            {
                await using var cmd = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = LeaseCheckTimeoutSeconds };
                await cmd.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
                return true;
            }
            catch (Exception e)
            {
                store._log.LogWarning("The lease of {Role} is lost: PostgreSQL at {Where} cannot be reached from here ({Error})", role,
                    PostgresConnection.Describe(store._source), e.Message);
                _ = _lost.CancelAsync();
                await CloseAsync().ConfigureAwait(false);
                return false;
            }
        }

        /// <summary>Closes the connection, holding the gate (its session, and any lock it still held, ends with it).</summary>
        private async Task CloseAsync()
        {
            if (_closed) return;
            _closed = true;
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                store._log.LogDebug(e, "Closing the connection of the lease of {Role}", role);
            }
        }

        /// <summary>Stops the checks, releases the lock (so another node can take it at once rather than once the session
        /// has ended) and closes the connection. Errors are ignored: closing frees the lock anyway.</summary>
        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!_closed && !_lost.IsCancellationRequested)
                {
                    try
                    {
                        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('attune-lease:' || @schema || ':' || @role))", connection)
                        {
                            CommandTimeout = LeaseCheckTimeoutSeconds,
                        };
                        cmd.Parameters.AddWithValue("schema", store._options.Schema);
                        cmd.Parameters.AddWithValue("role", role);
                        await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        store._log.LogDebug(e, "Releasing the lease of {Role}", role);
                    }
                }
                await CloseAsync().ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
            _ = _lost.CancelAsync();
            _stop.Dispose();
            store.Forget(this);
        }
    }
}
