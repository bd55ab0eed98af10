using Attune.Serving.Models;

namespace Attune.Tests.Formats;

/// <summary>Model bundles written by earlier releases keep loading; damaged or too new ones are refused clearly.</summary>
public sealed class BundleFormatTests
{
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
