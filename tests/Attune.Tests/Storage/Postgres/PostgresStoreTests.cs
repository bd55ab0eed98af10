using Attune.Security;
using Attune.Storage;
using Attune.Storage.Postgres;

namespace Attune.Tests.Storage.Postgres;

/// <summary>The store contract on PostgreSQL: each test gets a fresh schema on one throwaway server per class.</summary>
public sealed class PostgresStoreTests(PostgresServerFixture server) : StoreContractTests, IClassFixture<PostgresServerFixture>
{
    private string? _schema;

    private PostgresStoreOptions Options => new() { ConnectionString = server.Server!.ConnectionString, Schema = _schema! };

    protected override async Task<IAttuneStore> OpenFreshAsync()
    {
        Assert.SkipUnless(server.Server is not null, TempPostgres.SkipReason);
        _schema = "t" + Guid.NewGuid().ToString("N")[..16];
        return await PostgresStore.OpenAsync(Options);
    }

    protected override async Task<IAttuneStore> ReopenAsync(IAttuneStore store)
    {
        await store.DisposeAsync();
        return await PostgresStore.OpenAsync(Options);
    }
}

/// <summary>The store contract on PostgreSQL with personal fields encrypted at rest (user records, documents).</summary>
public sealed class EncryptedPostgresStoreTests(PostgresServerFixture server) : StoreContractTests, IClassFixture<PostgresServerFixture>
{
    private static readonly FieldCipher Cipher = FieldCipher.FromOptions(new EncryptionOptions { Keys = { ["k1"] = FieldCipher.NewKey() } })!;
    private string? _schema;

    private PostgresStoreOptions Options => new() { ConnectionString = server.Server!.ConnectionString, Schema = _schema! };

    protected override async Task<IAttuneStore> OpenFreshAsync()
    {
        Assert.SkipUnless(server.Server is not null, TempPostgres.SkipReason);
        _schema = "e" + Guid.NewGuid().ToString("N")[..16];
        return await PostgresStore.OpenAsync(Options, cipher: Cipher);
    }

    protected override async Task<IAttuneStore> ReopenAsync(IAttuneStore store)
    {
        await store.DisposeAsync();
        return await PostgresStore.OpenAsync(Options, cipher: Cipher);
    }

    [Fact]
    public async Task UserRecordsAndDocumentsAreNotReadableInTheDatabase()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.UpsertUsersAsync([new Attune.Model.User { Id = "u1", Attributes = new Dictionary<string, string> { ["email"] = "ann@example.com" } }], ct);
        await Store.PutDocumentAsync("rules", "r1", """{"secret": "boost brand X"}""", ct);
        await using var source = Npgsql.NpgsqlDataSource.Create(server.Server!.ConnectionString);
        await using var cmd = source.CreateCommand($"SELECT string_agg(doc, '') FROM {_schema}.profiles UNION ALL SELECT string_agg(json, '') FROM {_schema}.documents");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            string stored = r.GetString(0);
            Assert.StartsWith(FieldCipher.Prefix, stored);
            Assert.DoesNotContain("ann@example.com", stored);
            Assert.DoesNotContain("brand X", stored);
        }
        Assert.Equal("ann@example.com", (await Store.GetUserAsync("u1", ct))!.Attributes["email"]);
        Assert.Equal("k1", Assert.Single((await Store.GetStatsAsync(ct)).EncryptedValues!, kv => kv.Value > 0).Key);
    }
}

/// <summary>One throwaway PostgreSQL server shared by a test class (null without Debian's package).</summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    public TempPostgres? Server { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (TempPostgres.Available) Server = await TempPostgres.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }
}
