using System.Text.Json;

namespace Attune.Tests.EndToEnd;

/// <summary>The `attune` verbs as a user runs them.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task OpeEstimatesAPolicysValueFromTheOpenBanditLogsAndNamesABadOption()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "shared datasets (../shared/datasets) not present");
        string dir = Path.Combine(TestPaths.SharedDatasets!, "bandits-obd-men");
        using var temp = TestPaths.NewTempDirectory();
        string json = Path.Combine(temp.Path, "ope.json");
        var (code, output) = await AttuneProcess.RunAsync("ope", "--log", Path.Combine(dir, "random_men.csv"), "--format", "obd",
            "--policy", Path.Combine(dir, "action_dist_bts_men.csv"), "--reward-model", "ctr-table",
            "--estimators", "ipw,snipw,dm,dr,sndr,switch-dr,dr-os", "--lambda", "100", "--json", json);
        Assert.True(code == 0, output);
        Assert.Contains("effective sample size", output);
        var values = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(["ipw", "snipw", "dm", "dr", "sndr", "switch-dr", "dr-os"], values.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.00453356, values.GetProperty("ipw").GetDouble(), 10);

        (code, output) = await AttuneProcess.RunAsync("ope", "--log", Path.Combine(dir, "random_men.csv"),
            "--policy", Path.Combine(dir, "action_dist_bts_men.csv"), "--estimators", "ipw,magic");
        Assert.Equal(2, code);
        Assert.Contains("--estimators: unknown 'magic'", output);
    }

    [Fact]
    public async Task ServeRefusesAPublicAddressWithoutKeys()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (code, output) = await AttuneProcess.RunAsync("serve", "--data", dir.Path, "--urls", $"http://0.0.0.0:{AttuneProcess.FreePort()}");
        Assert.Equal(2, code);
        Assert.Contains("without API keys", output);
    }

    [Fact]
    public async Task DemoThenStatsShowsTheGeneratedShop()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (code, output) = await AttuneProcess.RunAsync("demo", "--data", dir.Path, "--users", "300", "--items", "200", "--days", "14");
        Assert.True(code == 0, output);
        Assert.Contains("Demo shop loaded", output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "demo-truth.json")));

        (code, output) = await AttuneProcess.RunAsync("stats", "--data", dir.Path);
        Assert.True(code == 0, output);
        Assert.Contains("purchase", output);

        // Loading the demo again into a store that has data is refused.
        (code, _) = await AttuneProcess.RunAsync("demo", "--data", dir.Path, "--users", "10", "--items", "20", "--days", "2");
        Assert.Equal(1, code);
    }

    [Fact]
    public async Task ServeDemoAnswersWithTheDemoShop()
    {
        using var dir = TestPaths.NewTempDirectory();
        // A small demo through the same code path as `serve --demo`, then serve it.
        var (code, output) = await AttuneProcess.RunAsync("demo", "--data", dir.Path, "--users", "200", "--items", "100", "--days", "10");
        Assert.True(code == 0, output);
        await using var server = await AttuneProcess.ServeAsync(dir.Path, "--demo");
        var stats = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/stats")).RootElement;
        Assert.Equal(100, stats.GetProperty("items").GetInt64());
        Assert.True(stats.GetProperty("events").GetInt64() > 1000);
        var items = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/items?limit=5")).RootElement;
        Assert.Equal(5, items.GetProperty("data").GetArrayLength());
        string home = await server.Client.GetStringAsync("/");
        Assert.Contains("Attune", home);
        Assert.Contains("not loaded again", server.Output);
    }

    [Fact]
    public async Task ExperimentResultsComeFromTheServerServingTheFolder()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (code, output) = await AttuneProcess.RunAsync("demo", "--data", dir.Path, "--users", "200", "--items", "100", "--days", "10");
        Assert.True(code == 0, output);
        (code, output) = await AttuneProcess.RunAsync("experiments", "results", "x", "--data", dir.Path);
        Assert.Equal(1, code);
        Assert.Contains("no server is serving", output);

        await using var server = await AttuneProcess.ServeAsync(dir.Path, "--demo");
        static StringContent Json(string s) => new(s, System.Text.Encoding.UTF8, "application/json");
        Assert.True((await server.Client.PostAsync("/v1/experiments", Json("""
            {"id": "cli", "variants": [{"key": "control", "recipe": "non-personal"}, {"key": "treatment", "recipe": "default"}],
             "metrics": {"primary": "conversion"}}
            """))).IsSuccessStatusCode);
        Assert.True((await server.Client.PostAsync("/v1/experiments/cli/start", null)).IsSuccessStatusCode);
        for (int u = 1; u <= 30; u++) await server.Client.GetStringAsync($"/v1/recommendations?userId=u{u:D5}&scenario=for-you");

        // The folder's owner file names the server: no --url needed.
        (code, output) = await AttuneProcess.RunAsync("experiments", "results", "cli", "--data", dir.Path, "--json");
        Assert.True(code == 0, output);
        var phase = JsonDocument.Parse(output).RootElement.GetProperty("phases")[0];
        Assert.Equal(30, phase.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("people").GetInt64()));
        (code, output) = await AttuneProcess.RunAsync("experiments", "results", "cli", "--data", dir.Path);
        Assert.True(code == 0, output);
        Assert.Contains("keep running", output);
        Assert.Contains("conversion", output);
        (code, output) = await AttuneProcess.RunAsync("experiments", "results", "nothing", "--url", server.BaseAddress.ToString());
        Assert.Equal(1, code);
        Assert.Contains("404", output);
    }

    [Fact]
    public async Task ImportTsvStoresGoodLinesAndReportsBadOnes()
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "ratings.tsv");
        await File.WriteAllLinesAsync(file, ["1\t10\t5\t1700000000", "1\t11\t3\t1700000001", "2\t10\tnot-a-number\t1700000002", "2\t12\t4\t1700000003"]);
        var (code, output) = await AttuneProcess.RunAsync("import", "--data", Path.Combine(dir.Path, "db"), "--kind", "events", "--format", "tsv", file);
        Assert.True(code == 4, output); // finished, some lines rejected
        Assert.Contains("Imported 3 events", output);
        Assert.Contains("line 3", output);
    }

    [Fact]
    public async Task ImportOfALatin1FileStopsWithTheLineUnlessTheEncodingIsGiven()
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "latin1.tsv");
        await File.WriteAllBytesAsync(file, [.. "1\t10\n2\t11\n"u8, (byte)'u', 0xE9, (byte)'\t', (byte)'1', (byte)'2', (byte)'\n']);
        string data = Path.Combine(dir.Path, "db");
        var (code, output) = await AttuneProcess.RunAsync("import", "--data", data, "--kind", "events", "--format", "tsv", file);
        Assert.True(code == 2, output);
        Assert.Contains("line 3 is not valid UTF-8, so nothing was imported", output);
        (code, output) = await AttuneProcess.RunAsync("import", "--data", data, "--kind", "events", "--format", "tsv", "--encoding", "latin1", file);
        Assert.True(code == 0, output);
        Assert.Contains("Imported 3 events", output);
        (code, output) = await AttuneProcess.RunAsync("import", "--data", data, "--kind", "events", "--format", "tsv", "--encoding", "klingon", file);
        Assert.True(code == 2, output);
    }

    [Fact]
    public async Task ASecondProcessOnAServedFolderStopsAtOnceNamingTheServer()
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "ratings.tsv");
        await File.WriteAllLinesAsync(file, ["1\t10\t5\t1700000000"]);
        string data = Path.Combine(dir.Path, "db");
        await using var server = await AttuneProcess.ServeAsync(data);
        string owner = $"{Path.GetFullPath(data)} is in use by attune serve (pid {server.ProcessId}, {server.BaseAddress.ToString().TrimEnd('/')}, since ";

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, output) = await AttuneProcess.RunAsync("import", "--data", data, "--kind", "events", "--format", "tsv", file);
        Assert.True(code == 3, output);
        Assert.Contains(owner, output);
        Assert.Contains("stop it first, or send the data through its HTTP API", output);

        (code, output) = await AttuneProcess.RunAsync("serve", "--data", data, "--urls", $"http://127.0.0.1:{AttuneProcess.FreePort()}");
        Assert.True(code == 3, output);
        Assert.Contains(owner, output);

        (code, output) = await AttuneProcess.RunAsync("stats", "--data", data);
        Assert.True(code == 3, output);
        Assert.Contains($"read its statistics at {server.BaseAddress.ToString().TrimEnd('/')}/v1/stats", output);
        // Each refusal is a start-up check, not a timeout (a process start alone takes about a second here).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"three refusals took {clock.Elapsed}");
        Assert.True((await server.Client.GetAsync("/ready")).IsSuccessStatusCode);

        // The operating system drops the lock with the process, even on kill -9: the folder is free again.
        server.KillHard();
        (code, output) = await AttuneProcess.RunAsync("import", "--data", data, "--kind", "events", "--format", "tsv", file);
        Assert.True(code == 0, output);
        Assert.Contains("Imported 1 events", output);
    }

    [Fact]
    public async Task ImportOfMovieLensLoadsAllHundredThousandRatings()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(TestPaths.SharedDatasets!, "movielens-100k", "u.data");
        var (code, output) = await AttuneProcess.RunAsync("import", "--data", dir.Path, "--kind", "events", "--format", "tsv",
            "--time-offset-days", "8400", file);
        Assert.True(code == 0, output);
        Assert.Contains("Imported 100,000 events", output);
        (code, output) = await AttuneProcess.RunAsync("stats", "--data", dir.Path);
        Assert.Contains("943", output);
    }
}
