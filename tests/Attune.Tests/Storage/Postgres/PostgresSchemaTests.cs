using System.Text.Json;
using Attune.Model;
using Attune.Storage;
using Attune.Storage.Postgres;
using Npgsql;

namespace Attune.Tests.Storage.Postgres;

/// <summary>The PostgreSQL store's schema on a real server: created from empty, migrated once however many nodes start,
/// migrated from the previous version keeping its data, refused when a newer Attune wrote it, one schema per tenant; and
/// opening a database that is not up yet.</summary>
public sealed class PostgresSchemaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<string>> TablesAsync(NpgsqlDataSource source, string schema)
    {
        await using var cmd = source.CreateCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = @s ORDER BY 1");
        cmd.Parameters.AddWithValue("s", schema);
        var tables = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct)) tables.Add(r.GetString(0));
        return tables;
    }

    [Fact]
    public async Task AnEmptyDatabaseIsMigratedOnceEvenByNodesStartingTogether()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var server = await TempPostgres.StartAsync(Ct);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString);
        await using (var c = await source.OpenConnectionAsync(Ct)) Assert.Equal(0, await PostgresSchema.ReadVersionAsync(c, "attune", Ct));

        // Three nodes at once: one creates the tables, the others wait for its lock and find the work done.
        var found = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            await using var c = await source.OpenConnectionAsync(Ct);
            return await PostgresSchema.MigrateAsync(c, "attune", Ct);
        }));
        Assert.Equal([0, PostgresSchema.Version, PostgresSchema.Version], found.Order());
        await using (var c = await source.OpenConnectionAsync(Ct)) Assert.Equal(PostgresSchema.Version, await PostgresSchema.ReadVersionAsync(c, "attune", Ct));
        var tables = await TablesAsync(source, "attune");
        foreach (string t in (string[])["attune_meta", "items", "profiles", "events", "event_types", "documents", "recommendations", "exposures",
            "changes", "decisions", "decision_action_sets", "decision_rewards", "model_versions", "model_chunks"])
            Assert.Contains(t, tables);

        // The tables work as the store will use them: an event's recommendation id is found through its index.
        await using (var cmd = source.CreateCommand("""
            INSERT INTO attune.profiles(kind, id, canonical, updated_ms) VALUES (0, 'u1', 1, 0);
            INSERT INTO attune.events(seq, profile, type, ts, extra) VALUES (nextval('attune.event_seq'), 1, 1, 0, '{"recommendationId":"rec_1"}');
            """))
            await cmd.ExecuteNonQueryAsync(Ct);
        await using (var cmd = source.CreateCommand("""SELECT count(*) FROM attune.events WHERE strpos(extra, '"recommendationId":') > 0 AND (extra::jsonb) ->> 'recommendationId' = 'rec_1'"""))
            Assert.Equal(1L, await cmd.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task ASchemaFromANewerAttuneIsRefusedAndTenantsHaveTheirOwn()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var server = await TempPostgres.StartAsync(Ct);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString);
        await using var c = await source.OpenConnectionAsync(Ct);
        Assert.Equal(0, await PostgresSchema.MigrateAsync(c, "shop_a", Ct));
        Assert.Equal(0, await PostgresSchema.MigrateAsync(c, "shop_b", Ct));
        await using (var cmd = new NpgsqlCommand("INSERT INTO shop_a.items(id, doc, updated_ms) VALUES ('i1', '{}', 0)", c)) await cmd.ExecuteNonQueryAsync(Ct);
        await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM shop_b.items", c)) Assert.Equal(0L, await cmd.ExecuteScalarAsync(Ct));

        await using (var cmd = new NpgsqlCommand("UPDATE shop_a.attune_meta SET value = '99' WHERE key = 'schema'", c)) await cmd.ExecuteNonQueryAsync(Ct);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchema.MigrateAsync(c, "shop_a", Ct));
        Assert.Contains("schema version 99", refused.Message);
        Assert.Contains("Upgrade Attune", refused.Message);
        // Nothing was changed by the refusal; the other tenant is untouched.
        Assert.Equal(99, await PostgresSchema.ReadVersionAsync(c, "shop_a", Ct));
        Assert.Equal(PostgresSchema.Version, await PostgresSchema.MigrateAsync(c, "shop_b", Ct));

        Assert.Throws<ArgumentException>(() => { PostgresSchema.MigrateAsync(c, "Shop; DROP TABLE x", Ct).GetAwaiter().GetResult(); });
        Assert.False(PostgresSchema.IsValidName("pg_catalog"));
        Assert.False(PostgresSchema.IsValidName("1shop"));
        Assert.True(PostgresSchema.IsValidName("shop_2"));
    }

    [Fact]
    public async Task ASchemaOfTheFirstVersionIsMigratedByOpeningTheStoreKeepingItsDataAndGainingTheModelTables()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var server = await TempPostgres.StartAsync(Ct);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString);
        await using (var c = await source.OpenConnectionAsync(Ct))
        {
            Assert.Equal(0, await PostgresSchema.MigrateAsync(c, "shop", Ct, upTo: 1));
            Assert.Equal(1, await PostgresSchema.ReadVersionAsync(c, "shop", Ct));
        }
        Assert.DoesNotContain("model_versions", await TablesAsync(source, "shop"));
        // Data written by the previous version: an item and a document, as that version stored them.
        string item = JsonSerializer.Serialize(new Item { Id = "i1", Title = "Kept" }, AttuneJson.Options);
        await using (var cmd = source.CreateCommand("""
            INSERT INTO shop.items(id, doc, updated_ms) VALUES ('i1', @item, 0);
            INSERT INTO shop.documents(kind, id, json, updated_ms) VALUES ('rules', 'r1', '{"boost":2}', 0);
            """))
        {
            cmd.Parameters.AddWithValue("item", item);
            await cmd.ExecuteNonQueryAsync(Ct);
        }

        await using (var store = await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = server.ConnectionString, Schema = "shop" }, ct: Ct))
        {
            Assert.Equal("Kept", (await store.GetItemAsync("i1", Ct))!.Title);
            Assert.Equal("""{"boost":2}""", Assert.Single(await store.ListDocumentsAsync("rules", Ct)).Json);
            await store.PutModelAsync("v1", "{}", new MemoryStream([1, 2, 3]), Ct);
            Assert.Equal(3, Assert.Single(await store.ListModelsAsync(Ct)).Bytes);
        }
        await using (var c = await source.OpenConnectionAsync(Ct))
            Assert.Equal(PostgresSchema.Version, await PostgresSchema.ReadVersionAsync(c, "shop", Ct));
        Assert.Equal(3, PostgresSchema.Version);
        var tables = await TablesAsync(source, "shop");
        Assert.Contains("model_versions", tables);
        Assert.Contains("model_chunks", tables);
        Assert.Contains("idempotency_keys", tables);
    }

    [Fact]
    public async Task ASchemaOfThePreviousVersionIsMigratedByOpeningTheStoreKeepingItsModelsAndGainingIdempotencyKeys()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var server = await TempPostgres.StartAsync(Ct);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString);
        var options = new PostgresStoreOptions { ConnectionString = server.ConnectionString, Schema = "shop" };
        await using (var c = await source.OpenConnectionAsync(Ct))
            Assert.Equal(0, await PostgresSchema.MigrateAsync(c, "shop", Ct, upTo: PostgresSchema.Version - 1));
        Assert.DoesNotContain("idempotency_keys", await TablesAsync(source, "shop"));
        // What the previous version stored: a model version with its chunk, and events.
        await using (var cmd = source.CreateCommand("""
            INSERT INTO shop.model_versions(version, info, bytes, revision, updated_ms) VALUES ('v1', '{}', 3, 1, 0);
            INSERT INTO shop.model_chunks(version, revision, n, data) VALUES ('v1', 1, 0, '\x010203');
            """))
            await cmd.ExecuteNonQueryAsync(Ct);

        await using (var store = await PostgresStore.OpenAsync(options, ct: Ct))
        {
            var kept = new MemoryStream();
            Assert.True(await store.ReadModelAsync("v1", kept, Ct));
            Assert.Equal([1, 2, 3], kept.ToArray());
            Assert.Equal(IdempotentAppend.Stored, await store.AppendEventsAsync(
                [new Event { Type = "view", UserId = "u1", ItemId = "i1", Timestamp = DateTimeOffset.UnixEpoch }], "k1", [1], Ct));
        }
        await using (var c = await source.OpenConnectionAsync(Ct))
            Assert.Equal(PostgresSchema.Version, await PostgresSchema.ReadVersionAsync(c, "shop", Ct));
        Assert.Contains("idempotency_keys", await TablesAsync(source, "shop"));
    }

    [Fact]
    public async Task OpeningWaitsForADatabaseThatComesUpAndGivesUpClearlyOnOneThatDoesNot()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        int port = Attune.Tests.EndToEnd.AttuneProcess.FreePort();
        string connection = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=2";

        // Nothing listens: a short timeout gives up with a message naming where, after retrying.
        await using (var nowhere = NpgsqlDataSource.Create(connection))
        {
            int retries = 0;
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                PostgresConnection.OpenAsync(nowhere, TimeSpan.FromSeconds(1.2), (_, _) => retries++, ct: Ct));
            Assert.Contains($"127.0.0.1:{port}/postgres", e.Message);
            Assert.True(retries >= 1);
        }

        // The database comes up while a node waits for it: the node connects.
        await using var source = NpgsqlDataSource.Create(connection);
        var opening = PostgresConnection.OpenAsync(source, TimeSpan.FromSeconds(90), ct: Ct);
        await Task.Delay(700, Ct);
        Assert.False(opening.IsCompleted);
        await using var server = await TempPostgres.StartAsync(Ct, port);
        await using var opened = await opening;
        await using var cmd = new NpgsqlCommand("SELECT 1", opened);
        Assert.Equal(1, await cmd.ExecuteScalarAsync(Ct));
    }

    [Theory]
    [InlineData("postgres://attune:s%40cret@db.internal:6432/shop", "db.internal", 6432, "attune", "s@cret", "shop")]
    [InlineData("postgresql://db/attune", "db", 5432, null, null, "attune")]
    [InlineData("Host=db;Port=5433;Username=a;Password=b;Database=c", "db", 5433, "a", "b", "c")]
    public void AConnectionStringOrURLIsRead(string configured, string host, int port, string? user, string? password, string database)
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresConnection.ToConnectionString(configured));
        Assert.Equal((host, port, user, password, database), (b.Host, b.Port, b.Username, b.Password, b.Database));
    }

    [Theory]
    [InlineData("postgres://")]
    [InlineData("Hots=db")]
    [InlineData("postgres://db/x?nosuchsetting=1")]
    public void AMalformedOneSaysSo(string configured) =>
        Assert.Throws<FormatException>(() => PostgresConnection.ToConnectionString(configured));
}
