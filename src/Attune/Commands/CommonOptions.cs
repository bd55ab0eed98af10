using System.CommandLine;
using Attune.Security;
using Attune.Storage.Sqlite;
using Microsoft.Extensions.Configuration;

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

    public static Option<string?> Store() => new("--store")
    {
        Description = "A postgres://user:password@host:port/database URL (or Npgsql connection string) to use PostgreSQL instead of " +
            "the embedded store in --data (default: ATTUNE__STORE__POSTGRES when set)",
    };

    /// <summary>
    /// The PostgreSQL store of <paramref name="postgres"/> (or <c>ATTUNE__STORE__POSTGRES</c>) when given, else the embedded one of
    /// <paramref name="directory"/> (<see cref="OpenStore"/>). Prints one line and returns null with the exit code when it
    /// cannot be opened.
    /// </summary>
    public static async Task<Attune.Storage.IAttuneStore?> OpenAnyStoreAsync(string directory, string? postgres, string command, Action<int> exitCode)
    {
        postgres ??= Environment.GetEnvironmentVariable("ATTUNE__STORE__POSTGRES");
        if (string.IsNullOrWhiteSpace(postgres))
        {
            var store = OpenStore(directory, command, out int code);
            exitCode(code);
            return store;
        }
        try
        {
            return await Attune.Storage.Postgres.PostgresStore.OpenAsync(new Attune.Storage.Postgres.PostgresStoreOptions
            {
                ConnectionString = postgres,
                Schema = Environment.GetEnvironmentVariable("ATTUNE__STORE__SCHEMA") is { Length: > 0 } schema ? schema : "attune",
            }, cipher: CipherFromEnvironment());
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or Npgsql.NpgsqlException)
        {
            Console.Error.WriteLine($"attune: --store: {e.Message}");
            exitCode(ExitBadPath);
            return null;
        }
    }

    /// <summary>Exit code of a <c>--data</c> folder or input file that cannot be used (a file, unreadable, not a store).</summary>
    public const int ExitBadPath = 2;

    /// <summary>
    /// Opens the store of <c>--data</c> for <c>attune COMMAND</c>. When another process owns the folder, or the path cannot hold
    /// a store (a file, no permission, a damaged database), prints one line saying so and returns null with the exit code.
    /// </summary>
    public static SqliteStore? OpenStore(string directory, string command, out int exitCode)
    {
        exitCode = ExitBadPath;
        if (DataFolderProblem(directory) is { } problem)
        {
            Console.Error.WriteLine($"attune: {problem}");
            return null;
        }
        try
        {
            return SqliteStore.Open(new SqliteStoreOptions { DataDirectory = directory, Owner = "attune " + command, Cipher = CipherFromEnvironment() });
        }
        catch (DataFolderInUseException e)
        {
            Console.Error.WriteLine($"attune: {e.Message}");
            exitCode = ExitFolderInUse;
            return null;
        }
        catch (Exception e) when (IsBadStore(e))
        {
            Console.Error.WriteLine($"attune: --data {directory}: {e.Message}");
            return null;
        }
    }

    /// <summary>Why <paramref name="directory"/> cannot be a data folder (a file; cannot be created), or null when it can.</summary>
    public static string? DataFolderProblem(string directory)
    {
        if (File.Exists(directory)) return $"--data {directory} is a file; give a folder (it is created when missing)";
        try
        {
            Directory.CreateDirectory(directory);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"--data {directory}: the folder cannot be created ({e.Message})";
        }
    }

    /// <summary>
    /// The encryption keys of the environment (<c>Attune__Encryption__Keys__k1</c>, <c>Attune__Encryption__ActiveKey</c>), as
    /// <c>attune serve</c> reads them; null when none. Throws <see cref="EncryptionKeyException"/> naming a bad setting.
    /// </summary>
    public static FieldCipher? CipherFromEnvironment() =>
        FieldCipher.FromOptions(new ConfigurationBuilder().AddEnvironmentVariables().Build()
            .GetSection(EncryptionOptions.Section).Get<EncryptionOptions>());

    /// <summary>What opening a store throws for a path or file it cannot use (not a bug: one line, no stack trace).</summary>
    public static bool IsBadStore(Exception e) =>
        e is IOException or UnauthorizedAccessException or System.Data.Common.DbException or InvalidOperationException;
}
