namespace Attune.Evaluation.Datasets;

/// <summary>
/// Opens a dataset from a file or folder, detecting its layout, so the same command works on a folder never seen before:
/// <list type="bullet">
/// <item>a folder with <c>train_sessions.txt</c> and <c>test.tsv</c> (or either file itself): the session benchmark;</item>
/// <item>a folder with <c>u.data</c>: MovieLens ratings (genres from <c>u.item</c> when present);</item>
/// <item>any other folder must hold exactly one data file (README, <c>*.json</c>, <c>*.gz</c> and <c>*_sample.txt</c> negatives
/// are ignored); otherwise name the file;</item>
/// <item>a file whose lines all have four fields <c>user item rating time</c> (rating &lt; time): ratings; anything else:
/// per-user sequences (<c>user item1 item2 …</c>, or <c>user item</c> per line).</item>
/// </list>
/// </summary>
public static class DatasetLoader
{
    private const int SniffLines = 200;
    private static readonly string[] s_dataExtensions = [".txt", ".data", ".dat", ".tsv", ".csv", ".inter"];

    public static Dataset Load(string path)
    {
        if (Directory.Exists(path)) return LoadFolder(Path.GetFullPath(path));
        if (!File.Exists(path)) throw new FileNotFoundException($"no dataset file or folder at {Path.GetFullPath(path)}");
        string full = Path.GetFullPath(path);
        string fileName = Path.GetFileName(full);
        string folder = Path.GetDirectoryName(full)!;
        if ((fileName == SessionFolderReader.TrainFile || fileName == SessionFolderReader.TestFile) && SessionFolderReader.IsSessionFolder(folder))
            return SessionFolderReader.Read(folder, Path.GetFileName(folder));
        return LoadFile(full);
    }

    private static Dataset LoadFolder(string folder)
    {
        string name = Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar));
        if (SessionFolderReader.IsSessionFolder(folder)) return SessionFolderReader.Read(folder, name);
        string uData = Path.Combine(folder, "u.data");
        if (File.Exists(uData)) return LoadFile(uData);
        var candidates = Directory.EnumerateFiles(folder).Where(IsDataFile).Order(StringComparer.Ordinal).ToList();
        return candidates.Count switch
        {
            1 => LoadFile(candidates[0]),
            0 => throw new InvalidDataException($"{folder} holds no data file ({string.Join(", ", s_dataExtensions)})"),
            _ => throw new InvalidDataException($"{folder} holds {candidates.Count} data files " +
                $"({string.Join(", ", candidates.Select(Path.GetFileName))}); pass one of them with --dataset"),
        };
    }

    private static bool IsDataFile(string path)
    {
        string file = Path.GetFileName(path);
        return s_dataExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase)
            && !file.EndsWith("_sample.txt", StringComparison.OrdinalIgnoreCase)
            && !file.StartsWith("README", StringComparison.OrdinalIgnoreCase);
    }

    private static Dataset LoadFile(string file)
    {
        var sample = File.ReadLines(file).Where(l => !string.IsNullOrWhiteSpace(l)).Take(SniffLines).ToList();
        if (sample.Count == 0) throw new InvalidDataException($"{file} is empty");
        string folder = Path.GetDirectoryName(file)!;
        if (RatingFileReader.LooksLikeRatings(sample, out bool header))
        {
            bool movieLens = Path.GetFileName(file) == "u.data";
            var ratings = RatingFileReader.Read(file, movieLens ? Path.GetFileName(folder) : Path.GetFileNameWithoutExtension(file), header);
            string uItem = Path.Combine(folder, "u.item");
            if (!movieLens || !File.Exists(uItem)) return ratings;
            return ratings with { ItemCategories = ItemCategoryReader.ReadMovieLensGenres(uItem, ratings.Items), CategorySource = uItem };
        }
        var sequences = SequenceFileReader.Read(file, Path.GetFileNameWithoutExtension(file));
        string? attributes = ItemCategoryReader.FindAttributesFile(file);
        return attributes is null ? sequences
            : sequences with { ItemCategories = ItemCategoryReader.ReadItemAttributes(attributes, sequences.Items), CategorySource = attributes };
    }
}
