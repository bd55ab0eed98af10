using System.Globalization;

namespace Attune.Evaluation.OffPolicy;

/// <summary>
/// A logged bandit feedback file: per round, the action shown, its slot (position), the reward and the logging policy's
/// probability of that action at that slot (the propensity). Columns of equal length; actions 0..<see cref="Actions"/>−1,
/// positions 0..<see cref="Positions"/>−1.
/// </summary>
public sealed class BanditLog(int[] action, int[] position, double[] reward, double[] propensity, int actions, int positions)
{
    public int[] Action { get; } = action;
    public int[] Position { get; } = position;
    public double[] Reward { get; } = reward;
    public double[] Propensity { get; } = propensity;
    public int Actions { get; } = actions;
    public int Positions { get; } = positions;
    public int Rounds => Action.Length;

    /// <summary>
    /// Reads an Open Bandit Dataset log (<c>obd/…/men.csv</c>): a leading unnamed index column, then <c>timestamp, item_id,
    /// position, click, propensity_score</c> and feature columns (ignored). Positions are written 1-based and read 0-based,
    /// as Open Bandit Pipeline does.
    /// </summary>
    /// <exception cref="FormatException">A missing column or a value that is not a number, naming the line and column.</exception>
    public static BanditLog ReadObd(string path)
    {
        using var reader = new StreamReader(path);
        string header = reader.ReadLine() ?? throw new FormatException($"{path}: empty file");
        var names = header.Split(',');
        int Column(string name) => Array.IndexOf(names, name) is >= 0 and var i ? i
            : throw new FormatException($"{path}: no column '{name}' in the header");
        int itemColumn = Column("item_id"), positionColumn = Column("position"), clickColumn = Column("click"), pscoreColumn = Column("propensity_score");
        var (actions, positions, rewards, propensities) = (new List<int>(), new List<int>(), new List<double>(), new List<double>());
        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var fields = text.Split(',');
            string Field(int column, string name) => column < fields.Length ? fields[column]
                : throw new FormatException($"{path}:{line}: no value for '{name}'");
            int a = int.TryParse(Field(itemColumn, "item_id"), NumberStyles.None, CultureInfo.InvariantCulture, out int x) ? x
                : throw new FormatException($"{path}:{line}: item_id is not an action index");
            int p = int.TryParse(Field(positionColumn, "position"), NumberStyles.None, CultureInfo.InvariantCulture, out int y) && y >= 1 ? y - 1
                : throw new FormatException($"{path}:{line}: position is not 1 or more");
            double r = double.TryParse(Field(clickColumn, "click"), NumberStyles.Float, CultureInfo.InvariantCulture, out double z) && double.IsFinite(z) ? z
                : throw new FormatException($"{path}:{line}: click is not a number");
            double ps = double.TryParse(Field(pscoreColumn, "propensity_score"), NumberStyles.Float, CultureInfo.InvariantCulture, out double w) && w > 0 && w <= 1 ? w
                : throw new FormatException($"{path}:{line}: propensity_score is not in (0, 1]");
            actions.Add(a);
            positions.Add(p);
            rewards.Add(r);
            propensities.Add(ps);
        }
        if (actions.Count == 0) throw new FormatException($"{path}: no rounds");
        return new BanditLog([.. actions], [.. positions], [.. rewards], [.. propensities], actions.Max() + 1, positions.Max() + 1);
    }
}

/// <summary>
/// An evaluation policy's action distribution π(a, position): the same for every round (a context-free policy such as the
/// Open Bandit Dataset's Bernoulli Thompson sampling), <c>[action, position]</c>.
/// </summary>
public sealed class ActionDistribution(double[,] probability)
{
    public double this[int action, int position] => probability[action, position];
    public int Actions => probability.GetLength(0);
    public int Positions => probability.GetLength(1);

    /// <summary>Reads a CSV of one row per action and one column per position (lines starting with <c>#</c> are comments).</summary>
    /// <exception cref="FormatException">Rows of different lengths, or a value that is not a probability.</exception>
    public static ActionDistribution ReadCsv(string path)
    {
        var rows = new List<double[]>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0 || text.StartsWith('#')) continue;
            var fields = text.Split(',');
            var row = new double[fields.Length];
            for (int c = 0; c < fields.Length; c++)
            {
                if (!double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out row[c]) || !(row[c] >= 0 && row[c] <= 1))
                    throw new FormatException($"{path}:{line}: column {c + 1} is not a probability");
            }
            if (rows.Count > 0 && row.Length != rows[0].Length) throw new FormatException($"{path}:{line}: {row.Length} positions, the first row has {rows[0].Length}");
            rows.Add(row);
        }
        if (rows.Count == 0) throw new FormatException($"{path}: no rows");
        var p = new double[rows.Count, rows[0].Length];
        for (int a = 0; a < rows.Count; a++)
            for (int k = 0; k < rows[a].Length; k++) p[a, k] = rows[a][k];
        return new ActionDistribution(p);
    }
}
