using System.Globalization;
using System.Text.Json;

namespace Attune.Serving.Models;

/// <summary>
/// Model versions on disk: <c>DIR/models/vN.bundle</c>, their <c>vN.json</c> info, and <c>active</c> naming the version to load
/// at start. Keeps the newest <see cref="ServingOptions.KeepVersions"/> and always the active one.
/// </summary>
/// <remarks>
/// A bundle appears under its final name only complete: a training reserves its version as <c>vN.bundle.tmp</c>, writes the
/// bundle there, fsyncs and renames it (<see cref="WriteComplete"/>). A kill during training leaves only the <c>.tmp</c>, which
/// <see cref="RemoveOrphans"/> deletes at the next start, with the empty <c>vN.bundle</c> reservations of older Attunes.
/// </remarks>
public sealed class ModelRepository(string dataDirectory, int keep)
{
    private readonly string _dir = Path.Combine(dataDirectory, "models");
    private readonly Lock _gate = new();

    public string NextVersion()
    {
        lock (_gate)
        {
            Directory.CreateDirectory(_dir);
            int max = 0;
            foreach (string file in Directory.EnumerateFiles(_dir, "v*.bundle*"))
            {
                string name = Path.GetFileName(file);
                int end = name.IndexOf(".bundle", StringComparison.Ordinal);
                if (int.TryParse(name.AsSpan(1, end - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) max = Math.Max(max, n);
            }
            // Reserve the number under the temporary name, so two trainings never pick the same one and no empty bundle is ever
            // visible under a final name.
            string version = $"v{max + 1}";
            File.WriteAllBytes(TempPath(BundlePath(version)), []);
            return version;
        }
    }

    /// <summary>
    /// Reserves the next version number above every one on disk and above <paramref name="above"/> (the highest stored in a
    /// shared store, whose versions this folder may not all hold yet).
    /// </summary>
    public string NextVersion(int above)
    {
        lock (_gate)
        {
            string version = NextVersion();
            if (int.Parse(version.AsSpan(1), CultureInfo.InvariantCulture) > above) return version;
            File.Delete(TempPath(BundlePath(version)));
            version = $"v{above + 1}";
            File.WriteAllBytes(TempPath(BundlePath(version)), []);
            return version;
        }
    }

    /// <summary>The number of a version's name (<c>v12</c> → 12).</summary>
    public static int NumberOf(string version) => int.Parse(version.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture);

    public string BundlePath(string version) => Path.Combine(_dir, version + ".bundle");

    /// <summary>Opens a stored version's bundle for reading (to copy it into a shared store).</summary>
    public FileStream OpenRead(string version) =>
        new(BundlePath(version), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>
    /// Stores a version received from elsewhere (a shared store): <paramref name="copy"/> fills the bundle's temporary file
    /// (false: there is none, nothing is kept), which is flushed and renamed, then the info is written beside it.
    /// </summary>
    public async Task<bool> ReceiveAsync(string version, string info, Func<Stream, Task<bool>> copy)
    {
        if (!IsVersionName(version)) throw new ArgumentException($"'{version}' is not a version name", nameof(version));
        Directory.CreateDirectory(_dir);
        string path = BundlePath(version), temp = TempPath(path);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                if (!await copy(stream).ConfigureAwait(false))
                {
                    stream.Close();
                    File.Delete(temp);
                    return false;
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        WriteComplete(Path.Combine(_dir, version + ".json"), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(info)));
        return true;
    }

    /// <summary>Deletes a version's files whatever it is (a copy of a version no longer in the shared store); false when absent.</summary>
    public bool Forget(string version)
    {
        lock (_gate)
        {
            if (!IsVersionName(version) || !File.Exists(BundlePath(version))) return false;
            File.Delete(BundlePath(version));
            File.Delete(Path.Combine(_dir, version + ".json"));
            return true;
        }
    }

    /// <summary>Writes the name of the version to load at start, and nothing else (a node following a shared store; no pruning).</summary>
    public void MarkActive(string version)
    {
        Directory.CreateDirectory(_dir);
        WriteComplete(Path.Combine(_dir, "active"), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(version)));
    }

    /// <summary>The versions <see cref="SetActive"/> would prune now (beyond the kept number, not active, not in <paramref name="keepAlso"/>).</summary>
    public IReadOnlyList<string> Prunable(string active, IReadOnlyCollection<string> keepAlso)
    {
        var list = new List<string>();
        foreach (var info in List().Skip(Math.Max(1, keep)))
            if (info.Version != active && !keepAlso.Contains(info.Version)) list.Add(info.Version);
        return list;
    }

    /// <summary>The temporary name a file is written under before it is renamed to <paramref name="path"/>.</summary>
    public static string TempPath(string path) => path + ".tmp";

    public void Save(ModelBundle bundle)
    {
        Directory.CreateDirectory(_dir);
        WriteComplete(BundlePath(bundle.Info.Version), bundle.Save);
        WriteComplete(Path.Combine(_dir, bundle.Info.Version + ".json"),
            stream => JsonSerializer.Serialize(stream, bundle.Info, ModelInfo.Json));
    }

    /// <summary>
    /// Writes <paramref name="path"/> through its temporary name: <paramref name="write"/> fills <see cref="TempPath"/>, which is
    /// flushed to disk and then renamed. A reader (or a crash) sees no file or the complete one, never a part.
    /// </summary>
    public static void WriteComplete(string path, Action<Stream> write)
    {
        string temp = TempPath(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Deletes what a killed training left: temporary files (<c>*.tmp</c>) and the empty <c>vN.bundle</c> reservations older
    /// Attunes made, unless <c>active</c> names one (loading it then fails loudly, and a fresh version is trained). Called once
    /// at start, before any training; returns the names removed.
    /// </summary>
    public IReadOnlyList<string> RemoveOrphans()
    {
        lock (_gate)
        {
            if (!Directory.Exists(_dir)) return [];
            var removed = new List<string>();
            string? active = ActiveVersion;
            foreach (string file in Directory.EnumerateFiles(_dir))
            {
                string name = Path.GetFileName(file);
                bool orphan = name.EndsWith(".tmp", StringComparison.Ordinal)
                    || (name.EndsWith(".bundle", StringComparison.Ordinal) && new FileInfo(file).Length == 0 && name != active + ".bundle");
                if (!orphan) continue;
                File.Delete(file);
                removed.Add(name);
            }
            return removed;
        }
    }

    /// <exception cref="InvalidDataException">The bundle is empty, truncated, damaged or of a newer format; the message names the file.</exception>
    public ModelBundle Load(string version)
    {
        string path = BundlePath(version);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        try
        {
            return ModelBundle.Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public bool Exists(string version) =>
        IsVersionName(version) && new FileInfo(BundlePath(version)) is { Exists: true, Length: > 0 };

    public static bool IsVersionName(string version) =>
        version.Length is > 1 and < 12 && version[0] == 'v' && version.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>
    /// The version <c>active</c> names, when its bundle file is there. An empty file is still named, so that loading it fails
    /// loudly (and the engine logs why it trains anew) rather than being skipped without a word.
    /// </summary>
    public string? ActiveVersion
    {
        get
        {
            string path = Path.Combine(_dir, "active");
            return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } v && IsVersionName(v) && File.Exists(BundlePath(v)) ? v : null;
        }
    }

    /// <summary>Makes <paramref name="version"/> the one loaded at start; old versions beyond the kept number are deleted,
    /// except those in <paramref name="keepAlso"/> (versions recipes serve).</summary>
    public void SetActive(string version, IReadOnlyCollection<string>? keepAlso = null)
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "active");
        WriteComplete(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(version)));
        Prune(version, keepAlso ?? []);
    }

    /// <summary>Deletes a stored version (never the active one); false when there was none.</summary>
    public bool Delete(string version)
    {
        lock (_gate)
        {
            if (!Exists(version)) return false;
            if (ActiveVersion == version) throw new InvalidOperationException($"{version} is the active version; activate another first");
            File.Delete(BundlePath(version));
            File.Delete(Path.Combine(_dir, version + ".json"));
            return true;
        }
    }

    /// <summary>The versions on disk with their info, newest first.</summary>
    public IReadOnlyList<ModelInfo> List()
    {
        if (!Directory.Exists(_dir)) return [];
        var list = new List<ModelInfo>();
        foreach (string file in Directory.EnumerateFiles(_dir, "v*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<ModelInfo>(File.ReadAllText(file), ModelInfo.Json) is { } info && Exists(info.Version)) list.Add(info);
            }
            catch (JsonException) { /* a half-written info file from a crash: the bundle is not listed */ }
        }
        return [.. list.OrderByDescending(i => int.Parse(i.Version[1..], CultureInfo.InvariantCulture))];
    }

    private void Prune(string active, IReadOnlyCollection<string> keepAlso)
    {
        foreach (string version in Prunable(active, keepAlso))
        {
            File.Delete(BundlePath(version));
            File.Delete(Path.Combine(_dir, version + ".json"));
        }
    }
}
