using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Attune.Storage.Postgres;

/// <summary>
/// Attune's tables in one PostgreSQL schema (one per tenant), versioned: <c>attune_meta</c> holds the version, and
/// <see cref="MigrateAsync"/> brings an empty schema or an older version up to <see cref="Version"/>, one step at a time, in
/// one transaction under an advisory lock (several nodes starting at once migrate once). A schema written by a newer Attune
/// is refused with a message saying so: this Attune would misread it.
/// </summary>
/// <remarks>
/// Sequences are allocated under a transaction-level advisory lock by the writers (the next steps of issue 16), so that
/// <c>events.seq</c> and <c>changes.seq</c> are committed in the order they are handed out: a node reading the change feed
/// after seq N never misses a lower seq that commits later.
/// </remarks>
public static partial class PostgresSchema
{
    /// <summary>The schema version this Attune writes and reads.</summary>
    public const int Version = 3;

    /// <summary>Step N brings version N − 1 to N (step 1 creates everything on an empty schema).</summary>
    internal static readonly string[] Steps =
    [
        """
        CREATE TABLE items(
            idx bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text NOT NULL UNIQUE,
            doc text,                              -- the item as JSON; NULL when known only from events, or deleted
            updated_ms bigint NOT NULL);
        CREATE TABLE profiles(
            idx bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind smallint NOT NULL,                -- 0 known user, 1 anonymous visitor
            id text NOT NULL,
            canonical bigint NOT NULL,             -- the profile that owns this one's events (itself, or the user it identified as)
            doc text,                              -- the user record as JSON (known users only), maybe encrypted
            updated_ms bigint NOT NULL,
            UNIQUE(kind, id));
        CREATE INDEX profiles_by_canonical ON profiles(canonical) WHERE kind = 1;
        CREATE TABLE event_types(code int PRIMARY KEY, name text NOT NULL UNIQUE);
        CREATE SEQUENCE event_seq;
        CREATE TABLE events(
            seq bigint PRIMARY KEY,                -- arrival order, from event_seq under the writers' lock
            profile bigint NOT NULL,               -- profiles.idx of the owner
            item bigint,                           -- items.idx
            type int NOT NULL,                     -- EventType code, or event_types.code for custom types
            ts bigint NOT NULL,                    -- event time, Unix milliseconds
            value double precision,
            extra text);                           -- JSON: sessionId, channel, context, recommendationId, query, userId, anonymousId
        CREATE INDEX events_by_profile ON events(profile, ts);
        CREATE INDEX events_by_recommendation ON events(((extra::jsonb) ->> 'recommendationId'))
            WHERE strpos(extra, '"recommendationId":') > 0;
        CREATE TABLE documents(
            kind text NOT NULL,
            id text NOT NULL,
            json text NOT NULL,
            updated_ms bigint NOT NULL,
            PRIMARY KEY(kind, id));
        CREATE TABLE recommendations(
            id text PRIMARY KEY,
            person text NOT NULL,
            anonymous boolean NOT NULL,
            scenario text NOT NULL,
            model text,
            ts bigint NOT NULL,
            items text NOT NULL,                   -- JSON array of item ids, in the order shown
            recipe text,
            experiment text,
            variant text,
            features text);
        CREATE INDEX recommendations_by_time ON recommendations(ts);
        CREATE TABLE exposures(
            experiment text NOT NULL,
            person text NOT NULL,
            anonymous boolean NOT NULL,
            phase int NOT NULL,
            variant text NOT NULL,
            ts bigint NOT NULL,
            PRIMARY KEY(experiment, person));
        CREATE INDEX exposures_by_person ON exposures(person);
        CREATE SEQUENCE change_seq;
        CREATE TABLE changes(
            seq bigint PRIMARY KEY,                -- from change_seq under the writers' lock: commit order
            kind int NOT NULL,                     -- ChangeKind code
            id text,
            other text,
            from_seq bigint NOT NULL,              -- Events: the batch is events.seq in (from_seq, to_seq]; otherwise 0
            to_seq bigint NOT NULL,
            at_ms bigint NOT NULL);
        CREATE TABLE decision_action_sets(
            key text PRIMARY KEY,
            actions text NOT NULL);
        CREATE TABLE decisions(
            event_id text PRIMARY KEY,
            point text NOT NULL,
            person text,
            anonymous boolean NOT NULL,
            ts bigint NOT NULL,
            context text NOT NULL,
            action_set text NOT NULL,
            slots text NOT NULL,
            slot_ids text NOT NULL,
            activated_ms bigint,
            wait_ms bigint NOT NULL,
            default_reward double precision NOT NULL,
            policy text,
            settled boolean NOT NULL DEFAULT false);
        CREATE INDEX decisions_by_point ON decisions(point, ts);
        CREATE INDEX decisions_by_person ON decisions(person) WHERE person IS NOT NULL;
        CREATE INDEX decisions_open ON decisions((activated_ms + wait_ms)) WHERE NOT settled AND activated_ms IS NOT NULL;
        CREATE TABLE decision_rewards(
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id text NOT NULL,
            slot text NOT NULL,
            value double precision NOT NULL,
            is_default boolean NOT NULL,
            ts bigint NOT NULL,
            detail text,
            UNIQUE(event_id, slot));
        """,
        // Model versions (ISharedStore): every node loads them from here. A bundle is kept as bytea chunks under a revision
        // rather than as a large object or one bytea value: large objects live database-wide in pg_largeobject (outside the
        // tenant's schema, so neither dropped nor backed up with it, and freed only by lo_unlink), and a single bytea value is
        // capped in size and held whole in memory on both ends. A put writes a new revision's chunks, points the version at
        // it and deletes the older revisions' chunks in one transaction: readers see the old bundle or the new one.
        """
        CREATE SEQUENCE model_revision_seq;
        CREATE TABLE model_versions(
            version text PRIMARY KEY,
            info text NOT NULL,                    -- ModelInfo as JSON
            bytes bigint NOT NULL,                 -- the bundle's length
            revision bigint NOT NULL,              -- from model_revision_seq: the chunks that are current
            updated_ms bigint NOT NULL);
        CREATE TABLE model_chunks(
            version text NOT NULL,
            revision bigint NOT NULL,
            n int NOT NULL,                        -- the chunk's place in the bundle, from 0
            data bytea NOT NULL,
            PRIMARY KEY(version, revision, n));
        """,
        // Idempotency keys of event batches (the Idempotency-Key header), stored with the batch, kept for Idempotency.Window.
        """
        CREATE TABLE idempotency_keys(
            key text PRIMARY KEY,
            body_hash bytea NOT NULL,              -- SHA-256 of the request body: a reused key with another body is refused
            at_ms bigint NOT NULL);
        CREATE INDEX idempotency_keys_by_time ON idempotency_keys(at_ms);
        """,
    ];

    /// <summary>Whether <paramref name="schema"/> can name a tenant's schema: lower-case letters, digits and underscores, not
    /// starting with a digit or <c>pg_</c>, at most 63 characters.</summary>
    public static bool IsValidName(string schema) => SchemaName().IsMatch(schema) && !schema.StartsWith("pg_", StringComparison.Ordinal);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    /// <summary>The version <paramref name="schema"/> holds (0: none of Attune's tables).</summary>
    public static async Task<int> ReadVersionAsync(NpgsqlConnection connection, string schema, CancellationToken ct = default)
    {
        Check(schema);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT to_regclass('{schema}.attune_meta') IS NOT NULL";
        if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true) return 0;
        cmd.CommandText = $"SELECT value FROM {schema}.attune_meta WHERE key = 'schema'";
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>
    /// Creates <paramref name="schema"/> or brings it to <see cref="Version"/> (steps after <paramref name="upTo"/> are left
    /// out: tests migrate from an older version). Returns the version found before.
    /// </summary>
    /// <exception cref="InvalidOperationException">The schema was written by a newer Attune.</exception>
    public static async Task<int> MigrateAsync(NpgsqlConnection connection, string schema, CancellationToken ct = default, int upTo = Version)
    {
        Check(schema);
        if (upTo is < 1 or > Version) throw new ArgumentOutOfRangeException(nameof(upTo));
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        // One migration at a time per schema, whichever node starts first; the others then find it done.
        cmd.CommandText = "SELECT pg_advisory_xact_lock(hashtext('attune-schema:' || @schema))";
        cmd.Parameters.AddWithValue("schema", schema);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        cmd.Parameters.Clear();
        cmd.CommandText = $"CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema};" +
            "CREATE TABLE IF NOT EXISTS attune_meta(key text PRIMARY KEY, value text NOT NULL);";
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        cmd.CommandText = "SELECT value FROM attune_meta WHERE key = 'schema'";
        int found = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : 0;
        if (found > Version)
            throw new InvalidOperationException(
                $"The PostgreSQL schema '{schema}' has Attune schema version {found}; this Attune reads up to {Version}. Upgrade Attune (or point it at another schema).");
        for (int step = found + 1; step <= upTo; step++)
        {
            cmd.CommandText = Steps[step - 1];
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        if (upTo > found)
        {
            cmd.CommandText = "INSERT INTO attune_meta(key, value) VALUES('schema', @v) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
            cmd.Parameters.AddWithValue("v", upTo.ToString(CultureInfo.InvariantCulture));
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return found;
    }

    private static void Check(string schema)
    {
        if (!IsValidName(schema))
            throw new ArgumentException($"'{schema}' cannot name a PostgreSQL schema for Attune: lower-case letters, digits and underscores, at most 63", nameof(schema));
    }
}
