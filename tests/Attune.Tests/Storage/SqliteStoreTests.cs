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
}
