using Attune.Algorithms.Data;

namespace Attune.Evaluation.Datasets;

/// <summary>
/// Reads per-user item sequences, whitespace-separated: ICLRec/S3-Rec lines <c>user item1 item2 …</c> (one user per line) and
/// SASRec lines <c>user item</c> (one interaction per line, grouped by user in time order) are the same rule: the first field is
/// the user, the others are appended to that user's sequence in file order.
/// </summary>
public static class SequenceFileReader
{
    public static Dataset Read(string path, string name)
    {
        var users = new IdMap();
        var items = new IdMap();
        var rowUser = new List<int>();
        var rowItem = new List<int>();
        foreach (string line in File.ReadLines(path))
        {
            var f = new FieldReader(line, FieldReader.Whitespace);
            if (!f.Next(out var user)) continue;
            int u = users.GetOrAdd(user);
            while (f.Next(out var item))
            {
                rowUser.Add(u);
                rowItem.Add(items.GetOrAdd(item));
            }
        }
        return new Dataset
        {
            Name = name,
            Source = path,
            Layout = DatasetLayout.Sequences,
            Users = users,
            Items = items,
            Sequences = GroupByUser(users.Count, items.Count, rowUser, rowItem),
        };
    }

    /// <summary>Stable counting sort of (user, item) pairs by user: each user's items keep their file order.</summary>
    private static SequenceData GroupByUser(int users, int items, List<int> rowUser, List<int> rowItem)
    {
        var start = new int[users + 1];
        foreach (int u in rowUser) start[u + 1]++;
        for (int u = 0; u < users; u++) start[u + 1] += start[u];
        var next = (int[])start.Clone();
        var seq = new int[rowItem.Count];
        for (int k = 0; k < rowItem.Count; k++) seq[next[rowUser[k]]++] = rowItem[k];
        return new SequenceData(items, start, seq);
    }
}
