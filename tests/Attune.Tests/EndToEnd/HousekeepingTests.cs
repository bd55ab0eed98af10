namespace Attune.Tests.EndToEnd;

/// <summary>
/// Issue 11's holes a new user found, against the real <c>attune</c> process: the loopback-only rule for every way Kestrel gets
/// an address, <c>URLS</c> as documented, and one-line errors for paths that cannot be used.
/// </summary>
public sealed class HousekeepingTests
{
    public static TheoryData<string> PublicAddressSources => ["Kestrel__Endpoints__Http__Url", "URLS", "ASPNETCORE_URLS", "appsettings.json"];

    [Theory]
    [MemberData(nameof(PublicAddressSources))]
    public async Task WithoutKeysAPublicAddressFromAnySourceStopsTheStartWithOneLine(string source)
    {
        using var dir = TestPaths.NewTempDirectory();
        using var cwd = TestPaths.NewTempDirectory();
        string publicUrl = $"http://0.0.0.0:{AttuneProcess.FreePort()}";
        var environment = new Dictionary<string, string>();
        string[] args = ["serve", "--data", dir.Path];
        if (source == "appsettings.json")
        {
            // Read from the content root, the working directory; the command line asks for loopback, the file overrides it.
            await File.WriteAllTextAsync(Path.Combine(cwd.Path, "appsettings.json"),
                $$$$$"""{"Kestrel":{"Endpoints":{"Public":{"Url":"{{{{{publicUrl}}}}}"}}}}""", TestContext.Current.CancellationToken);
            args = [.. args, "--urls", $"http://127.0.0.1:{AttuneProcess.FreePort()}"];
        }
        else if (source.StartsWith("Kestrel", StringComparison.Ordinal))
        {
            environment[source] = publicUrl;
            args = [.. args, "--urls", $"http://127.0.0.1:{AttuneProcess.FreePort()}"];
        }
        else environment[source] = publicUrl;

        var (code, output) = await AttuneProcess.RunAsync(environment, cwd.Path, args);

        Assert.True(code == 2, output);
        string line = Assert.Single(output.Split('\n'), l => l.StartsWith("attune: ", StringComparison.Ordinal));
        Assert.Contains("refusing to serve http://0.0.0.0:", line);
        Assert.Contains("without API keys", line);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Attune is listening", output);
    }

    [Fact]
    public async Task WithAKeyAPublicKestrelEndpointServesAndAsksForTheKey()
    {
        using var dir = TestPaths.NewTempDirectory();
        int port = AttuneProcess.FreePort();
        const string key = "house-admin-0123456789";
        await using var attune = await AttuneProcess.ServeAtAsync(new Uri($"http://127.0.0.1:{port}"), dir.Path, new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Http__Url"] = $"http://0.0.0.0:{port}",
            ["ATTUNE__APIKEYS__0__KEY"] = key,
            ["ATTUNE__APIKEYS__0__SCOPES__0"] = "admin",
        });
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await attune.Client.GetAsync("/v1/items", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Contains($"Attune is listening on http://0.0.0.0:{port}", attune.Output);
    }

    [Fact]
    public async Task UrlsInTheEnvironmentSetsTheAddressWhenTheCommandLineDoesNot()
    {
        using var dir = TestPaths.NewTempDirectory();
        var url = new Uri($"http://127.0.0.1:{AttuneProcess.FreePort()}");
        await using var attune = await AttuneProcess.ServeAtAsync(url, dir.Path, new Dictionary<string, string> { ["URLS"] = url.ToString().TrimEnd('/') });
        Assert.True((await attune.Client.GetAsync("/health", TestContext.Current.CancellationToken)).IsSuccessStatusCode);
        Assert.Contains($"Attune is listening on {url.ToString().TrimEnd('/')}", attune.Output);
    }

    public static TheoryData<string> CommandsOnAFile => ["serve", "import", "demo", "stats"];

    [Theory]
    [MemberData(nameof(CommandsOnAFile))]
    public async Task ADataPathThatIsAFileIsOneLineAndExitCodeTwo(string command)
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "not-a-folder");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        string input = Path.Combine(dir.Path, "items.jsonl");
        await File.WriteAllTextAsync(input, """{"id":"a"}""" + "\n", TestContext.Current.CancellationToken);
        string[] args = command switch
        {
            "serve" => ["serve", "--data", file, "--urls", $"http://127.0.0.1:{AttuneProcess.FreePort()}"],
            "import" => ["import", "--data", file, "--kind", "items", "--format", "jsonl", input],
            "demo" => ["demo", "--data", file, "--users", "10", "--items", "20", "--days", "2"],
            _ => ["stats", "--data", file],
        };

        var (code, output) = await AttuneProcess.RunAsync(args);

        Assert.True(code is 1 or 2, output); // stats: 1 "no store" as before; the others 2
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Exception", output);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("attune: ", StringComparison.Ordinal));
        if (command != "stats") Assert.Contains("is a file", output);
    }

    [Fact]
    public async Task AnAddressInUseIsOneLineAndExitCodeTwo()
    {
        using var dir = TestPaths.NewTempDirectory();
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var (code, output) = await AttuneProcess.RunAsync("serve", "--data", dir.Path, "--urls", $"http://127.0.0.1:{port}");
        Assert.True(code == 2, output);
        Assert.DoesNotContain("   at ", output);
        Assert.Contains($"attune: Failed to bind to address http://127.0.0.1:{port}", output);
    }

    [Fact]
    public async Task ADataFolderHoldingSomethingElseThanAStoreIsOneLine()
    {
        using var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "attune.db"), new string('x', 4096), TestContext.Current.CancellationToken);
        var (code, output) = await AttuneProcess.RunAsync("serve", "--data", dir.Path, "--urls", $"http://127.0.0.1:{AttuneProcess.FreePort()}");
        Assert.True(code == 2, output);
        Assert.DoesNotContain("   at ", output);
        Assert.Contains($"attune: --data {dir.Path}", output);
    }
}
