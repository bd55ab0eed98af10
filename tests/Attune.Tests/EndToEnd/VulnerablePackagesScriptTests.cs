using System.Diagnostics;

namespace Attune.Tests.EndToEnd;

/// <summary><c>eng/vulnerable-packages.sh</c>, CI's check for NuGet packages with known vulnerabilities, on saved answers of
/// <c>dotnet list package --vulnerable --include-transitive --format json</c> (the live one needs the network).</summary>
public sealed class VulnerablePackagesScriptTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(string json)
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "answer.json");
        await File.WriteAllTextAsync(file, json, TestContext.Current.CancellationToken);
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "eng", "vulnerable-packages.sh"));
        info.Environment["ATTUNE_VULNERABLE_JSON"] = file;
        using var process = Process.Start(info)!;
        string output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)
            + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task AReportedVulnerablePackageFailsAndIsNamed()
    {
        var (code, output) = await RunAsync("""
            {"version": 1, "parameters": "--vulnerable --include-transitive", "sources": ["https://api.nuget.org/v3/index.json"],
             "projects": [{"path": "/src/App/App.csproj", "frameworks": [{"framework": "net10.0", "transitivePackages": [
               {"id": "Newtonsoft.Json", "resolvedVersion": "12.0.1",
                "vulnerabilities": [{"severity": "High", "advisoryurl": "https://github.com/advisories/GHSA-5crp-9r3c-p9vr"}]}]}]}]}
            """);
        Assert.Equal(1, code);
        Assert.Contains("vulnerable packages: found", output);
        Assert.Contains("Newtonsoft.Json", output);
        Assert.Contains("GHSA-5crp-9r3c-p9vr", output);
    }

    [Fact]
    public async Task SourcesThatCannotBeReadAreReportedButDoNotFail()
    {
        var (code, output) = await RunAsync("""
            {"version": 1, "parameters": "--vulnerable --include-transitive", "problems": [{"level": "error",
             "text": "Unable to load the service index for source https://api.nuget.org/v3/index.json."}], "projects": []}
            """);
        Assert.Equal(0, code);
        Assert.Contains("vulnerable packages: not checked", output);
        Assert.Contains("Unable to load the service index", output);
    }
}
