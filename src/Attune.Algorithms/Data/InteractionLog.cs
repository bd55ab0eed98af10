namespace Attune.Algorithms.Data;

/// <summary>
/// Collects raw interactions with string ids and turns them into <see cref="TrainingData"/>: ids interned to dense indexes
/// (kept in <see cref="UserIds"/> / <see cref="ItemIds"/>), strengths summed per (person, item) with negative signals
/// subtracting, and each person's positive items in time order for sequence models.
/// </summary>
public sealed class InteractionLog
{
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _items = new(StringComparer.Ordinal);
    private readonly List<string> _userIds = [];
    private readonly List<string> _itemIds = [];
    private readonly List<(int User, int Item, float Weight, long Time, int Type)> _rows = [];

    public IReadOnlyList<string> UserIds => _userIds;
    public IReadOnlyList<string> ItemIds => _itemIds;
    public int Count => _rows.Count;

    /// <summary>Makes sure an item has an index even with no interaction (a new item for content-based models).</summary>
    public int AddItem(string item) => Intern(_items, _itemIds, item);

    /// <summary>Makes sure a person has an index even with no interaction that counts (someone only shown items).</summary>
    public int AddUser(string user) => Intern(_users, _userIds, user);

    public int IndexOfItem(string item) => _items.TryGetValue(item, out int i) ? i : -1;

    public int IndexOfUser(string user) => _users.TryGetValue(user, out int u) ? u : -1;

    /// <summary>Adds one interaction; a weight ≤ 0 is a negative signal (it lowers the pair's strength and is not a sequence step).</summary>
    /// <param name="type">The event type code, for models that tell event types apart (0 when unknown).</param>
    public void Add(string user, string item, float weight, long timestampMs, int type = 0)
    {
        if (weight == 0) return;
        _rows.Add((Intern(_users, _userIds, user), Intern(_items, _itemIds, item), weight, timestampMs, type));
    }

    /// <summary>Frees the collected rows once <see cref="Build"/> has made its arrays (the id maps stay).</summary>
    public void ReleaseRows()
    {
        _rows.Clear();
        _rows.TrimExcess();
    }

    public TrainingData Build(ItemContent? content = null, int seed = 42, int threads = 0)
    {
        int users = _userIds.Count, items = _itemIds.Count;
        var u = new int[_rows.Count];
        var i = new int[_rows.Count];
        var w = new float[_rows.Count];
        var t = new long[_rows.Count];
        var types = new int[_rows.Count];
        for (int k = 0; k < _rows.Count; k++) (u[k], i[k], w[k], t[k], types[k]) = _rows[k];
        var matrix = InteractionMatrix.FromTriples(users, items, u, i, w);

        // Sequences: positive interactions by time, consecutive repeats of the same item collapsed.
        // Counting sort by user (stable: arrival order kept), then each user's rows by time, ties by arrival.
        var byUser = new int[users + 1];
        for (int k = 0; k < _rows.Count; k++) if (w[k] > 0) byUser[u[k] + 1]++;
        for (int x = 0; x < users; x++) byUser[x + 1] += byUser[x];
        var order = new int[byUser[users]];
        var next = (int[])byUser.Clone();
        for (int k = 0; k < _rows.Count; k++) if (w[k] > 0) order[next[u[k]]++] = k;
        Comparison<int> byTime = (a, b) => t[a] != t[b] ? t[a].CompareTo(t[b]) : a.CompareTo(b);
        for (int x = 0; x < users; x++)
        {
            var slice = order.AsSpan(byUser[x], byUser[x + 1] - byUser[x]);
            if (slice.Length > 1) slice.Sort(byTime);
        }
        var start = new int[users + 1];
        var seq = new List<int>(order.Length);
        int current = 0;
        foreach (int k in order)
        {
            var (user, item, _, _, _) = _rows[k];
            while (current < user) start[++current] = seq.Count;
            if (seq.Count > start[user] && seq[^1] == item) continue;
            seq.Add(item);
        }
        while (current < users) start[++current] = seq.Count;
        return new TrainingData
        {
            Interactions = matrix,
            Sequences = new SequenceData(items, start, [.. seq]),
            Events = new EventLog(u, i, w, t, types),
            Content = content,
            Seed = seed,
            Threads = threads > 0 ? threads : Environment.ProcessorCount,
        };
    }

    private static int Intern(Dictionary<string, int> map, List<string> ids, string id)
    {
        if (map.TryGetValue(id, out int index)) return index;
        index = ids.Count;
        map[id] = index;
        ids.Add(id);
        return index;
    }
}
