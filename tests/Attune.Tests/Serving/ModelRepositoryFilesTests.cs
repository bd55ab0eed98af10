using Attune.Serving.Models;

namespace Attune.Tests.Serving;

/// <summary>Bundles appear under their final name only complete; what a killed training leaves is removed at the next start.</summary>
public sealed class ModelRepositoryFilesTests : IDisposable
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private string Models => Path.Combine(_dir.Path, "models");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReservingAVersionLeavesNoFileUnderAFinalName()
    {
        var repository = new ModelRepository(_dir.Path, keep: 5);
        string v1 = repository.NextVersion();
        string v2 = repository.NextVersion();

        Assert.Equal(["v1", "v2"], [v1, v2]);
        Assert.Empty(Directory.EnumerateFiles(Models, "*.bundle"));
        Assert.Equal(["v1.bundle.tmp", "v2.bundle.tmp"], Directory.EnumerateFiles(Models).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(repository.Exists(v1));
    }

    [Fact]
    public void WriteCompleteShowsNothingUnderTheFinalNameUntilTheWriteIsDone()
    {
        Directory.CreateDirectory(Models);
        string path = Path.Combine(Models, "v7.bundle");
        ModelRepository.WriteComplete(path, stream =>
        {
            stream.Write(new byte[1000]);
            Assert.False(File.Exists(path)); // mid-write: only the temporary name exists
            Assert.True(File.Exists(ModelRepository.TempPath(path)));
        });
        Assert.Equal(1000, new FileInfo(path).Length);
        Assert.False(File.Exists(ModelRepository.TempPath(path)));
    }

    [Fact]
    public void AFailedWriteLeavesNeitherTheFinalNameNorTheTemporaryOne()
    {
        Directory.CreateDirectory(Models);
        string path = Path.Combine(Models, "v8.bundle");
        Assert.Throws<IOException>(() => ModelRepository.WriteComplete(path, stream =>
        {
            stream.Write(new byte[10]);
            throw new IOException("disk full");
        }));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(ModelRepository.TempPath(path)));
    }

    [Fact]
    public void OrphansOfAKilledTrainingAreRemovedAndTheirNumberIsNotSkipped()
    {
        Directory.CreateDirectory(Models);
        File.WriteAllBytes(Path.Combine(Models, "v1.bundle"), [1, 2, 3]); // a complete version (content does not matter here)
        File.WriteAllBytes(Path.Combine(Models, "v2.bundle.tmp"), new byte[50]); // killed mid-write
        File.WriteAllBytes(Path.Combine(Models, "v3.bundle"), []);  // an older Attune's empty reservation
        File.WriteAllText(Path.Combine(Models, "active.tmp"), "v1");
        var repository = new ModelRepository(_dir.Path, keep: 5);

        var removed = repository.RemoveOrphans();

        Assert.Equal(["active.tmp", "v2.bundle.tmp", "v3.bundle"], removed.Order(StringComparer.Ordinal));
        Assert.Equal(["v1.bundle"], Directory.EnumerateFiles(Models).Select(Path.GetFileName));
        Assert.Equal("v2", repository.NextVersion());
    }

    [Fact]
    public void AnEmptyBundleThatActiveNamesIsKeptSoItsLoadFailsLoudly()
    {
        Directory.CreateDirectory(Models);
        File.WriteAllBytes(Path.Combine(Models, "v4.bundle"), []);
        File.WriteAllText(Path.Combine(Models, "active"), "v4");
        var repository = new ModelRepository(_dir.Path, keep: 5);
        Assert.Empty(repository.RemoveOrphans());
        Assert.Equal("v4", repository.ActiveVersion);
    }
}
