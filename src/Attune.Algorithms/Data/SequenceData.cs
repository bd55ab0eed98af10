namespace Attune.Algorithms.Data;

/// <summary>
/// Each user's (or session's) items in time order, repeats kept: the input of sequence and session models.
/// Row <c>u</c> is <c>Items[Start[u]..Start[u+1]]</c>.
/// </summary>
public sealed class SequenceData
{
    public int Rows => Start.Length - 1;
    public int ItemCount { get; }
    public int[] Start { get; }
    public int[] Items { get; }

    public SequenceData(int itemCount, int[] start, int[] items)
    {
        ItemCount = itemCount;
        Start = start;
        Items = items;
    }

    public ReadOnlySpan<int> Row(int u) => Items.AsSpan(Start[u], Start[u + 1] - Start[u]);

    public static SequenceData FromRows(int itemCount, IReadOnlyList<int[]> rows)
    {
        var start = new int[rows.Count + 1];
        for (int r = 0; r < rows.Count; r++) start[r + 1] = start[r] + rows[r].Length;
        var items = new int[start[^1]];
        for (int r = 0; r < rows.Count; r++) rows[r].CopyTo(items, start[r]);
        return new SequenceData(itemCount, start, items);
    }
}
