using System.Diagnostics;

namespace Attune.Tests.Storage.Postgres;

/// <summary>
/// A throwaway PostgreSQL server from Debian's <c>postgresql</c> package: <c>initdb</c> into a temporary folder, <c>pg_ctl
/// start</c> on a free local port (trust authentication, loopback only), stopped and deleted at dispose. PostgreSQL refuses
/// to run as root: as root, the folder is given to the <c>postgres</c> user and the server runs as that user. Without the
/// package the tests that need it are skipped with <see cref="SkipReason"/> (<c>.ci/run</c> installs it).
/// </summary>
public sealed class TempPostgres : IAsyncDisposable
{
    public const string SkipReason = "no PostgreSQL: install Debian's postgresql package (.ci/run installs it when missing), or ATTUNE_TESTS_POSTGRES=off";

    private readonly string _bin, _data, _root;
    private readonly bool _asPostgresUser;

    private TempPostgres(string bin, string root, int port, bool asPostgresUser)
    {
        _bin = bin;
        _root = root;
        _data = Path.Combine(root, "data");
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    /// <summary>To the <c>postgres</c> database as the superuser.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Timeout=10";

    /// <summary>The newest installed server's programs (<c>/usr/lib/postgresql/N/bin</c>), or null.</summary>
    public static string? BinDirectory
    {
        get
        {
            if (!Directory.Exists("/usr/lib/postgresql")) return null;
            return Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0)
                .FirstOrDefault();
        }
    }

    /// <summary>Whether the tier can run: the package is installed (and, as root, <c>runuser</c> exists), and
    /// <c>ATTUNE_TESTS_POSTGRES</c> is not <c>off</c>.</summary>
    public static bool Available => Environment.GetEnvironmentVariable("ATTUNE_TESTS_POSTGRES") != "off"
        && BinDirectory is not null && (!IsRoot || File.Exists("/usr/sbin/runuser"));

    private static bool IsRoot => Environment.UserName == "root";

    /// <param name="port">The port to listen on (default: a free one).</param>
    /// <param name="durable">Commits synced to disk, as in production (default off: faster, and a test server's crash loses
    /// nothing worth keeping; a test that stops the server abruptly and counts what survived needs it on).</param>
    public static async Task<TempPostgres> StartAsync(CancellationToken ct = default, int? port = null, bool durable = false)
    {
        string bin = BinDirectory ?? throw new InvalidOperationException(SkipReason);
        string root = Path.Combine(Path.GetTempPath(), "attune-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var server = new TempPostgres(bin, root, port ?? Attune.Tests.EndToEnd.AttuneProcess.FreePort(), IsRoot);
        if (server._asPostgresUser) await RunAsync("chown", ["-R", "postgres:postgres", root], null, ct);
        await server.RunPgAsync("initdb", ["-D", server._data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], ct);
        // Loopback only, its socket in its own folder.
        string options = $"-p {server.Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c max_connections=200" +
            (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        server._startOptions = options;
        await server.RunPgAsync("pg_ctl", ["-D", server._data, "-o", options, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"], ct);
        return server;
    }

    private Task RunPgAsync(string program, string[] args, CancellationToken ct) =>
        _asPostgresUser
            ? RunAsync("/usr/sbin/runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. args], _root, ct)
            : RunAsync(Path.Combine(_bin, program), args, _root, ct);

    private static async Task RunAsync(string file, string[] args, string? directory, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null) info.WorkingDirectory = directory;
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}{await output}");
    }

    /// <summary>Stops the server at once (as a crash would), keeping its data.</summary>
    public Task StopAsync() => RunPgAsync("pg_ctl", ["-D", _data, "-m", "immediate", "-w", "stop"], CancellationToken.None);

    /// <summary>Starts it again on the same port and data.</summary>
    public Task StartAgainAsync() => RunPgAsync("pg_ctl", ["-D", _data, "-o", _startOptions, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "start"],
        CancellationToken.None);

    private string _startOptions = "";

    public async ValueTask DisposeAsync()
    {
        try { await RunPgAsync("pg_ctl", ["-D", _data, "-m", "immediate", "-w", "stop"], CancellationToken.None); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
