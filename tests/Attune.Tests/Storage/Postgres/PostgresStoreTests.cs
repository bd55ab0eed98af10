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
