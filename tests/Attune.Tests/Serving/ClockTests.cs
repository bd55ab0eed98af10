using System.Text.RegularExpressions;
using Attune.Demo;
using Attune.Serving;
using Attune.Storage.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Attune.Tests.Serving;

/// <summary>Time comes from one <see cref="TimeProvider"/>: tests move it instead of waiting.</summary>
public sealed partial class ClockTests
{
    [Fact]
    public async Task TheRetrainingScheduleFollowsTheEnginesClock()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 200, Items = 100, Days = 10, Seed = 4, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = new ServingEngine(store,
            new ServingOptions { RetrainIntervalMinutes = 60, RetrainAfterEvents = 0, LogRecommendations = false }, dir.Path, time: clock);
        await engine.StartAsync(ct);
        Assert.Equal("v1", engine.ActiveVersion);

        // Half an hour of engine time: not due.
        for (int s = 0; s < 10; s++) { clock.Advance(TimeSpan.FromMinutes(3)); await Task.Delay(20, ct); }
        Assert.Equal("v1", engine.ActiveVersion);

        // Past the hour: the next check (every five ticks of the engine's one-second timer) trains.
        clock.Advance(TimeSpan.FromMinutes(31));
        for (int k = 0; k < 400 && engine.ActiveVersion == "v1"; k++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(25, ct);
        }
        Assert.Equal("v2", engine.ActiveVersion);
        var info = engine.Versions.First(v => v.Version == "v2");
        Assert.Equal("schedule", info.Reason);
    }

    [Fact]
    public void NoSourceFileReadsTheSystemClockDirectly()
    {
        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                if (DirectClock().IsMatch(lines[i])) offenders.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}:{i + 1}: {lines[i].Trim()}");
        }
        Assert.True(offenders.Count == 0, "read time through a TimeProvider instead:\n" + string.Join("\n", offenders));
    }

    [GeneratedRegex(@"\bDateTime(Offset)?\.(UtcNow|Now|Today)\b")]
    private static partial Regex DirectClock();
}
