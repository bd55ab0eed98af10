using Attune.Model;
using Attune.Storage;
using Attune.Storage.Postgres;
using Npgsql;

namespace Attune.Tests.Storage.Postgres;

/// <summary>
/// The shared part of the PostgreSQL store (<see cref="ISharedStore"/>) on a real server: model bundles stored in chunks,
/// replaced whole, read back exactly; leases that one node holds at a time, freed when released, when the store closes and
/// when the holder's connection dies. Each test gets fresh schemas on one throwaway server per class; two stores on one
/// schema stand for two nodes.
/// </summary>
public sealed class PostgresSharedStoreTests(PostgresServerFixture server) : IClassFixture<PostgresServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewSchema() => "m" + Guid.NewGuid().ToString("N")[..16];

    private string ConnectionString
    {
        get
        {
            Assert.SkipUnless(server.Server is not null, TempPostgres.SkipReason);
            return server.Server!.ConnectionString;
        }
    }

    private Task<PostgresStore> OpenAsync(string schema) =>
        PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = ConnectionString, Schema = schema }, ct: Ct);

    /// <summary>
    /// A node remembers the profile indexes of people it wrote events for; another node's erasure deletes one of them. The
    /// first node's next events for that person create a fresh profile (not rows pointing at the deleted one).
    /// </summary>
    [Fact]
    public async Task EventsForAPersonErasedOnAnotherNodeCreateAFreshProfile()
    {
        string schema = NewSchema();
        await using var a = await OpenAsync(schema);
        await using var b = await OpenAsync(schema);
        var t = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        await a.AppendEventsAsync([new Event { Type = "view", UserId = "gone", ItemId = "i1", Timestamp = t }, new Event { Type = "view", UserId = "kept", ItemId = "i1", Timestamp = t }], Ct);
        await a.AppendEventsAsync([new Event { Type = "view", UserId = "gone", ItemId = "i2", Timestamp = t.AddMinutes(1) }], Ct);
        Assert.NotNull(await b.ErasePersonAsync("gone", anonymous: false, Ct));
        await a.AppendEventsAsync([new Event { Type = "view", UserId = "gone", ItemId = "i3", Timestamp = t.AddMinutes(2) },
            new Event { Type = "view", UserId = "kept", ItemId = "i3", Timestamp = t.AddMinutes(2) }], Ct);
        Assert.Equal(1, (await b.GetProfileAsync("gone", ct: Ct))!.EventCount);
        Assert.Equal(2, (await b.GetProfileAsync("kept", ct: Ct))!.EventCount);
        Assert.Equal(0L, await ScalarAsync($"SELECT count(*) FROM {schema}.events e WHERE NOT EXISTS (SELECT 1 FROM {schema}.profiles p WHERE p.idx = e.profile)"));
    }

    private static byte[] Bundle(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]?> ReadAsync(ISharedStore store, string version)
    {
        using var copy = new MemoryStream();
        return await store.ReadModelAsync(version, copy, Ct) ? copy.ToArray() : null;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var source = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = source.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ABundleOfSeveralChunksIsListedAndReadBackExactlyByEveryNode()
    {
        string schema = NewSchema();
        await using var a = await OpenAsync(schema);
        await using var b = await OpenAsync(schema);
        var bundle = Bundle(1, 9 << 20);
        // Read in small, uneven pieces from a stream that cannot seek, as a bundle written by a trainer would be.
        await a.PutModelAsync("v1", """{"algorithm":"als"}""", new TrickleStream(bundle), Ct);

        var listed = Assert.Single(await b.ListModelsAsync(Ct));
        Assert.Equal(("v1", """{"algorithm":"als"}""", (long)bundle.Length), (listed.Version, listed.Info, listed.Bytes));
        Assert.True(listed.Revision > 0);
        Assert.Equal(bundle, await ReadAsync(b, "v1"));
        Assert.Equal(bundle, await ReadAsync(a, "v1"));
        // Full chunks and a last, shorter one.
        Assert.Equal((bundle.Length + PostgresStore.ModelChunkBytes - 1) / PostgresStore.ModelChunkBytes,
            await ScalarAsync($"SELECT count(*) FROM {schema}.model_chunks WHERE version = 'v1'"));
    }

    [Fact]
    public async Task PuttingAVersionAgainReplacesItUnderAHigherRevisionAndLeavesNoOldChunks()
    {
        string schema = NewSchema();
        await using var store = await OpenAsync(schema);
        var first = Bundle(1, 9 << 20);
        var second = Bundle(2, 5 << 20);
        var other = Bundle(3, 1000);
        await store.PutModelAsync("v1", """{"n":1}""", new MemoryStream(first), Ct);
        await store.PutModelAsync("v2", """{"n":2}""", new MemoryStream(other), Ct);
        long before = (await store.ListModelsAsync(Ct)).Single(m => m.Version == "v1").Revision;

        await store.PutModelAsync("v1", """{"n":3}""", new MemoryStream(second), Ct);
        var models = (await store.ListModelsAsync(Ct)).ToDictionary(m => m.Version);
        Assert.Equal(2, models.Count);
        Assert.True(models["v1"].Revision > before, $"revision {models["v1"].Revision} after {before}");
        Assert.Equal(("""{"n":3}""", (long)second.Length), (models["v1"].Info, models["v1"].Bytes));
        Assert.Equal(second, await ReadAsync(store, "v1"));
        Assert.Equal(other, await ReadAsync(store, "v2"));
        // Only the current revision's chunks remain.
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM {schema}.model_chunks WHERE version = 'v1' AND revision <> {models["v1"].Revision}"));
        Assert.Equal(2, await ScalarAsync($"SELECT count(*) FROM {schema}.model_chunks WHERE version = 'v1'"));
    }

    [Fact]
    public async Task AMissingVersionReadsAsFalseWritingNothingAndAVersionIsDeletedOnce()
    {
        string schema = NewSchema();
        await using var store = await OpenAsync(schema);
        using (var copy = new MemoryStream())
        {
            Assert.False(await store.ReadModelAsync("nope", copy, Ct));
            Assert.Equal(0, copy.Length);
        }

        // An empty bundle is a version all the same.
        await store.PutModelAsync("empty", "{}", new MemoryStream(), Ct);
        Assert.Equal(0, Assert.Single(await store.ListModelsAsync(Ct)).Bytes);
        Assert.Empty((await ReadAsync(store, "empty"))!);

        await store.PutModelAsync("v1", "{}", new MemoryStream(Bundle(1, 5 << 20)), Ct);
        Assert.True(await store.DeleteModelAsync("v1", Ct));
        Assert.False(await store.DeleteModelAsync("v1", Ct));
        Assert.Null(await ReadAsync(store, "v1"));
        Assert.Equal("empty", Assert.Single(await store.ListModelsAsync(Ct)).Version);
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM {schema}.model_chunks"));
        Assert.True(await store.DeleteModelAsync("empty", Ct));
        Assert.Empty(await store.ListModelsAsync(Ct));
    }

    [Fact]
    public async Task ReadersDuringReplacementsSeeTheOldBundleOrTheNewOneNeverAMix()
    {
        string schema = NewSchema();
        await using var writer = await OpenAsync(schema);
        await using var reader = await OpenAsync(schema);
        byte[][] bundles = [Bundle(1, 5 << 20), Bundle(2, 5 << 20)];
        await writer.PutModelAsync("v1", "{}", new MemoryStream(bundles[0]), Ct);

        int reads = 0;
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var read = await ReadAsync(reader, "v1");
                Assert.NotNull(read);
                Assert.True(read.AsSpan().SequenceEqual(bundles[0]) || read.AsSpan().SequenceEqual(bundles[1]), "a read mixed two bundles");
                Interlocked.Increment(ref reads);
            }
        })).ToArray();
        for (int i = 1; i <= 6; i++) await writer.PutModelAsync("v1", "{}", new MemoryStream(bundles[i % 2]), Ct);
        await done.CancelAsync();
        await Task.WhenAll(readers);
        Assert.True(reads > 0);
        Assert.Equal(bundles[0], await ReadAsync(reader, "v1"));
    }

    [Fact]
    public async Task OneNodeHoldsARoleAtATimeAndAnotherTakesItOnceReleased()
    {
        string schema = NewSchema();
        await using var a = await OpenAsync(schema);
        await using var b = await OpenAsync(schema);

        var held = await a.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(held);
        Assert.Null(await b.TryLeaseAsync("trainer", Ct));
        // Not reentrant either: each attempt is a session of its own.
        Assert.Null(await a.TryLeaseAsync("trainer", Ct));
        Assert.True(await held.IsHeldAsync(Ct));
        Assert.False(held.Lost.IsCancellationRequested);

        await held.DisposeAsync();
        Assert.True(held.Lost.IsCancellationRequested);
        Assert.False(await held.IsHeldAsync(Ct));
        await using var taken = await b.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(taken);
        Assert.True(await taken.IsHeldAsync(Ct));
        Assert.Null(await a.TryLeaseAsync("trainer", Ct));
    }

    [Fact]
    public async Task RolesAndSchemasAreLeasedIndependently()
    {
        string schema = NewSchema(), otherSchema = NewSchema();
        await using var a = await OpenAsync(schema);
        await using var b = await OpenAsync(schema);
        await using var tenant = await OpenAsync(otherSchema);

        await using var trainer = await a.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(trainer);
        // Another role on the same schema, and the same role on another tenant's schema, are free.
        await using var judge = await b.TryLeaseAsync("judge", Ct);
        Assert.NotNull(judge);
        await using var tenantTrainer = await tenant.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(tenantTrainer);
        Assert.Null(await b.TryLeaseAsync("trainer", Ct));
        Assert.Null(await a.TryLeaseAsync("judge", Ct));
        Assert.True(await trainer.IsHeldAsync(Ct) && await judge.IsHeldAsync(Ct) && await tenantTrainer.IsHeldAsync(Ct));
    }

    [Fact]
    public async Task AHolderWhoseConnectionIsKilledLosesTheLeaseAndAnotherNodeTakesIt()
    {
        string schema = NewSchema();
        await using var a = await OpenAsync(schema);
        await using var b = await OpenAsync(schema);
        await using var held = await a.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(held);
        int pid = ((PostgresStore.SharedLease)held).BackendPid;
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = {pid}"));

        Assert.Equal(1, await ScalarAsync($"SELECT pg_terminate_backend({pid})::int"));
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (held.Lost.Register(() => lost.TrySetResult()))
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            await lost.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10));
        }
        Assert.False(await held.IsHeldAsync(Ct));

        await using var taken = await b.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(taken);
        Assert.True(await taken.IsHeldAsync(Ct));
    }

    [Fact]
    public async Task ClosingTheStoreEndsItsLeases()
    {
        string schema = NewSchema();
        var a = await OpenAsync(schema);
        await using var b = await OpenAsync(schema);
        var held = await a.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(held);

        await a.DisposeAsync();
        Assert.True(held.Lost.IsCancellationRequested);
        Assert.False(await held.IsHeldAsync(Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => a.TryLeaseAsync("trainer", Ct));
        await using var taken = await b.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(taken);
        await held.DisposeAsync();
        Assert.True(await taken.IsHeldAsync(Ct));
    }

    [Fact]
    public async Task ALeaseIsTakenOverAUnixSocketToo()
    {
        // The client's TCP keepalives are for TCP connections only: set on a Unix socket, they would fail every lease.
        string dir;
        await using (var source = NpgsqlDataSource.Create(ConnectionString))
        await using (var cmd = source.CreateCommand("SHOW unix_socket_directories"))
            dir = (string)(await cmd.ExecuteScalarAsync(Ct))!;
        string overSocket = new NpgsqlConnectionStringBuilder(ConnectionString) { Host = dir }.ConnectionString;
        await using var store = await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = overSocket, Schema = NewSchema() }, ct: Ct);
        await using var held = await store.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(held);
        Assert.True(await held.IsHeldAsync(Ct));
        int pid = ((PostgresStore.SharedLease)held).BackendPid;
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND client_addr IS NULL AND application_name = 'attune lease trainer'"));
    }

    [Fact]
    public async Task WhileTheDatabaseIsAwayModelCallsAreUnavailableAndTheLeaseIsLost()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var db = await TempPostgres.StartAsync(Ct, durable: true);
        await using var store = await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = db.ConnectionString }, ct: Ct);
        var bundle = Bundle(1, 1 << 20);
        await store.PutModelAsync("v1", "{}", new MemoryStream(bundle), Ct);
        await using var held = await store.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(held);

        await db.StopAsync();
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (held.Lost.Register(() => lost.TrySetResult())) await lost.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(await held.IsHeldAsync(Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.PutModelAsync("v2", "{}", new MemoryStream(bundle), Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ListModelsAsync(Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadModelAsync("v1", Stream.Null, Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.DeleteModelAsync("v1", Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.TryLeaseAsync("trainer", Ct));

        await db.StartAgainAsync();
        IReadOnlyList<SharedModel>? models = null;
        for (int attempt = 0; attempt < 50 && models is null; attempt++)
        {
            try { models = await store.ListModelsAsync(Ct); }
            catch (StoreUnavailableException) { await Task.Delay(200, Ct); }
        }
        Assert.Equal("v1", Assert.Single(models!).Version);
        Assert.Equal(bundle, await ReadAsync(store, "v1"));
        await using var again = await store.TryLeaseAsync("trainer", Ct);
        Assert.NotNull(again);
    }

    /// <summary>A stream that cannot seek and hands out its bytes in short, uneven reads.</summary>
    private sealed class TrickleStream(byte[] bytes) : Stream
    {
        private int _position;
        private int _reads;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(buffer.Length, 1000 + (_reads++ % 7) * 9000), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }
}
