using Attune.Demo;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Models;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Formats;

/// <summary>Model bundles written by earlier releases keep loading; empty, truncated, damaged or too new ones are refused clearly.</summary>
public sealed class BundleFormatTests
{
    private static ModelBundle LoadFixture(int formatVersion)
    {
        using var stream = File.OpenRead(BundleFixture.PathOf(formatVersion));
        return ModelBundle.Load(stream);
    }

    [Fact]
    public void AFormatOneBundleLoadsWithWhatWasTrained()
    {
        var bundle = LoadFixture(1);

        // What 948f6fc trained on the fixture shop (see Fixtures/README.md): frozen values, not recomputed.
        Assert.Equal("v1", bundle.Info.Version);
        Assert.Equal("startup", bundle.Info.Reason);
        Assert.Equal(350, bundle.Info.Events);
        Assert.Equal(504, bundle.Info.Watermark);
        Assert.Equal(155, bundle.Info.Interactions);
        Assert.Equal(new DateTimeOffset(2026, 10, 31, 20, 56, 59, 145, TimeSpan.Zero), bundle.Info.DataUntil);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => $"i{i:D5}"), bundle.ItemIds);
        Assert.Equal(44, bundle.Users); // 40 users and 4 anonymous visitors
        Assert.Equal(bundle.Info.Users, bundle.Users);
        Assert.Contains("u00001", bundle.UserIds);

        Assert.Equal(bundle.Users, bundle.Histories.Rows);
        Assert.True(bundle.Histories.Items.Length > 0);
        Assert.True(bundle.Purchases.Items.Length > 0);
        Assert.Equal(30, bundle.Popularity.Length);
        Assert.Contains(bundle.Popularity, p => p > 0);
        Assert.Equal((30, 44), (bundle.Als!.Items, bundle.Als.Users));
        Assert.Equal(30, bundle.ViewedTogether!.Items);
        Assert.Equal(30, bundle.BoughtTogether!.Items);
        Assert.Equal(30, bundle.Sequence!.Items);
        Assert.Equal(30, bundle.Content!.Items);
    }

    [Fact]
    public async Task AnEngineStartedOnAFormatOneBundleServesItWithoutRetraining()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        var fixture = LoadFixture(1);
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        await store.UpsertItemsAsync([.. fixture.ItemIds.Select(id => new Item { Id = id, Title = "item " + id })], ct);
        InstallAsActive(dir.Path, "v1", File.ReadAllBytes(BundleFixture.PathOf(1)));

        await using var engine = new ServingEngine(store, BundleFixture.QuietOptions(), dir.Path);
        await engine.StartAsync(ct);

        Assert.Equal("v1", engine.ActiveVersion);
        Assert.False(File.Exists(Path.Combine(dir.Path, "models", "v2.bundle")), "the engine retrained instead of loading the fixture");
        string user = fixture.UserIds[fixture.Histories.Start.Skip(1).Select((end, u) => (end, u)).First(r => r.end > fixture.Histories.Start[r.u]).u];
        var answer = engine.Recommend(new RecommendationRequest { UserId = user, Scenario = "for-you", Count = 5 });
        Assert.Equal("v1", answer.ModelVersion);
        Assert.True(answer.Personalized);
        Assert.Equal(5, answer.Items.Count);
        Assert.All(answer.Items, i => Assert.Contains(i.Id, fixture.ItemIds));
    }

    public static TheoryData<string> BadBundles => ["newer", "truncated", "empty", "damaged"];

    [Theory]
    [MemberData(nameof(BadBundles))]
    public void ABadBundleIsRefusedWithAClearMessage(string kind)
    {
        using var stream = new MemoryStream(BadBundle(kind));
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.Load(stream));
        Assert.Contains(kind switch
        {
            "newer" => "bundle format 99 is newer than this Attune reads (1)",
            "truncated" => "truncated",
            "empty" => "empty (0 bytes)",
            _ => "damaged",
        }, e.Message);
    }

    [Theory]
    [MemberData(nameof(BadBundles))]
    public async Task AnEngineWhoseActiveBundleIsBadTrainsAFreshVersion(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        await DemoLoader.LoadAsync(store, DemoShop.Generate(BundleFixture.Shop), ct: ct);
        InstallAsActive(dir.Path, "v1", BadBundle(kind));
        var log = new ListLogger();

        await using var engine = new ServingEngine(store, BundleFixture.QuietOptions(), dir.Path, log);
        await engine.StartAsync(ct);

        Assert.Equal("v2", engine.ActiveVersion);
        Assert.Equal("startup", engine.Versions.Single(v => v.Version == "v2").Reason);
        Assert.Contains(log.Lines, l => l.StartsWith("Warning: Model v1 could not be loaded; training a new one", StringComparison.Ordinal));
        Assert.NotEmpty(engine.Recommend(new RecommendationRequest { UserId = "u00001", Scenario = "for-you", Count = 5 }).Items);
    }

    /// <summary>A bundle no release can read: from a future format, cut short, empty, or with a garbage length inside.</summary>
    private static byte[] BadBundle(string kind)
    {
        byte[] good = File.ReadAllBytes(BundleFixture.PathOf(1));
        switch (kind)
        {
            case "newer":
                var newer = new MemoryStream();
                using (var w = new BinaryWriter(newer, System.Text.Encoding.UTF8, leaveOpen: true))
                {
                    w.Write("attune-bundle");
                    w.Write(99);
                    w.Write("{}");
                }
                return newer.ToArray();
            case "truncated":
                return good[..(good.Length * 2 / 3)];
            case "empty":
                return [];
            default:
                // The item id count (right after magic, version and info) claims two billion ids.
                byte[] damaged = (byte[])good.Clone();
                using (var r = new BinaryReader(new MemoryStream(good)))
                {
                    r.ReadString();
                    r.ReadInt32();
                    r.ReadString();
                    BitConverter.TryWriteBytes(damaged.AsSpan((int)r.BaseStream.Position, 4), 2_000_000_000);
                }
                return damaged;
        }
    }

    private static void InstallAsActive(string dataDirectory, string version, byte[] bundle)
    {
        string models = Path.Combine(dataDirectory, "models");
        Directory.CreateDirectory(models);
        File.WriteAllBytes(Path.Combine(models, version + ".bundle"), bundle);
        File.WriteAllText(Path.Combine(models, "active"), version);
    }

    /// <summary>
    /// Not a check but the tool that made the fixture: with <c>ATTUNE_WRITE_FIXTURES=1</c> it writes
    /// <c>Fixtures/bundle-v{FormatVersion}.bundle</c> with the code as it is. Run it once when the format version is bumped,
    /// before changing the writer any further, and commit the file; never overwrite a committed older version.
    /// </summary>
    [Fact]
    public async Task WriteFixtureOfTheCurrentFormat()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("ATTUNE_WRITE_FIXTURES") == "1", "set ATTUNE_WRITE_FIXTURES=1 to write a fixture");
        using var dir = TestPaths.NewTempDirectory();
        string written = await BundleFixture.TrainAsync(dir.Path, TestContext.Current.CancellationToken);
        string target = BundleFixture.PathOf(ModelBundle.FormatVersion);
        File.Copy(written, target, overwrite: true);
        await using var stream = File.OpenRead(target);
        Assert.Equal(BundleFixture.Shop.Items, ModelBundle.Load(stream).Items);
    }
}
