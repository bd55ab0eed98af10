namespace Attune.Evaluation.Datasets;

/// <summary>
/// Reads the SR-GNN session benchmark folder: <c>train_sessions.txt</c> (one session per line, item ids separated by spaces, in
/// session-date order) and <c>test.tsv</c> (<c>prefix items \t target item</c>, one test case per line).
/// </summary>
public static class SessionFolderReader
{
    public const string TrainFile = "train_sessions.txt";
    public const string TestFile = "test.tsv";

    public static bool IsSessionFolder(string folder) =>
        File.Exists(Path.Combine(folder, TrainFile)) && File.Exists(Path.Combine(folder, TestFile));

    public static Dataset Read(string folder, string name)
    {
        var items = new IdMap();
        var train = new RowsBuilder(0);
        foreach (string line in File.ReadLines(Path.Combine(folder, TrainFile)))
        {
            var f = new FieldReader(line, FieldReader.Whitespace);
            if (!f.Next(out var first)) continue;
            train.StartRow();
            train.Append(items.GetOrAdd(first));
            while (f.Next(out var item)) train.Append(items.GetOrAdd(item));
        }
        var prefixes = new RowsBuilder(0);
        var targets = new List<int>();
        int lineNumber = 0;
        string testPath = Path.Combine(folder, TestFile);
        foreach (string line in File.ReadLines(testPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            int tab = line.IndexOf('\t');
            if (tab < 0) throw new InvalidDataException($"{testPath}:{lineNumber}: expected 'prefix items<TAB>target'");
            var target = line.AsSpan(tab + 1).Trim();
            if (target.IsEmpty) throw new InvalidDataException($"{testPath}:{lineNumber}: no target item");
            prefixes.StartRow();
            var f = new FieldReader(line.AsSpan(0, tab), FieldReader.Whitespace);
            while (f.Next(out var item)) prefixes.Append(items.GetOrAdd(item));
            targets.Add(items.GetOrAdd(target));
        }
        return new Dataset
        {
            Name = name,
            Source = folder,
            Layout = DatasetLayout.Sessions,
            Users = new IdMap(),
            Items = items,
            // Built last: the item count is known only once the test file has been read too.
            TrainSessions = train.Build(items.Count),
            TestCases = new SessionCases(prefixes.Build(items.Count), [.. targets]),
        };
    }
}
