using System.Globalization;

namespace Attune.Predictions.Clv;

/// <summary>A CLV input file that cannot be read: every problem with its line number (the first 20).</summary>
public sealed class ClvFileException(IReadOnlyList<string> problems)
    : FormatException(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Reads the CSV inputs of <c>attune clv fit</c>, with a header naming the columns (any order, case-insensitive):
/// <c>ID,frequency,recency,T</c> (lifetimes' summary: BG/NBD, MBG/NBD, Pareto/NBD), <c>ID,x,t_x,T,zbar</c> (with the mean spend
/// per repeat purchase: Gamma-Gamma; <c>frequency</c>/<c>recency</c>/<c>monetary_value</c> are accepted too),
/// <c>frequency,recency,periods,weights</c> (BG/BB's discrete-time counts) and <c>customer_id,recency,T[,cohort]</c> (sBG).
/// Every bad line is reported with its number: missing columns, values that are not numbers, negative ones, recency after T.
/// </summary>
public static class ClvFile
{
    private const int MaxProblems = 20;

    /// <summary>Customers' purchase summaries; <paramref name="spend"/>: the mean spend column is required.</summary>
    public static List<CustomerSummary> ReadSummaries(string path, bool spend) => Read<CustomerSummary>(path, (header, problems) =>
    {
        int id = Column(header, problems, "ID", "customer_id", "id");
        int x = Column(header, problems, "frequency", "x");
        int tx = Column(header, problems, "recency", "t_x");
        int T = Column(header, problems, "T");
        int m = spend ? Column(header, problems, "zbar", "monetary_value", "m") : -1;
        CustomerSummary? Bad(string problem)
        {
            Add(problems, problem);
            return null;
        }
        return (line, f) =>
        {
            double? fx = Number(f[x], line, header[x], problems), ftx = Number(f[tx], line, header[tx], problems), fT = Number(f[T], line, header[T], problems);
            double? fm = spend ? Number(f[m], line, header[m], problems) : 0;
            if (fx is null || ftx is null || fT is null || fm is null) return null;
            if (fx < 0 || ftx < 0 || fT < 0) return Bad($"line {line}: frequency, recency and T must not be negative");
            if (ftx > fT) return Bad($"line {line}: recency {ftx.Value.ToString(CultureInfo.InvariantCulture)} is after T {fT.Value.ToString(CultureInfo.InvariantCulture)}");
            if (fx == 0 && ftx > 0) return Bad($"line {line}: recency must be 0 when frequency is 0 (recency is the time of the last repeat purchase)");
            if (spend && fx > 0 && fm <= 0) return Bad($"line {line}: {header[m]} must be positive for a customer with repeat purchases");
            return new CustomerSummary(f[id].Trim(), fx.Value, ftx.Value, fT.Value, fm.Value);
        };
    });

    /// <summary>BG/BB's input: customers grouped by (frequency, recency) out of <c>periods</c> opportunities, with their counts.</summary>
    public static List<(int Frequency, int Recency, int Periods, double Weight)> ReadBgBb(string path) =>
        Read<(int Frequency, int Recency, int Periods, double Weight)>(path, (header, problems) =>
        {
            int x = Column(header, problems, "frequency"), tx = Column(header, problems, "recency"), n = Column(header, problems, "periods", "n_periods", "n"),
                w = Column(header, problems, "weights", "weight", "count");
            (int, int, int, double)? Bad(string problem)
            {
                Add(problems, problem);
                return null;
            }
            return (line, f) =>
            {
                int? fx = Whole(f[x], line, header[x], problems), ftx = Whole(f[tx], line, header[tx], problems), fn = Whole(f[n], line, header[n], problems);
                double? fw = Number(f[w], line, header[w], problems);
                if (fx is null || ftx is null || fn is null || fw is null) return null;
                if (fx < 0 || ftx < 0 || fn <= 0 || fw < 0) return Bad($"line {line}: counts must not be negative (periods at least 1)");
                if (fx > fn || ftx > fn) return Bad($"line {line}: frequency and recency cannot exceed periods ({fn})");
                if (fx > 0 && ftx < fx || fx == 0 && ftx > 0) return Bad($"line {line}: recency {ftx} does not fit frequency {fx}");
                return (fx.Value, ftx.Value, fn.Value, fw.Value);
            };
        });

    /// <summary>sBG's input: each contract customer's churn period (or T while active) and optional cohort.</summary>
    public static List<ContractCustomer> ReadContracts(string path) => Read<ContractCustomer>(path, (header, problems) =>
    {
        int id = Column(header, problems, "customer_id", "ID", "id");
        int r = Column(header, problems, "recency");
        int T = Column(header, problems, "T");
        int cohort = Array.FindIndex(header, h => h.Equals("cohort", StringComparison.OrdinalIgnoreCase));
        ContractCustomer? Bad(string problem)
        {
            Add(problems, problem);
            return null;
        }
        return (line, f) =>
        {
            int? fr = Whole(f[r], line, header[r], problems), fT = Whole(f[T], line, header[T], problems);
            if (fr is null || fT is null) return null;
            if (fr < 1 || fT < 1) return Bad($"line {line}: recency and T are periods from 1");
            if (fr > fT) return Bad($"line {line}: recency {fr} is after T {fT}");
            return new ContractCustomer(f[id].Trim(), fr.Value, fT.Value, cohort >= 0 ? f[cohort].Trim() : "all");
        };
    });

    /// <summary>
    /// Reads a CSV with a header: <paramref name="prepare"/> finds its columns (adding a problem for each missing one) and
    /// returns the parser of one data line (null after adding its problem). Throws with every problem found, or when the file
    /// has no data line.
    /// </summary>
    private static List<T> Read<T>(string path, Func<string[], List<string>, Func<int, string[], T?>> prepare) where T : struct
    {
        var problems = new List<string>();
        using var reader = new StreamReader(path);
        var header = Header(reader, path, problems);
        var parse = prepare(header, problems);
        if (problems.Count > 0) throw new ClvFileException(problems);
        var rows = new List<T>();
        int line = 1;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            if (text.Length == 0) continue;
            var fields = text.Split(',');
            if (fields.Length < header.Length) Add(problems, $"line {line}: {fields.Length} columns, the header has {header.Length}");
            else if (parse(line, fields) is { } row) rows.Add(row);
        }
        if (problems.Count > 0) throw new ClvFileException(problems);
        if (rows.Count == 0) throw new ClvFileException([$"{path}: no data line after the header"]);
        return rows;
    }

    private static string[] Header(StreamReader reader, string path, List<string> problems)
    {
        var line = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(line))
        {
            problems.Add($"line 1: {path} has no header line");
            return [];
        }
        return [.. line.TrimStart('\uFEFF').Split(',').Select(h => h.Trim())];
    }

    private static int Column(string[] header, List<string> problems, params string[] names)
    {
        // An exact match first (T and t_x differ only by case and suffix), then case-insensitive.
        foreach (var name in names)
        {
            int i = Array.IndexOf(header, name);
            if (i >= 0) return i;
        }
        foreach (var name in names)
        {
            int i = Array.FindIndex(header, h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (i >= 0) return i;
        }
        if (header.Length > 0) problems.Add($"line 1: missing column {string.Join(" or ", names)} (the header has {string.Join(",", header)})");
        return -1;
    }

    private static double? Number(string text, int line, string column, List<string> problems)
    {
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)) return v;
        Add(problems, $"line {line}: {column} '{text.Trim()}' is not a number");
        return null;
    }

    private static int? Whole(string text, int line, string column, List<string> problems)
    {
        if (int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) return v;
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        Add(problems, $"line {line}: {column} '{text.Trim()}' is not a whole number");
        return null;
    }

    private static void Add(List<string> problems, string problem)
    {
        if (problems.Count < MaxProblems) problems.Add(problem);
        else if (problems.Count == MaxProblems) problems.Add("… (more problems not listed)");
    }
}
