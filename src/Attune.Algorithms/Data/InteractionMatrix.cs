namespace Attune.Algorithms.Data;

/// <summary>
/// Implicit feedback as a sparse user × item matrix in CSR layout: for user <c>u</c>, its items are
/// <c>Columns[RowStart[u]..RowStart[u+1]]</c> (ascending) with strengths <c>Values[…]</c> at the same positions.
/// Users and items are dense indexes 0..n-1. Duplicated (user, item) pairs are summed when built.
/// </summary>
public sealed class InteractionMatrix
{
    public int Users { get; }
    public int Items { get; }
    /// <summary>Row offsets, length <see cref="Users"/> + 1.</summary>
    public int[] RowStart { get; }
    /// <summary>Item index of each stored entry, ascending within a row.</summary>
    public int[] Columns { get; }
    /// <summary>Strength of each stored entry (a positive weight: count × event weight, or a rating).</summary>
    public float[] Values { get; }

    public int NonZeros => Columns.Length;

    public InteractionMatrix(int users, int items, int[] rowStart, int[] columns, float[] values)
    {
        if (rowStart.Length != users + 1) throw new ArgumentException("rowStart must have users + 1 entries", nameof(rowStart));
        if (columns.Length != values.Length) throw new ArgumentException("columns and values differ in length", nameof(values));
        Users = users;
        Items = items;
        RowStart = rowStart;
        Columns = columns;
        Values = values;
    }

    public ReadOnlySpan<int> ItemsOf(int user) => Columns.AsSpan(RowStart[user], RowStart[user + 1] - RowStart[user]);

    public ReadOnlySpan<float> ValuesOf(int user) => Values.AsSpan(RowStart[user], RowStart[user + 1] - RowStart[user]);

    public int CountOf(int user) => RowStart[user + 1] - RowStart[user];

    /// <summary>Builds the matrix from triples, summing duplicates. Entries whose summed value is ≤ 0 are dropped.</summary>
    public static InteractionMatrix FromTriples(int users, int items, ReadOnlySpan<int> user, ReadOnlySpan<int> item, ReadOnlySpan<float> value)
    {
        if (user.Length != item.Length || user.Length != value.Length) throw new ArgumentException("triples differ in length");
        var counts = new int[users + 1];
        for (int k = 0; k < user.Length; k++)
        {
            if ((uint)user[k] >= (uint)users || (uint)item[k] >= (uint)items)
                throw new ArgumentOutOfRangeException(nameof(user), $"entry {k}: ({user[k]}, {item[k]}) outside {users} × {items}");
            counts[user[k] + 1]++;
        }
        for (int u = 0; u < users; u++) counts[u + 1] += counts[u];
        var cols = new int[user.Length];
        var vals = new float[user.Length];
        var next = (int[])counts.Clone();
        for (int k = 0; k < user.Length; k++)
        {
            int p = next[user[k]]++;
            cols[p] = item[k];
            vals[p] = value[k];
        }
        // Sort each row by item and merge duplicates.
        var rowStart = new int[users + 1];
        int write = 0;
        for (int u = 0; u < users; u++)
        {
            int start = counts[u], end = counts[u + 1];
            Array.Sort(cols, vals, start, end - start);
            rowStart[u] = write;
            for (int p = start; p < end;)
            {
                int c = cols[p];
                float v = 0;
                while (p < end && cols[p] == c) v += vals[p++];
                if (v <= 0) continue;
                cols[write] = c;
                vals[write] = v;
                write++;
            }
        }
        rowStart[users] = write;
        Array.Resize(ref cols, write);
        Array.Resize(ref vals, write);
        return new InteractionMatrix(users, items, rowStart, cols, vals);
    }

    /// <summary>The item × user matrix with the same entries.</summary>
    public InteractionMatrix Transpose()
    {
        var counts = new int[Items + 1];
        foreach (int c in Columns) counts[c + 1]++;
        for (int i = 0; i < Items; i++) counts[i + 1] += counts[i];
        var next = (int[])counts.Clone();
        var cols = new int[NonZeros];
        var vals = new float[NonZeros];
        for (int u = 0; u < Users; u++)
        {
            for (int p = RowStart[u]; p < RowStart[u + 1]; p++)
            {
                int q = next[Columns[p]]++;
                cols[q] = u;
                vals[q] = Values[p];
            }
        }
        return new InteractionMatrix(Items, Users, counts, cols, vals);
    }

    /// <summary>How many users interacted with each item.</summary>
    public int[] ItemCounts()
    {
        var counts = new int[Items];
        foreach (int c in Columns) counts[c]++;
        return counts;
    }
}
