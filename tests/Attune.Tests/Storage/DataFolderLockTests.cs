using Attune.Server.Hosting;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Storage;

/// <summary>One store owns a data folder: a second open fails at once naming the owner, and the folder is free once it is closed.</summary>
public sealed class DataFolderLockTests
{
    [Fact]
    public async Task ASecondStoreOnTheSameFolderIsRefusedUntilTheOwnerDisposes()
    {
        using var dir = TestPaths.NewTempDirectory();
        var owner = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, Owner = "attune serve", OwnerUrl = "http://127.0.0.1:5080" });

        var e = Assert.Throws<DataFolderInUseException>(() => SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, Owner = "attune import" }));
        Assert.StartsWith($"{Path.GetFullPath(dir.Path)} is in use by attune serve (pid {Environment.ProcessId}, http://127.0.0.1:5080, since ", e.Message);
        Assert.EndsWith("Z); stop it first, or send the data through its HTTP API", e.Message);
        Assert.Equal(Environment.ProcessId, e.Owner!.ProcessId);

        await owner.DisposeAsync();
        Assert.False(File.Exists(Path.Combine(dir.Path, DataFolderLock.OwnerFileName)));
        await using var next = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, Owner = "attune import" });
        Assert.True(next.IsReady);
    }

    [Fact]
    public async Task AStoreThatFailsToOpenLeavesTheFolderFree()
    {
        using var dir = TestPaths.NewTempDirectory();
        await (SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path })).DisposeAsync();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir.Path, "attune.db")};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE meta SET value = '99' WHERE key = 'schema'";
            cmd.ExecuteNonQuery();
        }

        // Twice: a lock leaked by the first failure would make the second one "in use" instead.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var e = Assert.Throws<InvalidOperationException>(() => SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path }));
            Assert.Contains("schema version 99", e.Message);
        }
    }

    [Fact]
    public async Task AServerOnAFolderAnotherStoreOwnsDoesNotStart()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using var owner = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, Owner = "attune import" });

        var e = Assert.Throws<AttuneStartException>(() => AttuneHost.Build([], "http://127.0.0.1:0", dir.Path));

        Assert.Contains($"is in use by attune import (pid {Environment.ProcessId}, since ", e.Message);
        Assert.EndsWith("; stop it first", e.Message);
    }
}
