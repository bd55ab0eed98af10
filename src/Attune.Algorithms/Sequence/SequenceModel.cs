using Attune.Algorithms.Data;

namespace Attune.Algorithms.Sequence;

/// <summary>
/// Next-item scores ("after X, people take Y") for a history in time order, from four kinds of evidence: multi-step item
/// transitions, STAN-like session neighbours, the session's own items (re-visits) and popularity. They are combined either by
/// fixed weights on each part scaled to a maximum of 1 (<see cref="SequenceOptions.Learn"/> = false), or log-linearly with
/// weights the trainer fits on held-out next items (a softmax over candidates). Nothing is learned per user, so a live
/// session is scored from its prefix alone (<c>user = -1</c>); for a known user the given history is used the same way, and
/// the user's own training sequence is not taken as its own neighbour.
/// </summary>
public sealed class SequenceModel : IRecommender
{
    /// <summary>Features of one (history, item) pair in the learned combination; all are 0 for an item without evidence.</summary>
    internal const int FeatureCount = 26;
    internal const int PopularityFeature = 24;

    private readonly SequenceOptions _o;
    private readonly ItemTransitions? _transitions;
    private readonly SessionNeighbors? _neighbors;
    private readonly float[] _popularity;
    private readonly float[] _recent;
    private readonly float[]? _weights;
    private readonly float[] _base;
    private readonly ThreadLocal<Scratch> _scratch;

    internal SequenceModel(
        string name, SequenceOptions options, ItemTransitions? transitions, SessionNeighbors? neighbors, float[] popularity,
        float[] recent, float[]? weights)
    {
        if (recent.Length != popularity.Length) throw new InvalidDataException("popularity arrays differ in length");
        if (weights is not null && weights.Length != FeatureCount) throw new InvalidDataException($"expected {FeatureCount} weights");
        Name = name;
        _o = options;
        _transitions = transitions;
        _neighbors = neighbors;
        _popularity = popularity;
        _recent = recent;
        _weights = weights;
        _base = new float[popularity.Length];
        float lowest = 0;
        for (int j = 0; j < _base.Length; j++)
        {
            _base[j] = weights is null
                ? options.PopularityWeight * popularity[j]
                : weights[PopularityFeature] * PopularityLog(popularity[j]) + weights[PopularityFeature + 1] * PopularityLog(recent[j]);
            if (popularity[j] > 0) lowest = MathF.Min(lowest, _base[j]);
        }
        // Items never seen in training come last (the fitted weights know nothing of them).
        for (int j = 0; j < _base.Length; j++)
        {
            if (popularity[j] == 0) _base[j] = lowest - 1;
        }
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(popularity.Length, neighbors?.Sessions ?? 0));
    }

    public string Name { get; }
    public int Items => _popularity.Length;
    public SequenceOptions Options => _o;
    /// <summary>The fitted weights of the learned combination (null for fixed weights).</summary>
    public IReadOnlyList<float>? CombinationWeights => _weights;
    internal float RecentPopularity(int item) => _recent[item];
    internal float Popularity(int item) => _popularity[item];

    /// <summary>Popularity (scaled to a maximum of 1) as a feature: 0 for an unseen item.</summary>
    private static float PopularityLog(float p) => MathF.Log(1f + 1e4f * p);

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        if (scores.Length != Items) throw new ArgumentException($"scores must have {Items} entries", nameof(scores));
        _base.CopyTo(scores);
        if (history.IsEmpty) return;
        var s = _scratch.Value!;
        Evidence(user, history, s);
        var union = s.Union;
        // The fixed-weight mix; with learned weights it is added × Blend (0 = the learned combination alone).
        float blend = _weights is null ? 1f : _o.Blend;
        if (blend > 0)
        {
            float wt = s.T.Max > 0 ? blend * _o.TransitionWeight / s.T.Max : 0f;
            float wk = s.K.Max > 0 ? blend * _o.NeighborWeight / s.K.Max : 0f;
            float wr = s.R.Max > 0 ? blend * _o.RepeatWeight / s.R.Max : 0f;
            foreach (int j in union) scores[j] += wt * s.T.Values[j] + wk * s.K.Values[j] + wr * s.R.Values[j];
        }
        if (_weights is not null)
        {
            Span<float> f = stackalloc float[FeatureCount];
            var w = _weights;
            bool doubleClick = DoubleClick(history);
            foreach (int j in union)
            {
                SessionFeatures(s, j, history.Length, doubleClick, f);
                float z = 0;
                for (int x = 0; x < PopularityFeature; x++) z += w[x] * f[x];
                scores[j] += z;
            }
        }
        s.Reset();
    }

    /// <summary>
    /// For fitting the combination: the features of up to <paramref name="maxCandidates"/> items with evidence (strongest
    /// first by a simple prior), the <paramref name="popular"/> items, the target, and <paramref name="random"/> items that
    /// each stand for a share of the rest (<paramref name="seen"/> items in all). Appends rows of <see cref="FeatureCount"/>
    /// features and a logit offset to <paramref name="features"/>; returns the row count and the target's row.
    /// </summary>
    internal int CandidateFeatures(
        int user, ReadOnlySpan<int> history, int target, int maxCandidates, ReadOnlySpan<int> popular, ReadOnlySpan<int> random,
        int seen, List<float> features, out int targetRow)
    {
        var s = _scratch.Value!;
        Evidence(user, history, s);
        var union = s.Union;
        var order = s.Order;
        order.Clear();
        foreach (int j in union)
        {
            float prior = (s.K.Max > 0 ? s.K.Values[j] / s.K.Max : 0) + (s.T.Max > 0 ? s.T.Values[j] / s.T.Max : 0) + (s.RepeatAt[j] > 0 ? 1 : 0);
            order.Add((prior, j));
        }
        if (order.Count > maxCandidates)
        {
            order.Sort((a, b) => b.Prior.CompareTo(a.Prior));
            order.RemoveRange(maxCandidates, order.Count - maxCandidates);
        }
        Span<float> f = stackalloc float[FeatureCount];
        bool doubleClick = DoubleClick(history);
        int rows = 0;
        targetRow = -1;
        int stamp = ++s.KeptStamp;
        int length = history.Length;
        void Row(int j, float offset, Span<float> f, List<float> features)
        {
            if (s.Mark[j] == s.Stamp) SessionFeatures(s, j, length, doubleClick, f);
            else f.Clear();
            AddRow(features, f, j, offset);
            s.Kept[j] = stamp;
        }
        // The strongest items with evidence and the most popular items, each as itself.
        foreach (var (_, j) in order)
        {
            if (j == target) targetRow = rows;
            Row(j, 0, f, features);
            rows++;
        }
        foreach (int j in popular)
        {
            if (s.Kept[j] == stamp) continue;
            if (j == target) targetRow = rows;
            Row(j, 0, f, features);
            rows++;
        }
        if (targetRow < 0)
        {
            Row(target, 0, f, features);
            targetRow = rows++;
        }
        // Random other items, each standing for (seen − kept) / count items: the sampled-softmax correction, so the fit
        // sees how many weaker items compete.
        float offset = MathF.Log(MathF.Max(1f, (seen - rows) / (float)Math.Max(1, random.Length)));
        foreach (int j in random)
        {
            if (s.Kept[j] == stamp) continue;
            Row(j, offset, f, features);
            rows++;
        }
        s.Reset();
        return rows;
    }

    /// <summary>Whether the history ends with the same item twice.</summary>
    private static bool DoubleClick(ReadOnlySpan<int> history) => history.Length >= 2 && history[^1] == history[^2];

    /// <summary>Appends one row: the features, then a fixed logit offset.</summary>
    private void AddRow(List<float> features, Span<float> f, int j, float offset)
    {
        f[PopularityFeature] = PopularityLog(_popularity[j]);
        f[PopularityFeature + 1] = PopularityLog(_recent[j]);
        foreach (float v in f) features.Add(v);
        features.Add(offset);
    }

    /// <summary>The session features of item <paramref name="j"/> (all but the two popularity ones, left alone).</summary>
    private static void SessionFeatures(Scratch s, int j, int length, bool doubleClick, Span<float> f)
    {
        float k = s.K.Max > 0 ? s.K.Values[j] / s.K.Max : 0f;
        float t = s.T.Max > 0 ? s.T.Values[j] / s.T.Max : 0f;
        float l = s.L.Max > 0 ? s.L.Values[j] / s.L.Max : 0f;
        f[..PopularityFeature].Clear();
        f[0] = MathF.Log(1f + 100f * k);
        f[1] = MathF.Log(1f + 100f * t);
        f[2] = MathF.Log(1f + 100f * l);
        f[3] = k;
        f[4] = t;
        f[5] = l;
        int at = s.RepeatAt[j]; // 1 + places before the latest item, 0 = not in the history
        if (at == 1) f[length == 1 ? 6 : length == 2 ? 7 : length <= 4 ? 8 : 9] = 1;
        else if (at == 2) f[length == 2 ? 10 : 11] = 1;
        else if (at == 3) f[12] = 1;
        else if (at is >= 4 and <= 6) f[13] = 1;
        else if (at >= 7) f[14] = 1;
        if (at > 0)
        {
            f[15] = MathF.Log(s.RepeatCount[j]);
            f[16] = doubleClick ? 1 : 0;
        }
        float logLength = MathF.Log(length);
        f[17] = 1; // has evidence
        f[18] = logLength;
        if (length == 1)
        {
            f[19] = f[0];
            f[20] = f[1];
        }
        f[21] = MathF.Log(1f + s.Support.Values[j]);
        f[22] = s.P.Max > 0 ? MathF.Log(1f + 100f * s.P.Values[j] / s.P.Max) : 0f;
        f[23] = s.W.Max > 0 ? MathF.Log(1f + 100f * s.W.Values[j] / s.W.Max) : 0f;
    }

    /// <summary>Fills the accumulators of every part and the union of items with any evidence.</summary>
    private void Evidence(int user, ReadOnlySpan<int> history, Scratch s)
    {
        if (_transitions is not null && _o.TransitionWeight > 0)
        {
            int n = Math.Min(history.Length, Math.Max(1, _o.HistoryLength));
            float w = 1f;
            for (int k = 0; k < n; k++, w *= _o.HistoryDecay)
                _transitions.Accumulate(history[history.Length - 1 - k], w, s.T.Values, s.T.Touched);
            if (_weights is not null || _o.Learn)
            {
                _transitions.Accumulate(history[^1], 1f, s.L.Values, s.L.Touched);
                if (history.Length >= 2) _transitions.Accumulate(history[^2], 1f, s.P.Values, s.P.Touched);
                // Two steps from the latest item, through its strongest successors.
                s.L.ComputeMax();
                float cut = 0.2f * s.L.Max;
                foreach (int m in s.L.Touched)
                {
                    if (s.L.Values[m] >= cut) _transitions.Accumulate(m, s.L.Values[m], s.W.Values, s.W.Touched);
                }
            }
        }
        if (_neighbors is not null && _o.NeighborWeight > 0) AccumulateNeighbors(user, history, s);
        float inv = 1f / MathF.Max(_o.RepeatDecay, 1e-6f);
        for (int k = 0; k < history.Length; k++)
        {
            int i = history[history.Length - 1 - k];
            if ((uint)i >= (uint)Items) continue;
            if (s.RepeatAt[i] == 0)
            {
                s.RepeatAt[i] = k + 1;
                s.Repeated.Add(i);
            }
            s.RepeatCount[i]++;
            if (s.R.Values[i] == 0) s.R.Touched.Add(i);
            s.R.Values[i] += MathF.Exp(-k * inv);
        }
        s.BuildUnion();
    }

    private void AccumulateNeighbors(int user, ReadOnlySpan<int> history, Scratch s)
    {
        var nb = _neighbors!;
        int own = user >= 0 && user < nb.Sessions ? user : -1;
        // Weights of the current session's distinct items, latest occurrence: exp(-k/λ1).
        int h = Math.Min(history.Length, Math.Max(1, _o.NeighborHistory));
        float inv1 = 1f / MathF.Max(_o.SessionDecay, 1e-6f);
        var distinct = s.Distinct;
        distinct.Clear();
        for (int k = 0; k < h; k++)
        {
            int i = history[history.Length - 1 - k];
            if ((uint)i >= (uint)Items || s.ItemWeight[i] != 0) continue;
            s.ItemWeight[i] = MathF.Exp(-k * inv1);
            distinct.Add(i);
        }
        // Candidate sessions: the latest `Sample` holding each item; similarity = Σ shared item weights.
        var sim = s.Similarity;
        var cand = s.Candidates;
        cand.Clear();
        foreach (int i in distinct)
        {
            var post = nb.SessionsWith(i);
            float w = s.ItemWeight[i];
            if (_o.Idf != 0) w *= MathF.Pow(post.Length, -_o.Idf);
            if (_o.Sample > 0 && post.Length > _o.Sample) post = post[.._o.Sample];
            foreach (int t in post)
            {
                if (t == own) continue;
                if (sim[t] == 0) cand.Add(t);
                sim[t] += w;
            }
        }
        // Top-k by normalized, recency-weighted similarity (min-heap).
        int k2 = Math.Max(1, _o.Neighbors);
        var heapS = s.HeapScore;
        var heapI = s.HeapSession;
        if (heapS.Length < k2)
        {
            heapS = s.HeapScore = new float[k2];
            heapI = s.HeapSession = new int[k2];
        }
        int size = 0;
        float inv2 = _o.RecencyDecay > 0 ? 1f / _o.RecencyDecay : 0f;
        int latest = nb.Sessions - 1;
        foreach (int t in cand)
        {
            float v = sim[t];
            sim[t] = 0;
            if (_o.LengthNorm != 0) v *= MathF.Pow(nb.SessionSize[t], -_o.LengthNorm);
            if (inv2 > 0) v *= MathF.Exp(-(latest - t) * inv2);
            if (size < k2)
            {
                int c = size++;
                while (c > 0)
                {
                    int p = (c - 1) >> 1;
                    if (heapS[p] <= v) break;
                    heapS[c] = heapS[p];
                    heapI[c] = heapI[p];
                    c = p;
                }
                heapS[c] = v;
                heapI[c] = t;
            }
            else if (v > heapS[0])
            {
                int c = 0;
                while (true)
                {
                    int l = 2 * c + 1;
                    if (l >= size) break;
                    int m = l + 1 < size && heapS[l + 1] < heapS[l] ? l + 1 : l;
                    if (heapS[m] >= v) break;
                    heapS[c] = heapS[m];
                    heapI[c] = heapI[m];
                    c = m;
                }
                heapS[c] = v;
                heapI[c] = t;
            }
        }
        // Items of each neighbour, weighted by their distance to the latest shared item.
        float invA = 1f / MathF.Max(_o.AfterDecay, 1e-6f);
        float invB = 1f / MathF.Max(_o.BeforeDecay, 1e-6f);
        float bw = _o.BeforeWeight;
        var acc = s.K.Values;
        for (int x = 0; x < size; x++)
        {
            float v = _o.SimilarityPower == 1f ? heapS[x] : MathF.Pow(heapS[x], _o.SimilarityPower);
            var items = nb.Session(heapI[x]);
            int star = 0;
            float best = -1;
            for (int q = 0; q < items.Length; q++)
            {
                float w = s.ItemWeight[items[q]];
                if (w > best)
                {
                    best = w;
                    star = q;
                }
            }
            for (int q = 0; q < items.Length; q++)
            {
                int d = q - star;
                float w;
                if (d > 0) w = MathF.Exp(-(d - 1) * invA);
                else if (d < 0 && bw > 0) w = bw * MathF.Exp((d + 1) * invB);
                else continue;
                int j = items[q];
                if (acc[j] == 0) s.K.Touched.Add(j);
                acc[j] += v * w;
                s.Support.Values[j] += 1;
            }
        }
        foreach (int i in distinct) s.ItemWeight[i] = 0;
    }


    public void Save(BinaryWriter writer)
    {
        writer.Write(2); // payload version
        _o.Write(writer);
        ModelCatalog.WriteArray(writer, _popularity);
        ModelCatalog.WriteArray(writer, _recent);
        writer.Write(_weights is not null);
        if (_weights is not null) ModelCatalog.WriteArray(writer, _weights);
        writer.Write(_transitions is not null);
        _transitions?.Save(writer);
        writer.Write(_neighbors is not null);
        _neighbors?.Save(writer);
    }

    internal static SequenceModel Load(string name, BinaryReader r)
    {
        int version = r.ReadInt32();
        if (version != 2) throw new InvalidDataException($"{name} payload version {version} is not supported");
        var o = SequenceOptions.Read(r);
        var popularity = ModelCatalog.ReadFloats(r);
        var recent = ModelCatalog.ReadFloats(r);
        var weights = r.ReadBoolean() ? ModelCatalog.ReadFloats(r) : null;
        var transitions = r.ReadBoolean() ? ItemTransitions.Load(r) : null;
        var neighbors = r.ReadBoolean() ? SessionNeighbors.Load(r) : null;
        return new SequenceModel(name, o, transitions, neighbors, popularity, recent, weights);
    }

    /// <summary>A dense accumulator that remembers which entries it touched, so it returns to zero cheaply.</summary>
    private sealed class Accumulator(int items)
    {
        public readonly float[] Values = new float[items];
        public readonly List<int> Touched = new(256);
        public float Max;

        public void ComputeMax()
        {
            float m = 0;
            foreach (int j in Touched) m = MathF.Max(m, Values[j]);
            Max = m;
        }

        public void Reset()
        {
            foreach (int j in Touched) Values[j] = 0;
            Touched.Clear();
            Max = 0;
        }
    }

    /// <summary>Per-thread buffers; every one is back to zero after each call.</summary>
    private sealed class Scratch(int items, int sessions)
    {
        public readonly Accumulator T = new(items), L = new(items), K = new(items), R = new(items), P = new(items), W = new(items);
        /// <summary>How many neighbours hold each item (shares <see cref="K"/>'s touched list).</summary>
        public readonly Accumulator Support = new(items);
        public readonly int[] RepeatAt = new int[items];
        public readonly int[] RepeatCount = new int[items];
        public readonly List<int> Repeated = new(64);
        public readonly int[] Mark = new int[items];
        public readonly int[] Kept = new int[items];
        public int KeptStamp;
        public int Stamp;
        public readonly List<int> Union = new(1024);
        public readonly List<(float Prior, int Item)> Order = new(1024);
        public readonly float[] ItemWeight = new float[items];
        public readonly List<int> Distinct = new(64);
        public readonly float[] Similarity = new float[sessions];
        public readonly List<int> Candidates = new(4096);
        public float[] HeapScore = [];
        public int[] HeapSession = [];

        public void BuildUnion()
        {
            if (++Stamp == int.MaxValue)
            {
                Array.Clear(Mark);
                Stamp = 1;
            }
            Union.Clear();
            foreach (var a in (ReadOnlySpan<Accumulator>)[T, L, K, R, P, W])
            {
                a.ComputeMax();
                foreach (int j in a.Touched)
                {
                    if (Mark[j] == Stamp) continue;
                    Mark[j] = Stamp;
                    Union.Add(j);
                }
            }
        }

        public void Reset()
        {
            foreach (int j in K.Touched) Support.Values[j] = 0;
            T.Reset();
            L.Reset();
            K.Reset();
            R.Reset();
            P.Reset();
            W.Reset();
            foreach (int i in Repeated)
            {
                RepeatAt[i] = 0;
                RepeatCount[i] = 0;
            }
            Repeated.Clear();
        }
    }
}
