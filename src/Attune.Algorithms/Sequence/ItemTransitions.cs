using Attune.Algorithms.Data;

namespace Attune.Algorithms.Sequence;

/// <summary>
/// A sparse item → item table of multi-step transitions: for every pair of items at distance <c>d ≤ window</c> in a training
/// sequence, the earlier one gains <c>decay^(d-1)</c> toward the later one and the later one <c>backward · decay^(d-1)</c> toward
/// the earlier one. Rows are normalized by their total to the power <c>alpha</c> and columns by item popularity to the power
/// <c>beta</c>, then cut to the <c>keep</c> strongest entries. CSR layout: row <c>i</c> is <c>Columns[Start[i]..Start[i+1]]</c>.
/// </summary>
internal sealed class ItemTransitions
{
    public int Items { get; }
    public int[] Start { get; }
    public int[] Columns { get; }
    public float[] Values { get; }

    public ItemTransitions(int items, int[] start, int[] columns, float[] values)
    {
        if (start.Length != items + 1 || columns.Length != values.Length || start[^1] != columns.Length)
            throw new InvalidDataException("inconsistent transition table");
        Items = items;
        Start = start;
        Columns = columns;
        Values = values;
    }

    public static ItemTransitions Build(
        SequenceData sequences, int items, int window, float decay, float backward, float alpha, float beta, int keep,
        int threads, CancellationToken cancellationToken)
    {
        var popularity = new float[items];
        foreach (int i in sequences.Items) popularity[i]++;

        // Count the entries of each source row, then place them.
        var counts = new int[items + 1];
        ForEachPair(sequences, window, decay, backward, (a, _, _) => counts[a + 1]++);
        for (int i = 0; i < items; i++) counts[i + 1] += counts[i];
        var next = counts[..^1].ToArray();
        var cols = new int[counts[items]];
        var vals = new float[counts[items]];
        ForEachPair(sequences, window, decay, backward, (a, b, w) =>
        {
            int p = next[a]++;
            cols[p] = b;
            vals[p] = w;
        });
        cancellationToken.ThrowIfCancellationRequested();

        // Per row: merge duplicates, normalize, keep the strongest.
        var kept = new int[items];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken };
        var columnScale = new float[items];
        for (int i = 0; i < items; i++) columnScale[i] = popularity[i] > 0 ? MathF.Pow(popularity[i], -beta) : 0f;
        Parallel.For(0, items, options, a =>
        {
            int s = counts[a], e = counts[a + 1];
            if (e == s) return;
            Array.Sort(cols, vals, s, e - s);
            int w = s;
            float total = 0;
            for (int p = s; p < e;)
            {
                int c = cols[p];
                float v = 0;
                while (p < e && cols[p] == c) v += vals[p++];
                cols[w] = c;
                vals[w++] = v;
                total += v;
            }
            float rowScale = MathF.Pow(total, -alpha);
            for (int p = s; p < w; p++) vals[p] *= rowScale * columnScale[cols[p]];
            int n = w - s;
            if (keep > 0 && n > keep)
            {
                // Strongest `keep` first, then back in item order.
                Array.Sort(vals, cols, s, n, DescendingFloat.Instance);
                n = keep;
                Array.Sort(cols, vals, s, n);
            }
            kept[a] = n;
        });

        var start = new int[items + 1];
        for (int i = 0; i < items; i++) start[i + 1] = start[i] + kept[i];
        var outCols = new int[start[items]];
        var outVals = new float[start[items]];
        for (int i = 0; i < items; i++)
        {
            Array.Copy(cols, counts[i], outCols, start[i], kept[i]);
            Array.Copy(vals, counts[i], outVals, start[i], kept[i]);
        }
        return new ItemTransitions(items, start, outCols, outVals);
    }

    private static void ForEachPair(SequenceData sequences, int window, float decay, float backward, Action<int, int, float> emit)
    {
        var seq = sequences.Items;
        Span<float> weight = stackalloc float[Math.Max(1, window)];
        for (int d = 0; d < weight.Length; d++) weight[d] = MathF.Pow(decay, d);
        for (int r = 0; r < sequences.Rows; r++)
        {
            int s = sequences.Start[r], e = sequences.Start[r + 1];
            for (int p = s; p < e; p++)
            {
                int a = seq[p];
                int last = Math.Min(e - 1, p + window);
                for (int q = p + 1; q <= last; q++)
                {
                    int b = seq[q];
                    if (a == b) continue;
                    float w = weight[q - p - 1];
                    emit(a, b, w);
                    if (backward > 0) emit(b, a, backward * w);
                }
            }
        }
    }

    /// <summary>Adds <paramref name="weight"/> × row <paramref name="item"/> into <paramref name="acc"/>, noting first touches.</summary>
    public void Accumulate(int item, float weight, Span<float> acc, List<int> touched)
    {
        if ((uint)item >= (uint)Items) return;
        for (int p = Start[item], e = Start[item + 1]; p < e; p++)
        {
            int j = Columns[p];
            if (acc[j] == 0) touched.Add(j);
            acc[j] += weight * Values[p];
        }
    }

    public void Save(BinaryWriter w)
    {
        w.Write(Items);
        ModelCatalog.WriteArray(w, Start);
        ModelCatalog.WriteArray(w, Columns);
        ModelCatalog.WriteArray(w, Values);
    }

    public static ItemTransitions Load(BinaryReader r)
    {
        int items = r.ReadInt32();
        return new ItemTransitions(items, ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r), ModelCatalog.ReadFloats(r));
    }

    private sealed class DescendingFloat : IComparer<float>
    {
        public static readonly DescendingFloat Instance = new();
        public int Compare(float x, float y) => y.CompareTo(x);
    }
}
