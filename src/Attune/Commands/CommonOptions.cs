using System.CommandLine;
using Attune.Storage.Sqlite;

namespace Attune.Cli.Commands;

internal static class CommonOptions
{
    /// <summary>Exit code when another process (a running <c>attune serve</c>, an import) owns the <c>--data</c> folder.</summary>
    public const int ExitFolderInUse = 3;

    public static Option<string> Data() => new("--data")
    {
        Description = "Folder of the embedded store",
        DefaultValueFactory = _ => "./data",
    };

    /// <summary>
    /// Opens the store of <c>--data</c> for <c>attune COMMAND</c>; when another process owns the folder, prints one line naming
    /// it and returns null (exit with <see cref="ExitFolderInUse"/>).
    /// </summary>
    public static SqliteStore? OpenStore(string directory, string command)
    {
        try
        {
            return SqliteStore.Open(new SqliteStoreOptions { DataDirectory = directory, Owner = "attune " + command });
        }
        catch (DataFolderInUseException e)
        {
            Console.Error.WriteLine($"attune: {e.Message}");
            return null;
        }
    }
}
