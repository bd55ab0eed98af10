using Npgsql;

namespace Attune.Tests.Storage.Postgres;

/// <summary>The PostgreSQL test tier itself: a throwaway server starts from Debian's package, takes connections and is gone
/// after dispose (the store tests of issue 16 build on it).</summary>
public sealed class TempPostgresTests
{
    [Fact]
    public async Task AThrowawayServerStartsAnswersAndIsRemoved()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        var ct = TestContext.Current.CancellationToken;
        string connection;
        await using (var server = await TempPostgres.StartAsync(ct))
        {
            connection = server.ConnectionString;
            await using var source = NpgsqlDataSource.Create(connection);
            await using (var cmd = source.CreateCommand("CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one')"))
                await cmd.ExecuteNonQueryAsync(ct);
            await using (var cmd = source.CreateCommand("SELECT v FROM t WHERE id = 1"))
                Assert.Equal("one", await cmd.ExecuteScalarAsync(ct));
            await using (var cmd = source.CreateCommand("SHOW server_version_num"))
                Assert.True(int.Parse((string)(await cmd.ExecuteScalarAsync(ct))!) >= 130000);
        }
        await using var gone = NpgsqlDataSource.Create(connection + ";Pooling=false");
        await Assert.ThrowsAnyAsync<Exception>(async () => await gone.OpenConnectionAsync(ct));
    }
}
