using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Attune.Client;

namespace Attune.Tests.EndToEnd;

/// <summary>The real <c>attune</c> executable, run as a child process the way a user runs it.</summary>
internal sealed class AttuneProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    /// <summary>The typed client (<c>src/Attune.Client</c>) over <see cref="Client"/>.</summary>
    public AttuneClient Api { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public int ProcessId => _process.Id;

    private AttuneProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Api = new AttuneClient(Client);
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The built <c>attune.dll</c> of the same configuration as the tests.</summary>
    public static string DllPath
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            string path = Path.Combine(TestPaths.RepoRoot, "src", "Attune", "bin", configuration, "net10.0", "attune.dll");
            Assert.True(File.Exists(path), $"{path} is missing: build the solution first");
            return path;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <c>attune serve</c> and waits until <c>/ready</c> answers.</summary>
    public static Task<AttuneProcess> ServeAsync(string dataDirectory, params string[] extraArgs) => ServeAsync(dataDirectory, null, extraArgs);

    /// <summary>Starts <c>attune serve</c> with settings in its environment (e.g. <c>ATTUNE__APIKEYS__0__KEY</c>).</summary>
    public static async Task<AttuneProcess> ServeAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] extraArgs)
    {
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}");
        return await WaitUntilReadyAsync(Start(["serve", "--data", dataDirectory, "--urls", url.ToString().TrimEnd('/'), .. extraArgs], environment), url);
    }

    /// <summary>Starts <c>attune serve</c> without waiting for anything (the caller watches it).</summary>
    public static AttuneProcess Serving(string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] extraArgs)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        return new AttuneProcess(Start(["serve", "--data", dataDirectory, "--urls", url.ToString().TrimEnd('/'), .. extraArgs], environment), url);
    }

    /// <summary>Whether the process has ended, and its exit code then.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Starts <c>attune serve</c> without <c>--urls</c> (the environment says where), and waits for <c>/ready</c> at <paramref name="url"/>.</summary>
    public static Task<AttuneProcess> ServeAtAsync(Uri url, string dataDirectory, IReadOnlyDictionary<string, string> environment) =>
        WaitUntilReadyAsync(Start(["serve", "--data", dataDirectory], environment), url);

    private static async Task<AttuneProcess> WaitUntilReadyAsync(Process process, Uri url)
    {
        var attune = new AttuneProcess(process, url);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"attune exited with {process.ExitCode}: {attune.Output}");
            try
            {
                var r = await attune.Client.GetAsync("/ready");
                if (r.IsSuccessStatusCode) return attune;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        await attune.DisposeAsync();
        throw new TimeoutException($"attune did not become ready: {attune.Output}");
    }

    /// <summary>Runs an <c>attune</c> command to completion and returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunAsync(null, null, args);

    /// <summary>Runs an <c>attune</c> command with settings in its environment, in <paramref name="workingDirectory"/> (where
    /// <c>appsettings.json</c> is read from) when given.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string>? environment,
        string? workingDirectory, params string[] args)
    {
        using var process = Start(args, environment, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static Process Start(string[] args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        // Nor addresses: URLS, ASPNETCORE_URLS or Kestrel endpoints from the shell would move the server.
        foreach (string key in info.Environment.Keys.Where(k => k is "URLS" or "ASPNETCORE_URLS" or "DOTNET_URLS"
            || k.StartsWith("Kestrel__", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.ArgumentList.Add(DllPath);
        foreach (string a in args) info.ArgumentList.Add(a);
        // The child must not inherit keys or settings from the developer's shell.
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("ATTUNE", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return Process.Start(info)!;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush, as in a crash or an OOM kill.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
