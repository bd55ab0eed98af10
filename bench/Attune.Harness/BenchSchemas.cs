using Attune.Storage.Postgres;
using Npgsql;

namespace Attune.Harness;

/// <summary>
/// The fresh PostgreSQL schemas a run stores into (<c>ATTUNE__STORE__SCHEMA</c>, inherited by the processes the harness
/// starts), dropped when the run ends so that runs do not pile tables up in the benchmark's cluster (each 5M-event import
/// leaves ~1 GB, and a growing cluster's checkpoints weigh on later runs).
/// </summary>
internal static class BenchSchemas
{
    private static readonly List<(string Url, string Schema)> Created = [];

    /// <summary>A new schema name (prefix + 8 hex) made the store's schema for processes started from now on.</summary>
    public static string Fresh(string prefix, string url)
    {
        string schema = prefix + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable("ATTUNE__STORE__SCHEMA", schema);
        lock (Created) Created.Add((url, schema));
        return schema;
    }

    /// <summary>Drops every schema this run created (failures are reported, not thrown: the result already stands).</summary>
    public static async Task DropAllAsync()
    {
        Environment.SetEnvironmentVariable("ATTUNE__STORE__SCHEMA", null);
        foreach (var (url, schema) in Created)
        {
            try
            {
                await using var db = new NpgsqlConnection(PostgresConnection.ToConnectionString(url));
                await db.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", db);
                await drop.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or FormatException)
            {
                Console.Error.WriteLine($"could not drop the benchmark's schema {schema}: {e.Message}");
            }
        }
        Created.Clear();
    }
}
