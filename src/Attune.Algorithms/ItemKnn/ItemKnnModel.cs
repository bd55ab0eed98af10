using Attune.Algorithms.Data;

namespace Attune.Algorithms.ItemKnn;

/// <summary>How co-occurrence becomes similarity. <c>c_ij</c>: people with both items; <c>c_i</c>: people with item i.</summary>
public enum ItemSimilarity
{
    /// <summary><c>c_ij / (c_i^α · c_j^(1−α) + shrink)</c>; α = 0.5 is cosine.</summary>
    Cosine,
    /// <summary><c>c_ij / (c_i + c_j − c_ij + shrink)</c>.</summary>
    Jaccard,
    /// <summary><c>c_ij · N / (c_i · c_j + shrink)</c>: how much more often than chance the two go together.</summary>
    Lift,
}

/// <summary>
/// Item-to-item collaborative filtering: for every item, its <c>K</c> most similar items by co-occurrence in people's histories
/// (Sarwar et al. 2001; Deshpande &amp; Karypis 2004). A person's score for item j sums the similarities from the items in their
/// history, the newest weighted most when <see cref="ItemKnnOptions.HistoryDecay"/> &lt; 1.
/// </summary>
/// <remarks>
/// Neighbour lists are stored as CSR: item i's neighbours are <c>_neighbours[_start[i].._start[i+1]]</c>, similarities alongside.
/// Training costs Σ over people of (items per person)², spread over all cores; memory is items × K.
/// </remarks>
public sealed class ItemKnnModel : IRecommender
{
    private readonly int[] _start;
    private readonly int[] _neighbours;
    private readonly float[] _similarities;
    private readonly float _historyDecay;

    public ItemKnnModel(int[] start, int[] neighbours, float[] similarities, float historyDecay)
    {
        _start = start;
        _neighbours = neighbours;
        _similarities = similarities;
        _historyDecay = historyDecay;
    }

    public string Name => "itemknn";

    /// <summary>Weight of each older history item relative to the next newer one when scoring.</summary>
    public float HistoryDecay => _historyDecay;
    public int Items => _start.Length - 1;

    /// <summary>The neighbours of <paramref name="item"/>, most similar first, and their similarities.</summary>
    public (ReadOnlyMemory<int> Items, ReadOnlyMemory<float> Similarities) Neighbours(int item) =>
        (_neighbours.AsMemory(_start[item], _start[item + 1] - _start[item]), _similarities.AsMemory(_start[item], _start[item + 1] - _start[item]));

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        int n = Items;
        scores[..n].Clear();
        float w = 1f;
        for (int h = history.Length - 1; h >= 0; h--, w *= _historyDecay)
        {
            int i = history[h];
            if ((uint)i >= (uint)n) continue;
            for (int p = _start[i]; p < _start[i + 1]; p++) scores[_neighbours[p]] += w * _similarities[p];
        }
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(_historyDecay);
        ModelCatalog.WriteArray(writer, _start);
        ModelCatalog.WriteArray(writer, _neighbours);
        ModelCatalog.WriteArray(writer, _similarities);
    }

    public static readonly ModelDescriptor Descriptor = new(
        "itemknn",
        "Item-to-item collaborative filtering: top-K neighbours by cosine, Jaccard or lift co-occurrence",
        p => new ItemKnnTrainer(new ItemKnnOptions
        {
            Neighbours = p.Int("k", ItemKnnOptions.Defaults.Neighbours),
            Similarity = Enum.Parse<ItemSimilarity>(p.String("similarity", ItemKnnOptions.Defaults.Similarity.ToString()), ignoreCase: true),
            Alpha = p.Float("alpha", ItemKnnOptions.Defaults.Alpha),
            Shrink = p.Float("shrink", ItemKnnOptions.Defaults.Shrink),
            Binary = p.Bool("binary", ItemKnnOptions.Defaults.Binary),
            HistoryDecay = p.Float("decay", ItemKnnOptions.Defaults.HistoryDecay),
            EventTypes = p.String("types", "") is { Length: > 0 } types
                ? types.Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet()
                : null,
            HalfLifeDays = p.Double("halfLifeDays", 0),
        }),
        r =>
        {
            float decay = r.ReadSingle();
            return new ItemKnnModel(ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r), ModelCatalog.ReadFloats(r), decay);
        },
        [
            new ParameterRange("k", 10, 500, LogScale: true, Integer: true),
            new ParameterRange("alpha", 0.1, 0.9),
            new ParameterRange("shrink", 0, 100),
            new ParameterRange("decay", 0.5, 1.0),
        ]);
}

/// <summary>Hyper-parameters of <see cref="ItemKnnModel"/>.</summary>
public sealed record ItemKnnOptions
{
    public static readonly ItemKnnOptions Defaults = new();

    /// <summary>Neighbours kept per item. <value>The default value is 100.</value></summary>
    public int Neighbours { get; init; } = 100;
    /// <summary><value>The default value is <see cref="ItemSimilarity.Cosine"/>.</value></summary>
    public ItemSimilarity Similarity { get; init; } = ItemSimilarity.Cosine;
    /// <summary>Asymmetry of the cosine: 0.5 is symmetric. <value>The default value is 0.5.</value></summary>
    public float Alpha { get; init; } = 0.5f;
    /// <summary>Added to the denominator so rare pairs count less. <value>The default value is 10.</value></summary>
    public float Shrink { get; init; } = 10f;
    /// <summary>Count people, not interaction strength. <value>The default value is <see langword="true"/>.</value></summary>
    public bool Binary { get; init; } = true;
    /// <summary>Weight of each older history item relative to the next newer one (1 = all equal). <value>The default value is 1.</value></summary>
    public float HistoryDecay { get; init; } = 1f;

    /// <summary>
    /// Learn only from these event type codes (e.g. purchase and add-to-cart for "bought together", view and click for
    /// "viewed together"); null = every event. Needs <see cref="TrainingData.Events"/>. <value>The default value is null.</value>
    /// </summary>
    public IReadOnlySet<int>? EventTypes { get; init; }

    /// <summary>Older interactions count less: weight × 0.5^(age / half-life). 0 = no decay. Needs event times.
    /// <value>The default value is 0.</value></summary>
    public double HalfLifeDays { get; init; }
}

public sealed class ItemKnnTrainer(ItemKnnOptions options) : IRecommenderTrainer
{
    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var m = data.Interactions;
        if ((options.EventTypes is not null || options.HalfLifeDays > 0) && data.Events is { } events)
            m = events.ToMatrix(m.Users, m.Items, options.EventTypes, options.HalfLifeDays);
        else if (options.EventTypes is not null)
            throw new InvalidOperationException("item-kNN by event type needs the raw events");
        int n = m.Items;
        int k = Math.Max(1, options.Neighbours);
        var byItem = m.Transpose();

        // Per-item norm: people (binary) or the root of summed squared strengths.
        var norm = new float[n];
        for (int i = 0; i < n; i++)
        {
            if (options.Binary) norm[i] = byItem.CountOf(i);
            else
            {
                float s = 0;
                foreach (float v in byItem.ValuesOf(i)) s += v * v;
                norm[i] = options.Similarity == ItemSimilarity.Cosine ? s : MathF.Sqrt(s);
            }
        }
        float people = m.Users;

        var neighbours = new int[(long)n * k];
        var similarities = new float[(long)n * k];
        var counts = new int[n];
        var scratch = new ThreadLocal<(float[] Acc, int[] Touched, float[] HeapS, int[] HeapI)>(
            () => (new float[n], new int[n], new float[k], new int[k]));
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, data.Threads), CancellationToken = cancellationToken }, i =>
        {
            var (acc, touched, heapS, heapI) = scratch.Value;
            int touchedCount = 0;
            var users = byItem.ItemsOf(i);
            var strengths = byItem.ValuesOf(i);
            for (int a = 0; a < users.Length; a++)
            {
                float vi = options.Binary ? 1f : strengths[a];
                var items = m.ItemsOf(users[a]);
                var values = m.ValuesOf(users[a]);
                for (int b = 0; b < items.Length; b++)
                {
                    int j = items[b];
                    if (j == i) continue;
                    if (acc[j] == 0) touched[touchedCount++] = j;
                    acc[j] += vi * (options.Binary ? 1f : values[b]);
                }
            }
            // Keep the k best in a min-heap.
            int size = 0;
            for (int t = 0; t < touchedCount; t++)
            {
                int j = touched[t];
                float c = acc[j];
                acc[j] = 0;
                float s = options.Similarity switch
                {
                    ItemSimilarity.Jaccard => c / (norm[i] + norm[j] - c + options.Shrink),
                    ItemSimilarity.Lift => c * people / (norm[i] * norm[j] + options.Shrink),
                    _ => c / (MathF.Pow(norm[i], options.Alpha) * MathF.Pow(norm[j], 1 - options.Alpha) + options.Shrink),
                };
                if (!(s > 0)) continue;
                if (size < k) { heapS[size] = s; heapI[size] = j; size++; if (size == k) Heapify(heapS, heapI, size); }
                else if (s > heapS[0]) { heapS[0] = s; heapI[0] = j; SiftDown(heapS, heapI, size, 0); }
            }
            // Sort best first.
            Array.Sort(heapS, heapI, 0, size);
            long row = (long)i * k;
            for (int t = 0; t < size; t++)
            {
                neighbours[row + t] = heapI[size - 1 - t];
                similarities[row + t] = heapS[size - 1 - t];
            }
            counts[i] = size;
        });
        scratch.Dispose();

        // Compact to CSR.
        var start = new int[n + 1];
        for (int i = 0; i < n; i++) start[i + 1] = start[i] + counts[i];
        var ids = new int[start[n]];
        var sims = new float[start[n]];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(neighbours, (long)i * k, ids, start[i], counts[i]);
            Array.Copy(similarities, (long)i * k, sims, start[i], counts[i]);
        }
        return new ItemKnnModel(start, ids, sims, options.HistoryDecay);
    }

    private static void Heapify(float[] s, int[] ids, int size)
    {
        for (int p = size / 2 - 1; p >= 0; p--) SiftDown(s, ids, size, p);
    }

    private static void SiftDown(float[] s, int[] ids, int size, int p)
    {
        while (true)
        {
            int l = 2 * p + 1, r = l + 1, m = p;
            if (l < size && s[l] < s[m]) m = l;
            if (r < size && s[r] < s[m]) m = r;
            if (m == p) return;
            (s[p], s[m]) = (s[m], s[p]);
            (ids[p], ids[m]) = (ids[m], ids[p]);
            p = m;
        }
    }
}
