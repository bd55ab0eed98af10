using System.Globalization;

namespace Attune.Evaluation.Search;

/// <summary>One query of a judged search set: its id, group (any label: lexical, paraphrase, personal…), the person asking
/// (null: anyone) and the text.</summary>
public sealed record JudgedQuery(string Id, string Group, string? UserId, string Text);

/// <summary>
/// A judged search set as files: <c>queries.tsv</c> (a header, then <c>qid, group, user, query</c> separated by tabs; user
/// may be empty) and <c>qrels.txt</c> (TREC relevance judgements: <c>qid iteration item grade</c> separated by spaces or
/// tabs; grade 0 or less is not relevant). The catalog (<c>items.jsonl</c>) and history (<c>events.jsonl</c>) beside them are
/// read by the search evaluation itself.
/// </summary>
public sealed class SearchJudgements
{
    public const string QueriesFile = "queries.tsv", QrelsFile = "qrels.txt", ItemsFile = "items.jsonl", EventsFile = "events.jsonl";

    private SearchJudgements(List<JudgedQuery> queries, Dictionary<string, Dictionary<string, int>> grades)
    {
        Queries = queries;
        Grades = grades;
    }

    public IReadOnlyList<JudgedQuery> Queries { get; }

    /// <summary>Query id → item id → grade (above 0).</summary>
    public IReadOnlyDictionary<string, Dictionary<string, int>> Grades { get; }

    /// <summary>Reads <c>queries.tsv</c> and <c>qrels.txt</c> from <paramref name="directory"/>; a bad line is an error naming
    /// the file and line.</summary>
    public static SearchJudgements Read(string directory)
    {
        string queriesPath = Path.Combine(directory, QueriesFile), qrelsPath = Path.Combine(directory, QrelsFile);
        foreach (string path in (string[])[queriesPath, qrelsPath])
            if (!File.Exists(path)) throw new FileNotFoundException($"a search set needs {Path.GetFileName(path)} in {directory}", path);
        var queries = new List<JudgedQuery>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int n = 0;
        foreach (string line in File.ReadLines(queriesPath))
        {
            n++;
            if (n == 1 && line.StartsWith("qid", StringComparison.OrdinalIgnoreCase)) continue;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split('\t');
            if (parts.Length != 4 || parts[0].Length == 0 || string.IsNullOrWhiteSpace(parts[3]))
                throw new FormatException($"{QueriesFile} line {n}: expected 'qid<TAB>group<TAB>user<TAB>query' with a qid and a query");
            if (!ids.Add(parts[0])) throw new FormatException($"{QueriesFile} line {n}: query id '{parts[0]}' appears twice");
            queries.Add(new JudgedQuery(parts[0], parts[1].Length == 0 ? "all" : parts[1], parts[2].Length == 0 ? null : parts[2], parts[3]));
        }
        var grades = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        n = 0;
        foreach (string line in File.ReadLines(qrelsPath))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4 || !int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out int grade))
                throw new FormatException($"{QrelsFile} line {n}: expected 'qid iteration item grade' (grade an integer)");
            if (!ids.Contains(parts[0])) throw new FormatException($"{QrelsFile} line {n}: query '{parts[0]}' is not in {QueriesFile}");
            if (grade <= 0) continue;
            if (!grades.TryGetValue(parts[0], out var items)) grades[parts[0]] = items = new Dictionary<string, int>(StringComparer.Ordinal);
            items[parts[2]] = grade;
        }
        return new SearchJudgements(queries, grades);
    }
}
