using Attune.Algorithms.Data;

namespace Attune.Algorithms.Content;

/// <summary>
/// Content-based recommendations: each item is a TF-IDF vector over the words of its text and its attribute tokens
/// (categories, brand, tags), L2-normalised; a person's profile is the sum of the vectors of their history (newest weighted
/// most); an item's score is its cosine with that profile. Serves items nobody has interacted with yet.
/// </summary>
/// <remarks>
/// Storage: item vectors as CSR over token ids and the inverted index (token → items) for scoring, so scoring touches only
/// the items that share a token with the profile. Weights: sublinear term frequency (1 + ln tf) × idf (ln(N / df)), where each
/// attribute token counts as <see cref="ContentOptions.AttributeWeight"/> occurrences (below 1, tf scales the idf linearly).
/// </remarks>
public sealed class ContentModel : IRecommender
{
    private readonly int _items;
    private readonly int _tokens;
    private readonly int[] _itemStart, _itemTokens;
    private readonly float[] _itemWeights;
    private readonly int[] _tokenStart, _tokenItems;
    private readonly float[] _tokenWeights;
    private readonly float _historyDecay;

    [ThreadStatic] private static float[]? t_profile;
    [ThreadStatic] private static int[]? t_touched;

    public ContentModel(int items, int tokens, int[] itemStart, int[] itemTokens, float[] itemWeights, float historyDecay)
    {
        _items = items;
        _tokens = tokens;
        _itemStart = itemStart;
        _itemTokens = itemTokens;
        _itemWeights = itemWeights;
        _historyDecay = historyDecay;
        // Inverted index from the item vectors.
        _tokenStart = new int[tokens + 1];
        foreach (int t in itemTokens) _tokenStart[t + 1]++;
        for (int t = 0; t < tokens; t++) _tokenStart[t + 1] += _tokenStart[t];
        var next = (int[])_tokenStart.Clone();
        _tokenItems = new int[itemTokens.Length];
        _tokenWeights = new float[itemTokens.Length];
        for (int i = 0; i < items; i++)
        {
            for (int p = itemStart[i]; p < itemStart[i + 1]; p++)
            {
                int q = next[itemTokens[p]]++;
                _tokenItems[q] = i;
                _tokenWeights[q] = itemWeights[p];
            }
        }
    }

    public string Name => "content";
    public int Items => _items;

    /// <summary>
    /// Sums the history's item vectors (newest weighted most) into this thread's token profile; returns how many tokens it
    /// touched (listed in <paramref name="touched"/>). Callers reset the profile entries they read back to 0.
    /// </summary>
    private int BuildProfile(ReadOnlySpan<int> history, out float[] profile, out int[] touched)
    {
        profile = t_profile is { Length: var l } && l >= _tokens ? t_profile : t_profile = new float[_tokens];
        touched = t_touched is { Length: var lt } && lt >= _tokens ? t_touched : t_touched = new int[_tokens];
        int count = 0;
        float w = 1f;
        for (int h = history.Length - 1; h >= 0; h--, w *= _historyDecay)
        {
            int i = history[h];
            if ((uint)i >= (uint)_items) continue;
            for (int p = _itemStart[i]; p < _itemStart[i + 1]; p++)
            {
                // A token every item has weighs 0 (idf), and a long history's oldest weights underflow to 0: adding nothing
                // would leave the entry at 0 and list the token again, once per history item, past touched's end.
                float add = w * _itemWeights[p];
                if (add == 0) continue;
                int t = _itemTokens[p];
                if (profile[t] == 0) touched[count++] = t;
                profile[t] += add;
            }
        }
        return count;
    }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        scores[.._items].Clear();
        int count = BuildProfile(history, out var profile, out var touched);
        for (int c = 0; c < count; c++)
        {
            int t = touched[c];
            float pw = profile[t];
            profile[t] = 0;
            for (int q = _tokenStart[t]; q < _tokenStart[t + 1]; q++) scores[_tokenItems[q]] += pw * _tokenWeights[q];
        }
    }

    [ThreadStatic] private static float[]? t_itemScores;
    [ThreadStatic] private static int[]? t_itemTouched;

    /// <summary>
    /// The <paramref name="k"/> items most similar to the history (best first, into <paramref name="result"/>; returns how
    /// many), looking only at the items that share a token with it: for a large catalog, far less than scoring every item.
    /// </summary>
    /// <param name="maxPostings">Tokens held by more items than this are passed over (a department every tenth item shares
    /// says little about which items are nearest, and would cost the most).</param>
    public int MostSimilar(ReadOnlySpan<int> history, int k, Span<int> result, int maxPostings = int.MaxValue)
    {
        var scores = t_itemScores is { Length: var ls } && ls >= _items ? t_itemScores : t_itemScores = new float[_items];
        var items = t_itemTouched is { Length: var li } && li >= _items ? t_itemTouched : t_itemTouched = new int[_items];
        int count = BuildProfile(history, out var profile, out var touched), itemCount = 0;
        for (int c = 0; c < count; c++)
        {
            int t = touched[c];
            float pw = profile[t];
            profile[t] = 0;
            if (_tokenStart[t + 1] - _tokenStart[t] > maxPostings) continue;
            for (int q = _tokenStart[t]; q < _tokenStart[t + 1]; q++)
            {
                float add = pw * _tokenWeights[q];
                if (!(add > 0)) continue; // (a token every item has weighs 0); scores only grow, so each item is listed once
                int j = _tokenItems[q];
                if (scores[j] == 0) items[itemCount++] = j;
                scores[j] += add;
            }
        }
        // Top k among the touched items: a min-heap of (score, item).
        k = Math.Min(k, Math.Min(result.Length, itemCount));
        Span<float> heap = k <= 512 ? stackalloc float[k] : new float[k];
        var heapItems = result[..k];
        int size = 0;
        for (int x = 0; x < itemCount; x++)
        {
            int j = items[x];
            float s = scores[j];
            scores[j] = 0;
            if (size < k)
            {
                int c = size++;
                while (c > 0 && heap[(c - 1) >> 1] > s) { heap[c] = heap[(c - 1) >> 1]; heapItems[c] = heapItems[(c - 1) >> 1]; c = (c - 1) >> 1; }
                heap[c] = s;
                heapItems[c] = j;
            }
            else if (s > heap[0])
            {
                int c = 0;
                while (true)
                {
                    int left = 2 * c + 1;
                    if (left >= size) break;
                    int m = left + 1 < size && heap[left + 1] < heap[left] ? left + 1 : left;
                    if (!(heap[m] < s)) break;
                    heap[c] = heap[m];
                    heapItems[c] = heapItems[m];
                    c = m;
                }
                heap[c] = s;
                heapItems[c] = j;
            }
        }
        // Best first.
        var order = heapItems[..size];
        var keys = heap[..size];
        keys.Sort(order);
        order.Reverse();
        return size;
    }

    /// <summary>
    /// Scores only <paramref name="items"/> (writing <c>scores[item]</c> for each; other entries untouched): the cosine of each
    /// with the history's profile. For large catalogs, where scoring every item through the inverted index costs more than the
    /// candidates need.
    /// </summary>
    public void ScoreItems(ReadOnlySpan<int> history, ReadOnlySpan<int> items, Span<float> scores)
    {
        int count = BuildProfile(history, out var profile, out var touched);
        foreach (int j in items)
        {
            if ((uint)j >= (uint)_items) { scores[j] = 0; continue; }
            float dot = 0;
            for (int p = _itemStart[j]; p < _itemStart[j + 1]; p++) dot += profile[_itemTokens[p]] * _itemWeights[p];
            scores[j] = dot;
        }
        for (int c = 0; c < count; c++) profile[touched[c]] = 0;
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(_items);
        writer.Write(_tokens);
        writer.Write(_historyDecay);
        ModelCatalog.WriteArray(writer, _itemStart);
        ModelCatalog.WriteArray(writer, _itemTokens);
        ModelCatalog.WriteArray(writer, _itemWeights);
    }

    public static readonly ModelDescriptor Descriptor = new(
        "content",
        "Content-based: TF-IDF over item text and attributes, cosine with the person's history profile",
        p => new ContentTrainer(new ContentOptions
        {
            AttributeWeight = p.Float("attributeWeight", ContentOptions.Defaults.AttributeWeight),
            HistoryDecay = p.Float("decay", ContentOptions.Defaults.HistoryDecay),
        }),
        r =>
        {
            int items = r.ReadInt32(), tokens = r.ReadInt32();
            float decay = r.ReadSingle();
            return new ContentModel(items, tokens, ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r), ModelCatalog.ReadFloats(r), decay);
        },
        [new ParameterRange("attributeWeight", 0.2, 5, LogScale: true), new ParameterRange("decay", 0.5, 1.0)]);
}

/// <summary>Hyper-parameters of <see cref="ContentModel"/>.</summary>
public sealed record ContentOptions
{
    public static readonly ContentOptions Defaults = new();

    /// <summary>Weight of attribute tokens relative to words. <value>The default value is 2.</value></summary>
    public float AttributeWeight { get; init; } = 2f;

    /// <summary>Weight of each older history item relative to the next newer one. <value>The default value is 0.9.</value></summary>
    public float HistoryDecay { get; init; } = 0.9f;
}

public sealed class ContentTrainer(ContentOptions options) : IRecommenderTrainer
{
    private static readonly HashSet<string> s_stopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "its", "of", "on", "or", "the", "this",
        "to", "with", "your", "you", "our", "that", "these", "those",
    };

    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var content = data.Content ?? throw new InvalidOperationException("the content model needs item text or attributes");
        int n = data.Items;
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var itemTerms = new List<(int Token, float Tf)>[n];
        var df = new List<int>();
        var counts = new Dictionary<int, float>();
        for (int i = 0; i < n; i++)
        {
            counts.Clear();
            if (i < content.Text.Length && content.Text[i] is { } text)
            {
                foreach (string word in Words(text)) Add(word, 1f);
            }
            if (i < content.Attributes.Length)
            {
                foreach (string a in content.Attributes[i]) Add(a, options.AttributeWeight);
            }
            var terms = new List<(int, float)>(counts.Count);
            foreach (var (t, tf) in counts)
            {
                terms.Add((t, tf));
                df[t]++;
            }
            itemTerms[i] = terms;
        }

        var start = new int[n + 1];
        for (int i = 0; i < n; i++) start[i + 1] = start[i] + itemTerms[i].Count;
        var tokens = new int[start[n]];
        var weights = new float[start[n]];
        for (int i = 0; i < n; i++)
        {
            int p = start[i];
            double norm = 0;
            foreach (var (t, tf) in itemTerms[i])
            {
                float w = (1 + MathF.Log(Math.Max(tf, 1e-6f))) * MathF.Log((float)n / df[t]);
                if (tf < 1) w = tf * MathF.Log((float)n / df[t]); // attribute weights below 1 scale linearly
                tokens[p] = t;
                weights[p++] = w;
                norm += (double)w * w;
            }
            float inv = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0;
            for (int q = start[i]; q < p; q++) weights[q] *= inv;
        }
        return new ContentModel(n, vocabulary.Count, start, tokens, weights, options.HistoryDecay);

        void Add(string token, float weight)
        {
            if (!vocabulary.TryGetValue(token, out int id))
            {
                id = vocabulary.Count;
                vocabulary[token] = id;
                df.Add(0);
            }
            counts[id] = counts.GetValueOrDefault(id) + weight;
        }
    }

    /// <summary>Lower-case words of two or more letters or digits, stop words removed.</summary>
    public static IEnumerable<string> Words(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !char.IsLetterOrDigit(text[i])) i++;
            int s = i;
            while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
            if (i - s < 2) continue;
            string w = text[s..i].ToLowerInvariant();
            if (!s_stopWords.Contains(w)) yield return w;
        }
    }
}
