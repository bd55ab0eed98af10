using System.Globalization;

namespace Attune.Predictions.Propensity;

/// <summary>
/// A labelled table as features: numeric columns as they are (empty cells imputed 0), TRUE/FALSE as 1/0, text columns one-hot
/// (one feature per value seen). What the propensity benchmark reads from a CSV with a header.
/// </summary>
public sealed class TabularData
{
    public required string[] FeatureNames { get; init; }
    public required float[][] Rows { get; init; }
    public required bool[] Labels { get; init; }

    public int Count => Labels.Length;

    /// <summary>Reads a CSV (no quoted commas) whose <paramref name="label"/> column is TRUE/FALSE (or 1/0).</summary>
    public static TabularData ReadCsv(string path, string label)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length < 2) throw new FormatException($"{path}: a header and at least one row are needed");
        var header = lines[0].TrimStart('\uFEFF').Split(',').Select(h => h.Trim().Trim('"')).ToArray();
        int labelAt = Array.IndexOf(header, label);
        if (labelAt < 0) throw new FormatException($"{path}: no column '{label}' (the header has {string.Join(",", header)})");
        var cells = new string[lines.Length - 1][];
        for (int i = 1; i < lines.Length; i++)
        {
            cells[i - 1] = lines[i].Split(',');
            if (cells[i - 1].Length != header.Length) throw new FormatException($"{path}: line {i + 1} has {cells[i - 1].Length} columns, the header {header.Length}");
        }
        // Each column: numeric (numbers, booleans, empty) or categorical (anything else).
        var names = new List<string>();
        var encoders = new List<Func<string, int, float>>(); // (cell, index within the column's block) → value
        var blocks = new List<(int Column, string[]? Values)>();
        for (int c = 0; c < header.Length; c++)
        {
            if (c == labelAt) continue;
            bool numeric = true;
            foreach (var row in cells)
            {
                string v = row[c].Trim().Trim('"');
                if (v.Length == 0 || v is "TRUE" or "FALSE" or "True" or "False" || double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) continue;
                numeric = false;
                break;
            }
            if (numeric)
            {
                names.Add(header[c]);
                blocks.Add((c, null));
            }
            else
            {
                var values = cells.Select(r => r[c].Trim().Trim('"')).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                foreach (var v in values) names.Add($"{header[c]}={v}");
                blocks.Add((c, values));
            }
        }
        var rows = new float[cells.Length][];
        var labels = new bool[cells.Length];
        for (int i = 0; i < cells.Length; i++)
        {
            var row = new float[names.Count];
            int f = 0;
            foreach (var (c, values) in blocks)
            {
                string v = cells[i][c].Trim().Trim('"');
                if (values is null) row[f++] = Numeric(v);
                else
                {
                    int at = Array.IndexOf(values, v);
                    row[f + at] = 1;
                    f += values.Length;
                }
            }
            rows[i] = row;
            string l = cells[i][labelAt].Trim().Trim('"');
            labels[i] = l is "TRUE" or "True" or "true" or "1";
        }
        return new TabularData { FeatureNames = [.. names], Rows = rows, Labels = labels };
    }

    /// <summary>One numeric column of a CSV in full double precision (empty cells 0): the features are single precision, where
    /// nearby values can become ties.</summary>
    public static double[] ReadColumn(string path, string column)
    {
        var lines = File.ReadAllLines(path);
        int c = Array.IndexOf([.. lines[0].TrimStart('\uFEFF').Split(',').Select(h => h.Trim().Trim('"'))], column);
        if (c < 0) throw new FormatException($"{path}: no column '{column}'");
        return [.. lines.Skip(1).Select(l => l.Split(',')[c].Trim().Trim('"')).Select(v => v.Length == 0 ? 0 : double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture))];
    }

    private static float Numeric(string v) => v switch
    {
        "" => 0,
        "TRUE" or "True" => 1,
        "FALSE" or "False" => 0,
        _ => (float)double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    /// <summary>The rows at <paramref name="indices"/>.</summary>
    public TabularData Subset(IReadOnlyList<int> indices) => new()
    {
        FeatureNames = FeatureNames,
        Rows = [.. indices.Select(i => Rows[i])],
        Labels = [.. indices.Select(i => Labels[i])],
    };

    /// <summary>Stratified k-fold: each fold gets its share of positives and negatives, after a shuffle seeded by <paramref name="seed"/>.</summary>
    public int[][] StratifiedFolds(int k, int seed)
    {
        var random = new Random(seed);
        var folds = Enumerable.Range(0, k).Select(_ => new List<int>()).ToArray();
        foreach (bool label in new[] { true, false })
        {
            var members = Enumerable.Range(0, Count).Where(i => Labels[i] == label).ToArray();
            random.Shuffle(members);
            for (int i = 0; i < members.Length; i++) folds[i % k].Add(members[i]);
        }
        return [.. folds.Select(f => f.Order().ToArray())];
    }
}
