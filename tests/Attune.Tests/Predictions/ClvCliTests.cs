using System.Text.Json;
using Attune.Tests.EndToEnd;

namespace Attune.Tests.Predictions;

/// <summary>`attune clv fit` as a user runs it: the JSON contract, and line-numbered errors for bad files.</summary>
public sealed class ClvCliTests
{
    [Fact]
    public async Task ClvFitWritesTheModelItsParametersTheLogLikelihoodAndConvergence()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        using var temp = TestPaths.NewTempDirectory();
        string json = Path.Combine(temp.Path, "bgnbd.json");
        var (code, output) = await AttuneProcess.RunAsync("clv", "fit", "--model", "bgnbd", "--file",
            Path.Combine(TestPaths.SharedDatasets!, "cdnow-transactions", "cdnow_customers_summary.csv"), "--json", json);
        Assert.True(code == 0, output);
        var result = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("bgnbd", result.GetProperty("model").GetString());
        Assert.Equal(["r", "alpha", "a", "b"], result.GetProperty("params").EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.243, result.GetProperty("params").GetProperty("r").GetDouble(), 2);
        Assert.Equal(-9582.43, result.GetProperty("logLikelihood").GetDouble(), 1);
        Assert.True(result.GetProperty("converged").GetBoolean());
    }

    [Fact]
    public async Task BadFilesGetLineNumberedErrorsAndCohortsGetOneFitEach()
    {
        using var temp = TestPaths.NewTempDirectory();
        string bad = Path.Combine(temp.Path, "bad.csv");
        File.WriteAllText(bad, "ID,frequency,recency,T\n1,2,30,38\n2,-1,0,38\n3,2,40,38\n4,x,1,2\n");
        var (code, output) = await AttuneProcess.RunAsync("clv", "fit", "--model", "bgnbd", "--file", bad);
        Assert.Equal(2, code);
        Assert.Contains("line 3: frequency, recency and T must not be negative", output);
        Assert.Contains("line 4: recency 40 is after T 38", output);
        Assert.Contains("line 5: frequency 'x' is not a number", output);

        string missing = Path.Combine(temp.Path, "missing.csv");
        File.WriteAllText(missing, "ID,x,t_x,T\n1,2,30,38\n");
        (code, output) = await AttuneProcess.RunAsync("clv", "fit", "--model", "gamma-gamma", "--file", missing);
        Assert.Equal(2, code);
        Assert.Contains("line 1: missing column zbar", output);

        string sbg = Path.Combine(temp.Path, "sbg.csv");
        var lines = new List<string> { "customer_id,recency,T,cohort" };
        int[] alive = [1000, 631, 468, 382, 326, 289, 262, 241];
        for (int t = 1; t < alive.Length; t++)
            for (int k = 0; k < alive[t - 1] - alive[t]; k++) lines.Add($"r{t}-{k},{t},8,regular");
        for (int k = 0; k < alive[^1]; k++) lines.Add($"ra{k},8,8,regular");
        for (int k = 0; k < 300; k++) lines.Add($"h{k},{(k % 3 == 0 ? 2 : 8)},8,high-end");
        File.WriteAllLines(sbg, lines);
        string json = Path.Combine(temp.Path, "sbg.json");
        (code, output) = await AttuneProcess.RunAsync("clv", "fit", "--model", "sbg", "--file", sbg, "--json", json);
        Assert.True(code == 0, output);
        var result = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(["regular", "high-end"], result.GetProperty("params").EnumerateObject().Select(p => p.Name));
        Assert.True(result.GetProperty("converged").GetBoolean());
        Assert.Equal(0.704, result.GetProperty("params").GetProperty("regular").GetProperty("alpha").GetDouble(), 2);
        Assert.True(result.GetProperty("params").GetProperty("high-end").TryGetProperty("beta", out _));
    }
}
