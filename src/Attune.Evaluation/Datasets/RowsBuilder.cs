using Attune.Algorithms.Data;

namespace Attune.Evaluation.Datasets;

/// <summary>Appends variable-length rows of item indexes into one <see cref="SequenceData"/> (CSR) without an array per row.</summary>
public sealed class RowsBuilder(int itemCount)
{
    private readonly List<int> _start = [0];
    private readonly List<int> _items = [];

    public int Rows => _start.Count - 1;

    public void Add(ReadOnlySpan<int> row)
    {
        _items.AddRange(row);
        _start.Add(_items.Count);
    }

    /// <summary>Starts an empty row that <see cref="Append"/> then grows.</summary>
    public void StartRow() => _start.Add(_items.Count);

    /// <summary>Appends one item to the last row.</summary>
    public void Append(int item)
    {
        _items.Add(item);
        _start[^1] = _items.Count;
    }

    public SequenceData Build() => Build(itemCount);

    /// <summary>Builds with an item count known only at the end (ids mapped while reading).</summary>
    public SequenceData Build(int items) => new(items, [.. _start], [.. _items]);
}
