namespace Attune.Evaluation.Datasets;

/// <summary>Raw ids (as written in the file) ↔ dense indexes 0..n-1, given in order of first appearance.</summary>
public sealed class IdMap
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly List<string> _ids = [];

    public IdMap() => _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _ids.Count;

    /// <summary>The raw id of dense index <paramref name="index"/>.</summary>
    public string this[int index] => _ids[index];

    public IReadOnlyList<string> Ids => _ids;

    /// <summary>The index of <paramref name="id"/>, adding it when new. Looks up without allocating when the id is known.</summary>
    public int GetOrAdd(ReadOnlySpan<char> id)
    {
        if (_lookup.TryGetValue(id, out int index)) return index;
        index = _ids.Count;
        string s = id.ToString();
        _index.Add(s, index);
        _ids.Add(s);
        return index;
    }

    public bool TryGetIndex(ReadOnlySpan<char> id, out int index) => _lookup.TryGetValue(id, out index);
}
