using System.Globalization;
using System.Text.Json;

namespace Attune.Storage.Sqlite;

/// <summary>
/// Makes one process the owner of a data folder. Two writers on one folder each intern ids in their own memory and collide
/// later (<c>UNIQUE constraint failed: profiles.idx</c>), so the second must stop at once, saying who owns the folder.
/// </summary>
/// <remarks>
/// The lock is <c>DIR/attune.lock</c> held open with <see cref="FileShare.None"/>, which .NET backs with an exclusive
/// <c>flock</c> on Linux and macOS and a sharing mode on Windows: the operating system drops it when the process ends, even
/// by <c>kill -9</c>, so a crash never leaves the folder locked. The lock file itself cannot be read by anyone else while it
/// is held (.NET asks for a shared <c>flock</c> to read), so the owner's description goes in <c>DIR/attune.owner</c>,
/// written after the lock is taken and removed before it is let go; a stale one left by a crash is only read while a live
/// process holds the lock, which rewrote it. The lock file is never deleted: deleting a file others may be about to lock
/// lets two processes each lock a different file of the same name.
/// </remarks>
public sealed class DataFolderLock : IDisposable
{
    public const string LockFileName = "attune.lock";
    public const string OwnerFileName = "attune.owner";

    private readonly FileStream _lock;
    private readonly string _ownerPath;

    private DataFolderLock(FileStream lockFile, string ownerPath, DataFolderOwner owner)
    {
        _lock = lockFile;
        _ownerPath = ownerPath;
        Owner = owner;
    }

    public DataFolderOwner Owner { get; }

    /// <summary>Takes the folder (creating it when missing) for <paramref name="owner"/>, or says who holds it.</summary>
    /// <exception cref="DataFolderInUseException">Another process, or another store in this one, owns the folder.</exception>
    public static DataFolderLock Acquire(string directory, DataFolderOwner owner)
    {
        Directory.CreateDirectory(directory);
        string lockPath = Path.Combine(directory, LockFileName);
        string ownerPath = Path.Combine(directory, OwnerFileName);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsSharingViolation(e))
        {
            throw new DataFolderInUseException(Path.GetFullPath(directory), ReadOwner(ownerPath), e);
        }
        try
        {
            string temp = ownerPath + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(owner, DataFolderOwner.Json));
            File.Move(temp, ownerPath, overwrite: true);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
        return new DataFolderLock(lockFile, ownerPath, owner);
    }

    public void Dispose()
    {
        try { File.Delete(_ownerPath); } catch (IOException) { /* the next owner rewrites it */ }
        _lock.Dispose();
    }

    /// <summary>The error .NET raises when the file is locked by someone else (EWOULDBLOCK on Unix, ERROR_SHARING_VIOLATION on Windows).</summary>
    private static bool IsSharingViolation(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult is 11 or 35; // EWOULDBLOCK on Linux, on macOS

    private static DataFolderOwner? ReadOwner(string ownerPath)
    {
        try
        {
            return JsonSerializer.Deserialize<DataFolderOwner>(File.ReadAllText(ownerPath), DataFolderOwner.Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // being written, or removed by an owner that is just stopping
        }
    }
}

/// <summary>Who holds a data folder, as other processes are told.</summary>
/// <param name="Command">What runs there, e.g. <c>attune serve</c>.</param>
/// <param name="Url">Where it listens, for a server.</param>
public sealed record DataFolderOwner(string Command, int ProcessId, string? Url, DateTimeOffset Since)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static DataFolderOwner ForThisProcess(string command, string? url, TimeProvider time) =>
        new(command, Environment.ProcessId, url, time.GetUtcNow());

    /// <summary>For example <c>attune serve (pid 1234, http://127.0.0.1:5080, since 2026-12-03T04:00:00Z)</c>.</summary>
    public override string ToString() =>
        $"{Command} (pid {ProcessId}{(Url is null ? "" : ", " + Url)}, since {Since.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)})";
}

/// <summary>The data folder belongs to another running process (or another open store): the message names it.</summary>
public sealed class DataFolderInUseException(string directory, DataFolderOwner? owner, Exception inner)
    : IOException(MessageFor(directory, owner), inner)
{
    public string Directory { get; } = directory;

    /// <summary>Null when the owner could not be read (it was just starting or stopping).</summary>
    public DataFolderOwner? Owner { get; } = owner;

    private static string MessageFor(string directory, DataFolderOwner? owner) => owner is null
        ? $"{directory} is in use by another process (it holds {Path.Combine(directory, DataFolderLock.LockFileName)}); stop it first"
        : $"{directory} is in use by {owner}; stop it first" + (owner.Url is null ? "" : ", or send the data through its HTTP API");
}
