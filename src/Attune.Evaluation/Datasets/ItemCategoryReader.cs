using System.Text;
using System.Text.Json;

namespace Attune.Evaluation.Datasets;

/// <summary>
/// Item categories for the diversity metric: MovieLens genres (<c>u.item</c>, 19 flags) and S3-Rec attribute files
/// (<c>&lt;name&gt;_item2attributes.json</c>: <c>{"item id": [attribute ids]}</c>). Items the file does not mention get none.
/// </summary>
public static class ItemCategoryReader
{
    /// <summary><c>u.item</c>: <c>id|title|date|video date|url|19 genre flags</c>, Latin-1.</summary>
    public static int[][] ReadMovieLensGenres(string path, IdMap items)
    {
        var categories = Empty(items.Count);
        foreach (string line in File.ReadLines(path, Encoding.Latin1))
        {
            string[] f = line.Split('|');
            if (f.Length < 6 || !items.TryGetIndex(f[0], out int item)) continue;
            var genres = new List<int>();
            for (int g = 5; g < f.Length; g++)
                if (f[g].Trim() == "1") genres.Add(g - 5);
            categories[item] = [.. genres];
        }
        return categories;
    }

    public static int[][] ReadItemAttributes(string path, IdMap items)
    {
        var categories = Empty(items.Count);
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (!items.TryGetIndex(p.Name, out int item)) continue;
            var ids = new SortedSet<int>();
            foreach (var v in p.Value.EnumerateArray()) ids.Add(v.GetInt32());
            categories[item] = [.. ids];
        }
        return categories;
    }

    /// <summary>
    /// The S3-Rec attribute file of a sequence file <c>X.txt</c>: <c>X_item2attributes.json</c> beside it, else in a sibling
    /// folder (the shared datasets keep the ICLRec sequences and the S3-Rec attributes in two folders); null when none exists.
    /// </summary>
    public static string? FindAttributesFile(string sequenceFile)
    {
        string file = Path.GetFileNameWithoutExtension(sequenceFile) + "_item2attributes.json";
        string dir = Path.GetDirectoryName(Path.GetFullPath(sequenceFile))!;
        string beside = Path.Combine(dir, file);
        if (File.Exists(beside)) return beside;
        string? parent = Path.GetDirectoryName(dir);
        if (parent is null) return null;
        foreach (string sibling in Directory.EnumerateDirectories(parent).Order(StringComparer.Ordinal))
        {
            string candidate = Path.Combine(sibling, file);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static int[][] Empty(int n)
    {
        var c = new int[n][];
        Array.Fill(c, []);
        return c;
    }
}
