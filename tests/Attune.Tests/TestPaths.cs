namespace Attune.Tests;

/// <summary>Where tests find the shared benchmark data and put their scratch files.</summary>
internal static class TestPaths
{
    /// <summary>The repository root (the folder holding <c>Attune.slnx</c>).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared/datasets</c> beside the repository, or null when absent (a user's clone has none).</summary>
    public static string? SharedDatasets
    {
        get
        {
            string p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets"));
            return Directory.Exists(p) ? p : null;
        }
    }

    /// <summary>A fresh empty folder for one test; removed when disposed.</summary>
    public static TempDirectory NewTempDirectory() => new();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Attune.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Attune.slnx not found above " + AppContext.BaseDirectory);
    }
}

internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "attune-test-" + Guid.NewGuid().ToString("N")[..12]);

    public TempDirectory() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
