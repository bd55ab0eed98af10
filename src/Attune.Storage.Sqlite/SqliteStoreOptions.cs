namespace Attune.Storage.Sqlite;

/// <summary>Options of the embedded SQLite store (configuration section <c>Attune:Storage</c>).</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Folder of the database file <c>attune.db</c>. Created when missing.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// Sync the write-ahead log to disk at every commit (<c>PRAGMA synchronous=FULL</c>): accepted data then survives a power cut,
    /// not only a process crash. Group commit keeps this cheap. <value>The default value is <see langword="true"/>.</value>
    /// </summary>
    public bool FullSync { get; set; } = true;

    /// <summary>Most write requests folded into one transaction by the group-commit writer. <value>The default value is 1024.</value></summary>
    public int MaxGroupSize { get; set; } = 1024;

    /// <summary>Page cache of each connection in MiB. <value>The default value is 64.</value></summary>
    public int CacheMiB { get; set; } = 64;

    /// <summary>
    /// What opens the store, as a second process that tries the same folder is told (see <see cref="DataFolderLock"/>), e.g.
    /// <c>attune serve</c>. <value>The default value is <c>attune</c>.</value>
    /// </summary>
    public string Owner { get; set; } = "attune";

    /// <summary>Where the owner listens (a server), so the refused process can be pointed at its HTTP API.</summary>
    public string? OwnerUrl { get; set; }

    /// <summary>
    /// Encryption at rest of personal fields (user records, documents): null = none, values are written in clear (plain values
    /// written before encryption was configured stay readable either way). See <c>Encryption at rest</c> in docs/configuration.md.
    /// </summary>
    public Attune.Security.FieldCipher? Cipher { get; set; }

    public string DatabasePath => Path.Combine(DataDirectory, "attune.db");
}
