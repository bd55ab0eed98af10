using System.Threading.Channels;
using Attune.Model;
using Microsoft.Data.Sqlite;

namespace Attune.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. All writes go through one writer task that folds concurrent
/// requests into a single transaction (group commit), so each fsync is shared by every request waiting on it;
/// reads use pooled connections that never block the writer.
/// </summary>
/// <remarks>
/// Ids are interned to dense integers (<c>items.idx</c>, <c>profiles.idx</c>); events store only integers plus an
/// optional JSON <c>extra</c> for session, channel, context and the like. The interning maps live in memory and are
/// touched only by the writer. See <c>docs/architecture.md</c> for the schema.
/// </remarks>
public sealed partial class SqliteStore : IAttuneStore
{
    /// <summary>
    /// Schema version written to <c>meta.schema</c>. History: 1 = first layout; still 1 after the additive <c>documents</c> and
    /// <c>recommendations</c> tables and the <c>events_by_recommendation</c> index, and the change feed (<c>changes</c>,
    /// <c>meta.event_seq</c>), which every open creates when missing (older Attunes ignore them).
    /// </summary>
    public const int SchemaVersion = 3;

    // profiles.kind on disk: frozen by PersistedEnumStabilityTests.TheStoreWritesTheFrozenCodes.
    private const int KindUser = 0;
    private const int KindAnonymous = 1;

    private readonly SqliteStoreOptions _options;
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writerLoop;
    private readonly TimeProvider _time;
    private readonly DataFolderLock _folderLock;
    private volatile bool _ready;

    // Writer-owned interning state.
    private readonly Dictionary<string, int> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _anonymous = new(StringComparer.Ordinal);
    /// <summary>Where each anonymous profile's events go: itself, or the user it was identified as.</summary>
    private readonly Dictionary<int, int> _canonical = new();
    private readonly Dictionary<string, int> _customTypes = new(StringComparer.Ordinal);
    private int _nextItem = 1, _nextProfile = 1, _nextCustomType = EventTypes.FirstCustomCode;

    private SqliteStore(SqliteStoreOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        // The store owns its folder: taken before the database is touched, released last (see DisposeAsync).
        _folderLock = DataFolderLock.Acquire(options.DataDirectory, DataFolderOwner.ForThisProcess(options.Owner, options.OwnerUrl, time));
        var builder = new SqliteConnectionStringBuilder { DataSource = options.DatabasePath, Pooling = true };
        _readConnectionString = builder.ToString();
        _writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = options.DatabasePath, Pooling = false }.ToString());
        try
        {
            _writer.Open();
            Exec(_writer, $"""
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous={(options.FullSync ? "FULL" : "NORMAL")};
                PRAGMA busy_timeout=10000;
                PRAGMA cache_size=-{options.CacheMiB * 1024};
                PRAGMA temp_store=MEMORY;
                PRAGMA secure_delete=ON;
                """);
            CreateSchema();
            CheckEncryptionKeys();
            LoadInterning();
        }
        catch
        {
            // A store that failed to open (a newer schema, a damaged file, a missing encryption key) must not keep the folder locked.
            _writer.Dispose();
            _folderLock.Dispose();
            throw;
        }
        _writerLoop = Task.Factory.StartNew(WriterLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _ready = true;
    }

    /// <summary>
    /// Opens (creating when needed) the store in <see cref="SqliteStoreOptions.DataDirectory"/>, which it owns until disposed:
    /// a second open of the same folder, in this process or another, fails at once.
    /// </summary>
    /// <exception cref="DataFolderInUseException">Another open store owns the folder; the message names its process.</exception>
    public static SqliteStore Open(SqliteStoreOptions options, TimeProvider? time = null) => new(options, time ?? TimeProvider.System);

    public bool IsReady => _ready;

    public string DatabasePath => _options.DatabasePath;

    private void CreateSchema()
    {
        Exec(_writer, """
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS items(
                idx INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                doc TEXT,                       -- the item as JSON; NULL when known only from events, or deleted
                updated_ms INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS profiles(
                idx INTEGER PRIMARY KEY,
                kind INTEGER NOT NULL,          -- 0 known user, 1 anonymous visitor
                id TEXT NOT NULL,
                canonical INTEGER NOT NULL,     -- the profile that owns this one's events (itself, or the user it identified as)
                doc TEXT,                       -- the user record as JSON (known users only)
                updated_ms INTEGER NOT NULL,
                UNIQUE(kind, id));
            CREATE INDEX IF NOT EXISTS profiles_by_canonical ON profiles(canonical) WHERE kind = 1;
            CREATE TABLE IF NOT EXISTS event_types(code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS events(
                seq INTEGER PRIMARY KEY,        -- arrival order
                profile INTEGER NOT NULL,       -- profiles.idx of the owner
                item INTEGER,                   -- items.idx
                type INTEGER NOT NULL,          -- EventType code, or event_types.code for custom types
                ts INTEGER NOT NULL,            -- event time, Unix milliseconds
                value REAL,
                extra TEXT);                    -- JSON: sessionId, channel, context, recommendationId, query, userId, anonymousId
            CREATE INDEX IF NOT EXISTS events_by_profile ON events(profile, ts);
            -- Attribution: only events whose extra names a recommendation get an entry. Queries repeat this exact WHERE
            -- (RecommendationPredicate) so SQLite can use the partial index; the key itself is matched by json_extract.
            CREATE INDEX IF NOT EXISTS events_by_recommendation ON events(json_extract(extra, '$.recommendationId'))
                WHERE instr(extra, '"recommendationId":') > 0;
            CREATE TABLE IF NOT EXISTS documents(
                kind TEXT NOT NULL,             -- e.g. business rules
                id TEXT NOT NULL,
                json TEXT NOT NULL,
                updated_ms INTEGER NOT NULL,
                PRIMARY KEY(kind, id));
            CREATE TABLE IF NOT EXISTS recommendations(
                id TEXT PRIMARY KEY,            -- the recommendation id that later events carry in extra
                person TEXT NOT NULL,           -- user id, or anonymous id when anonymous = 1
                anonymous INTEGER NOT NULL,
                scenario TEXT NOT NULL,
                model TEXT,
                ts INTEGER NOT NULL,            -- Unix milliseconds
                items TEXT NOT NULL,            -- JSON array of item ids, in the order shown
                recipe TEXT,                    -- schema 2: the recipe, experiment and variant it was served under
                experiment TEXT,
                variant TEXT,
                features TEXT);                 -- additive: {"names": [source…], "values": [[per item…]…]} (learned ranking)
            CREATE TABLE IF NOT EXISTS exposures( -- schema 2: first exposure of a person to an experiment (sticky assignment)
                experiment TEXT NOT NULL,
                person TEXT NOT NULL,           -- user id, or anonymous id when anonymous = 1
                anonymous INTEGER NOT NULL,
                phase INTEGER NOT NULL,
                variant TEXT NOT NULL,
                ts INTEGER NOT NULL,            -- Unix milliseconds
                PRIMARY KEY(experiment, person)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS exposures_by_person ON exposures(person);
            CREATE TABLE IF NOT EXISTS changes(  -- the change feed (SqliteStore.Changes.cs), kept whole for now
                seq INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
                kind INTEGER NOT NULL,          -- ChangeKind code
                id TEXT,
                other TEXT,
                from_seq INTEGER NOT NULL,      -- Events: the batch is events.seq in (from_seq, to_seq]; otherwise 0
                to_seq INTEGER NOT NULL,
                at_ms INTEGER NOT NULL);        -- store clock at commit, Unix milliseconds
            """);
        Exec(_writer, DecisionSchema);
        // Additive (older Attunes ignore it): idempotency keys of event batches, kept for Idempotency.Window.
        Exec(_writer, """
            CREATE TABLE IF NOT EXISTS idempotency_keys(key TEXT PRIMARY KEY, body_hash BLOB NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS idempotency_keys_by_time ON idempotency_keys(at_ms);
            """);
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', $v)";
        cmd.Parameters.AddWithValue("$v", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
        cmd.CommandText = "SELECT value FROM meta WHERE key = 'schema'";
        cmd.Parameters.Clear();
        int version = int.Parse((string)cmd.ExecuteScalar()!, System.Globalization.CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new InvalidOperationException($"{_options.DatabasePath} has schema version {version}; this Attune reads up to {SchemaVersion}. Upgrade Attune.");
        if (version < 2)
        {
            // Schema 1 → 2: the recommendation log names recipe, experiment and variant (the exposures table is created above).
            Exec(_writer, """
                ALTER TABLE recommendations ADD COLUMN recipe TEXT;
                ALTER TABLE recommendations ADD COLUMN experiment TEXT;
                ALTER TABLE recommendations ADD COLUMN variant TEXT;
                UPDATE meta SET value = '2' WHERE key = 'schema';
                """);
        }
        // Schema 2 → 3: the decision log's tables (created above); the change feed gains DecisionRewards, which an older Attune cannot read.
        if (version < 3) Exec(_writer, "UPDATE meta SET value = '3' WHERE key = 'schema'");
        // Additive (older Attunes ignore it): each logged answer's ranking features, what a learned ranker learns from.
        cmd.CommandText = "SELECT COUNT(*) FROM pragma_table_info('recommendations') WHERE name = 'features'";
        if (Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            Exec(_writer, "ALTER TABLE recommendations ADD COLUMN features TEXT");
    }

    private void LoadInterning()
    {
        _items.Clear(); _users.Clear(); _anonymous.Clear(); _canonical.Clear(); _customTypes.Clear();
        _nextItem = 1; _nextProfile = 1; _nextCustomType = EventTypes.FirstCustomCode;
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "SELECT idx, id FROM items";
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                int idx = r.GetInt32(0);
                _items[r.GetString(1)] = idx;
                _nextItem = Math.Max(_nextItem, idx + 1);
            }
        }
        cmd.CommandText = "SELECT idx, kind, id, canonical FROM profiles";
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                int idx = r.GetInt32(0);
                if (r.GetInt32(1) == KindUser) _users[r.GetString(2)] = idx;
                else
                {
                    _anonymous[r.GetString(2)] = idx;
                    _canonical[idx] = r.GetInt32(3);
                }
                _nextProfile = Math.Max(_nextProfile, idx + 1);
            }
        }
        cmd.CommandText = "SELECT code, name FROM event_types";
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                int code = r.GetInt32(0);
                _customTypes[r.GetString(1)] = code;
                _nextCustomType = Math.Max(_nextCustomType, code + 1);
            }
        }
        LoadEventSeq();
    }

    private SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        return c;
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public async ValueTask DisposeAsync()
    {
        if (!_ready) return;
        _ready = false;
        _queue.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        try { Exec(_writer, "PRAGMA wal_checkpoint(PASSIVE);"); } catch (SqliteException) { /* a reader may hold the WAL; it is checkpointed next time */ }
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
        _folderLock.Dispose();
    }
}
