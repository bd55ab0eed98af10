using System.Diagnostics;

namespace Attune.Harness;

/// <summary>
/// `attune import --format tsv` of a file against the sqlite3 shell's `.import` of the same file into a table with a comparable
/// index, both on WAL with synchronous=FULL, measured in the same run. The ratio is the figure that matters on a noisy machine.
/// </summary>
internal static class ImportBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        string file = o.Get("file") ?? throw new ArgumentException("--file is required (make one with ../shared/tools/gen_synth.py)");
        long lines = File.ReadLines(file).LongCount();
        if (o.Get("postgres") is { } postgres) return await PostgresAsync(file, lines, postgres);
        string work = Path.Combine(Path.GetTempPath(), "attune-import-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            // sqlite3: same layout of data, an index on (user, ts) like Attune's events_by_profile.
            string db = Path.Combine(work, "sqlite3.db");
            string script = $"""
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=FULL;
                CREATE TABLE events(user TEXT, item TEXT, value REAL, ts INTEGER);
                CREATE INDEX events_by_user ON events(user, ts);
                .mode tabs
                .import '{file}' events
                """;
            var sqliteTime = await TimeAsync("sqlite3", [db], script);

            var attuneTime = await TimeAsync("dotnet", [ServerProcess.AttuneDll, "import", "--data", Path.Combine(work, "attune"),
                "--kind", "events", "--format", "tsv", file], null);

            Console.WriteLine($"import: {lines:N0} lines; attune {attuneTime.TotalSeconds:F2} s ({lines / attuneTime.TotalSeconds:N0} events/s); " +
                $"sqlite3 .import {sqliteTime.TotalSeconds:F2} s ({lines / sqliteTime.TotalSeconds:N0} rows/s); " +
                $"ratio attune/sqlite3 = {attuneTime.TotalSeconds / sqliteTime.TotalSeconds:F2}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>`attune import --store` into a fresh schema of the given PostgreSQL (binary COPY), whole process.</summary>
    private static async Task<int> PostgresAsync(string file, long lines, string postgres)
    {
        string schema = BenchSchemas.Fresh("import_", postgres);
        try
        {
            var time = await TimeAsync("dotnet", [ServerProcess.AttuneDll, "import", "--store", postgres, "--kind", "events", "--format", "tsv", file], null);
            Console.WriteLine($"import: {lines:N0} lines into PostgreSQL (schema {schema}); attune {time.TotalSeconds:F2} s ({lines / time.TotalSeconds:N0} events/s)");
            return 0;
        }
        finally
        {
            await BenchSchemas.DropAllAsync();
        }
    }

    private static async Task<TimeSpan> TimeAsync(string program, string[] args, string? stdin)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardInput = stdin is not null, RedirectStandardOutput = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} exited with {p.ExitCode}: {output}");
        Console.Error.WriteLine($"  {program}: {elapsed.TotalSeconds:F2} s {output.Trim().Split('\n').LastOrDefault()}");
        return elapsed;
    }
}
