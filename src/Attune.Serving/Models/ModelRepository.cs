using System.Globalization;
using System.Text.Json;

namespace Attune.Serving.Models;

/// <summary>
/// Model versions on disk: <c>DIR/models/vN.bundle</c> (written to a temporary file, fsynced, then renamed, so a crash never
/// leaves half a bundle), their <c>vN.json</c> info, and <c>active</c> naming the version to load at start. Keeps the newest
/// <see cref="ServingOptions.KeepVersions"/> and always the active one.
/// </summary>
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
            foreach (string file in Directory.EnumerateFiles(_dir, "v*.bundle"))
            {
                if (int.TryParse(Path.GetFileNameWithoutExtension(file)[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int n)) max = Math.Max(max, n);
            }
            // Reserve the name so two trainings never pick the same one.
            string version = $"v{max + 1}";
            File.WriteAllBytes(BundlePath(version), []);
            return version;
        }
    }

    public string BundlePath(string version) => Path.Combine(_dir, version + ".bundle");

    public void Save(ModelBundle bundle)
    {
        Directory.CreateDirectory(_dir);
        string path = BundlePath(bundle.Info.Version);
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            bundle.Save(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        File.WriteAllText(Path.Combine(_dir, bundle.Info.Version + ".json"), JsonSerializer.Serialize(bundle.Info, ModelInfo.Json));
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
        File.WriteAllText(path + ".tmp", version);
        File.Move(path + ".tmp", path, overwrite: true);
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
        var versions = List();
        foreach (var info in versions.Skip(Math.Max(1, keep)))
        {
            if (info.Version == active || keepAlso.Contains(info.Version)) continue;
            File.Delete(BundlePath(info.Version));
            File.Delete(Path.Combine(_dir, info.Version + ".json"));
        }
    }
}
