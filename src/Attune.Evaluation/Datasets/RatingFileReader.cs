using System.Globalization;

namespace Attune.Evaluation.Datasets;

/// <summary>
/// Reads <c>user item rating timestamp</c> rows separated by tabs, spaces, commas or <c>::</c> (MovieLens <c>u.data</c>,
/// <c>ratings.dat</c>, <c>ratings.csv</c>); a header line is skipped.
/// </summary>
public static class RatingFileReader
{
    public static ReadOnlySpan<char> Separators => " \t,:\r";

    /// <summary>
    /// Whether sampled lines look like rating rows: exactly four fields, the last two numbers, and the rating smaller than the
    /// time on every line (so an ICLRec line of a user and three item ids is not taken for one). The first line may be a header.
    /// </summary>
    public static bool LooksLikeRatings(IReadOnlyList<string> lines, out bool header)
    {
        header = false;
        if (lines.Count == 0) return false;
        header = !IsRatingLine(lines[0]);
        int first = header ? 1 : 0;
        if (lines.Count <= first) return false;
        for (int i = first; i < lines.Count; i++)
            if (!IsRatingLine(lines[i])) return false;
        return true;
    }

    private static bool IsRatingLine(string line)
    {
        var f = new FieldReader(line, Separators);
        if (!f.Next(out _) || !f.Next(out _) || !f.Next(out var rating) || !f.Next(out var time) || f.Next(out _)) return false;
        return double.TryParse(rating, NumberStyles.Float, CultureInfo.InvariantCulture, out double r)
            && double.TryParse(time, NumberStyles.Float, CultureInfo.InvariantCulture, out double t)
            && r < t;
    }

    public static Dataset Read(string path, string name, bool header)
    {
        var users = new IdMap();
        var items = new IdMap();
        var u = new List<int>();
        var i = new List<int>();
        var r = new List<float>();
        var t = new List<double>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (header && lineNumber == 1) continue;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = new FieldReader(line, Separators);
            if (!f.Next(out var user) || !f.Next(out var item) || !f.Next(out var rating) || !f.Next(out var time)
                || !float.TryParse(rating, NumberStyles.Float, CultureInfo.InvariantCulture, out float rv)
                || !double.TryParse(time, NumberStyles.Float, CultureInfo.InvariantCulture, out double tv))
                throw new InvalidDataException($"{path}:{lineNumber}: expected 'user item rating timestamp'");
            u.Add(users.GetOrAdd(user));
            i.Add(items.GetOrAdd(item));
            r.Add(rv);
            t.Add(tv);
        }
        return new Dataset
        {
            Name = name,
            Source = path,
            Layout = DatasetLayout.Ratings,
            Users = users,
            Items = items,
            Ratings = new RatingRows([.. u], [.. i], [.. r], [.. t]),
        };
    }
}
