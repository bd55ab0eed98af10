using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Attune.Harness;

/// <summary>`attune serve` as a child process on a free loopback port.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public Process Process { get; }
    public Uri BaseAddress { get; }
    public string DataDirectory { get; }
    private bool _owned = true;

    private ServerProcess(Process p, Uri address, string dir)
    {
        Process = p;
        BaseAddress = address;
        DataDirectory = dir;
    }

    public static string RepoRoot
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "Attune.slnx"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("run from inside the repository");
        }
    }

    public static string AttuneDll
    {
        get
        {
            string path = Path.Combine(RepoRoot, "src", "Attune", "bin", "Release", "net10.0", "attune.dll");
            if (!File.Exists(path)) throw new FileNotFoundException("build first: dotnet build -c Release", path);
            return path;
        }
    }

    /// <summary>
    /// <c>--postgres URL</c>: the server's store is that PostgreSQL, in a fresh schema (<see cref="BenchSchemas"/>, inherited
    /// by the child, dropped when the run ends); otherwise no arguments (the embedded store).
    /// </summary>
    public static string[] StoreArgs(HarnessOptions o)
    {
        if (o.Get("postgres") is not { } url) return [];
        string schema = BenchSchemas.Fresh("bench_", url);
        Console.WriteLine($"store: PostgreSQL, schema {schema}");
        return ["--store", url];
    }

    public static Task<ServerProcess> StartAsync(params string[] extra) =>
        StartInAsync(Path.Combine(Path.GetTempPath(), "attune-bench-" + Guid.NewGuid().ToString("N")[..8]), true, extra);

    /// <summary>Serves <paramref name="dir"/>; <paramref name="owned"/>: delete it when disposed.</summary>
    public static async Task<ServerProcess> StartInAsync(string dir, bool owned, params string[] extra)
    {
        Directory.CreateDirectory(dir);
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var address = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { AttuneDll, "serve", "--data", dir, "--urls", address.ToString().TrimEnd('/') }.Concat(extra))
            info.ArgumentList.Add(a);
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("  server: " + e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("  server: " + e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = address };
        for (int i = 0; i < 36_000; i++) // up to an hour: a large store trains its first model before it is ready
        {
            if (p.HasExited) throw new InvalidOperationException("server exited with " + p.ExitCode);
            try { if ((await http.GetAsync("/ready")).IsSuccessStatusCode) return new ServerProcess(p, address, dir) { _owned = owned }; }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("server did not become ready");
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        if (_owned) try { Directory.Delete(DataDirectory, true); } catch (IOException) { }
    }
}
