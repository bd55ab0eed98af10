using Attune.Storage;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Storage;

public sealed class SqliteStoreTests : StoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();

    protected override Task<IAttuneStore> OpenFreshAsync() =>
        Task.FromResult<IAttuneStore>(SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path }));

    protected override async Task<IAttuneStore> ReopenAsync(IAttuneStore store)
    {
        await store.DisposeAsync();
        return SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path });
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ASchemaOneDatabaseIsMigratedAndKeepsItsRecommendationLog()
    {
        await Store.LogRecommendationsAsync([new RecommendationRecord("old", "alice", false, "for-you", "v1", DateTimeOffset.UnixEpoch, ["a"])],
            TestContext.Current.CancellationToken);
        await Store.DisposeAsync();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir.Path, "attune.db")};Pooling=false"))
        {
            // What the previous release wrote: no recipe, experiment or variant columns, no exposures table, schema 1.
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                ALTER TABLE recommendations DROP COLUMN recipe; ALTER TABLE recommendations DROP COLUMN experiment;
                ALTER TABLE recommendations DROP COLUMN variant; DROP TABLE exposures; UPDATE meta SET value = '1' WHERE key = 'schema';
                """;
            cmd.ExecuteNonQuery();
        }
        Store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path });
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal("alice", (await Store.GetRecommendationAsync("old", ct))!.PersonId);
        await Store.LogRecommendationsAsync([new RecommendationRecord("new", "bob", false, "for-you", "v1", DateTimeOffset.UnixEpoch, ["b"],
            "default", "exp", "control")], ct);
        Assert.Equal("exp", (await Store.GetRecommendationAsync("new", ct))!.Experiment);
        await Store.RecordExposuresAsync([new Exposure("exp", "bob", false, 1, "control", 1)], ct);
        Assert.Single(await Store.ReadExposuresAsync("exp", ct).ToListAsync(ct));
    }

    [Fact]
    public async Task OpeningANewerSchemaFailsWithAClearMessage()
    {
        await Store.DisposeAsync();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir.Path, "attune.db")};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE meta SET value = '99' WHERE key = 'schema'";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<InvalidOperationException>(() => SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path }));
        Assert.Contains("schema version 99", e.Message);
    }

    private Microsoft.Data.Sqlite.SqliteConnection OpenRaw()
    {
        var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir.Path, "attune.db")};Pooling=false");
        c.Open();
        return c;
    }

    private static void Exec(Microsoft.Data.Sqlite.SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task WaitingForChangesSeesACommitOfAnotherWriterByPolling()
    {
        var ct = TestContext.Current.CancellationToken;
        long last = await Store.GetLastChangeSeqAsync(ct);
        var wait = Store.WaitForChangesAsync(last, ct);
        await Task.Delay(50, ct);
        Assert.False(wait.IsCompleted);
        // Another process's writer, as far as this store can tell: nothing in this process signals the commit.
        using (var c = OpenRaw())
            Exec(c, "INSERT INTO changes(kind, id, other, from_seq, to_seq, at_ms) VALUES(7, 'r1', 'rules', 0, 0, 0)");
        await wait.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(0, Store.CommittedChangeSeq);
    }

    [Fact]
    public async Task ADatabaseFromBeforeTheFeedGetsItOnOpenAndKeepsItsEventSeqs()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.AppendEventsAsync([new Model.Event { Type = "view", UserId = "u1", ItemId = "a", Timestamp = DateTimeOffset.UnixEpoch.AddYears(50) }], ct);
        long lastEvent = await Store.GetLastEventSeqAsync(ct);
        await Store.DisposeAsync();
        using (var c = OpenRaw()) Exec(c, "DROP TABLE changes; DELETE FROM meta WHERE key = 'event_seq';"); // as an older Attune left it

        Store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path });
        Assert.Equal(0, await Store.GetLastChangeSeqAsync(ct));
        Assert.True(await Store.DeleteUserAsync("u1", ct)); // erases the newest event before any append: its seq must stay spent
        Store = await ReopenAsync(Store);
        await Store.AppendEventsAsync([new Model.Event { Type = "view", UserId = "u2", ItemId = "b", Timestamp = DateTimeOffset.UnixEpoch.AddYears(50) }], ct);
        Assert.True(await Store.GetLastEventSeqAsync(ct) > lastEvent);
        var changes = await ToListAsync(Store.ReadChangesAsync(0, ct));
        Assert.Equal([ChangeKind.UserDeleted, ChangeKind.Events], changes.Select(c => c.Kind));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var x in source) list.Add(x);
        return list;
    }
}
