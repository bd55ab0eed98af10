using Attune.Demo;
using Attune.Serving;
using Attune.Serving.Models;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Formats;

/// <summary>
/// How the committed model bundles in <c>tests/Attune.Tests/Fixtures/</c> were made: a small demo shop, trained by a real
/// <see cref="ServingEngine"/> and saved by its <see cref="ModelRepository"/>, exactly as <c>attune serve</c> writes
/// <c>DIR/models/vN.bundle</c>. The committed bytes are what matter: a fixture is never rewritten, a new format version gets
/// a new file (see <see cref="BundleFormatTests.WriteFixtureOfTheCurrentFormat"/>).
/// </summary>
internal static class BundleFixture
{
    public static string Folder => Path.Combine(TestPaths.RepoRoot, "tests", "Attune.Tests", "Fixtures");

    public static string PathOf(int formatVersion) => Path.Combine(Folder, $"bundle-v{formatVersion}.bundle");

    /// <summary>The shop behind every fixture; a pure function of these values (see <see cref="DemoOptions"/>).</summary>
    public static readonly DemoOptions Shop = new()
    {
        Users = 40, Items = 30, Days = 7, Seed = 11, AnonymousVisitors = 4,
        End = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
    };

    /// <summary>Loads <see cref="Shop"/> into a store in <paramref name="dataDirectory"/> and trains version v1 there.</summary>
    /// <returns>The path of the bundle written, <c>DIR/models/v1.bundle</c>.</returns>
    public static async Task<string> TrainAsync(string dataDirectory, CancellationToken ct)
    {
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dataDirectory, FullSync = false });
        await DemoLoader.LoadAsync(store, DemoShop.Generate(Shop), ct: ct);
        await using var engine = new ServingEngine(store, QuietOptions(), dataDirectory);
        await engine.StartAsync(ct);
        Assert.Equal("v1", engine.ActiveVersion);
        return new ModelRepository(dataDirectory, keep: 5).BundlePath("v1");
    }

    /// <summary>Serving options that never retrain or log on their own, so a test sees only what it starts.</summary>
    public static ServingOptions QuietOptions() => new()
    {
        RetrainAfterEvents = 0, RetrainIntervalMinutes = 0, LogRecommendations = false, TrainingThreads = 1,
    };
}
