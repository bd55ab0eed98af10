using System.Diagnostics;
using System.Text.Json;
using Attune.Tests.EndToEnd;

namespace Attune.Tests.Experiments.Statistics;

/// <summary><c>attune stats analyze</c> and <c>attune stats srm</c> as a user runs them.</summary>
public sealed class StatsCliTests
{
    private static GbstatsInlineCases.Case Case(string id) => GbstatsInlineCases.All.Single(c => c.Id == id);

    [Fact]
    public async Task AnalyzePrintsGbstatsResultForAFile()
    {
        using var dir = TestPaths.NewTempDirectory();
        var c = Case("seq_two_sided_cuped_default_tuning");
        string file = Path.Combine(dir.Path, "request.json");
        await File.WriteAllTextAsync(file, c.Request);
        var (code, output) = await AttuneProcess.RunAsync("stats", "analyze", file);
        Assert.True(code == 0, output);
        ResultAssert.Matches(JsonDocument.Parse(c.Expected).RootElement, JsonDocument.Parse(output).RootElement, c.Id);
    }

    [Fact]
    public async Task AnalyzeReadsStandardInputForADash()
    {
        var c = Case("bayes_binomial_relative_flat_prior");
        var (code, output) = await RunWithInputAsync(c.Request, "stats", "analyze", "-", "--indent");
        Assert.True(code == 0, output);
        Assert.Contains("\n  \"chanceToWin\": ", output);
        ResultAssert.Matches(JsonDocument.Parse(c.Expected).RootElement, JsonDocument.Parse(output).RootElement, c.Id);
    }

    [Fact]
    public async Task AnalyzeOfBadInputExitsTwoNamingTheField()
    {
        var (code, output) = await RunWithInputAsync("""{"test":"TwoSidedTTest","control":{"type":"SampleMeanStatistic","n":5,"sum":1},"treatment":{}}""",
            "stats", "analyze", "-");
        Assert.Equal(2, code);
        Assert.Equal("attune: control.sum_squares: is required", output.Trim());

        (code, output) = await AttuneProcess.RunAsync("stats", "analyze", "/no/such/request.json");
        Assert.Equal(2, code);
        Assert.Contains("no such file", output);
    }

    [Fact]
    public async Task SrmPrintsThePValue()
    {
        var (code, output) = await AttuneProcess.RunAsync("stats", "srm", "--users", "1000,1100", "--weights", "0.5,0.5");
        Assert.True(code == 0, output);
        var line = System.Text.RegularExpressions.Regex.Match(output.Trim(), @"^p-value (\S+): no sample ratio mismatch \(flagged below 0\.001\)$");
        Assert.True(line.Success, output);
        ResultAssert.Close(0.029096331741252267, double.Parse(line.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), "srm");

        (code, output) = await AttuneProcess.RunAsync("stats", "srm", "--users", "1000,1250", "--json");
        Assert.True(code == 0, output);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1.3608022911357306e-07, json.GetProperty("pValue").GetDouble(), 1e-19);
        Assert.True(json.GetProperty("mismatch").GetBoolean());
    }

    [Theory]
    [InlineData("1000", "0.5,0.5")]
    [InlineData("1000,abc", "0.5,0.5")]
    [InlineData("1000,-5", "0.5,0.5")]
    [InlineData("1000,1100", "0.5")]
    [InlineData("1000,1100", "0,0")]
    public async Task SrmOfBadInputExitsTwo(string users, string weights)
    {
        var (code, output) = await AttuneProcess.RunAsync("stats", "srm", "--users", users, "--weights", weights);
        Assert.Equal(2, code);
        Assert.StartsWith("attune: --", output.Trim());
    }

    [Fact]
    public async Task StatsWithoutASubcommandStillReadsTheStore()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (code, output) = await AttuneProcess.RunAsync("stats", "--data", dir.Path);
        Assert.Equal(1, code);
        Assert.Contains("no store in", output);
    }

    /// <summary>Runs <c>attune</c> with <paramref name="input"/> on standard input.</summary>
    private static async Task<(int ExitCode, string Output)> RunWithInputAsync(string input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(AttuneProcess.DllPath);
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
