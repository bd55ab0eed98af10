namespace Attune.Storage.Postgres;

/// <summary>Options of the PostgreSQL store (<c>ATTUNE__STORE__POSTGRES</c> holds the connection string).</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>An Npgsql connection string (<c>Host=db;Username=attune;Password=…;Database=attune</c>), or a
    /// <c>postgres://user:password@host:port/database</c> URL.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>The PostgreSQL schema Attune's tables live in: one per tenant (<c>attune</c> by default).</summary>
    public string Schema { get; init; } = "attune";

    /// <summary>How long opening keeps retrying an unreachable database before it gives up. <value>The default value is 2 minutes.</value></summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromMinutes(2);
}
