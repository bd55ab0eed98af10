using System.Numerics;
using System.Runtime.CompilerServices;
using Attune.Decisions.Features;

namespace Attune.Decisions.Learning;

/// <summary>
/// The action-dependent-features contextual bandit learner (VW's <c>--cb_explore_adf -q ::</c> with the <c>mtr</c> reduction):
/// one linear model over hashed features predicts the reward of an (context, action) pair from the intercept, the context's
/// features, the action's features and every context × action product. It learns from the chosen action only, by a squared
/// loss weighted by the inverse of the probability it was chosen with (clipped), with per-weight adaptive step sizes
/// (1/√ of the evidence each weight has seen) and a step bounded so one example never moves the prediction past its target
/// (importance-weight safety).
/// </summary>
/// <remarks>
/// Scoring reads the weights without a lock while one thread learns (as VW's and Hogwild's readers do): a rank that races an
/// update sees some weights before and some after it. <see cref="Learn"/> calls must not overlap (the service learns on one
/// thread). Hot paths allocate nothing.
/// </remarks>
public sealed class CbLearner
{
    private const uint CrossMultiplier = 0x9E3779B1u, IndexMultiplier = 0x85EBCA6Bu;

    private readonly float[] _weights;
    private readonly float[] _evidence; // Σ x² per weight: the adaptive step sizes and Thompson sampling's posterior precision
    private readonly int _shift;
    private readonly bool _interactions;
    private readonly bool _conversion;
    private readonly Lock _learnGate = new();
    // Learn's buffers (one learner thread): the example's weight indices and values.
    private int[] _index = new int[256];
    private float[] _value = new float[256];
    private long _examples;

    public CbLearner(LearningSettings settings)
    {
        Settings = settings;
        int size = 1 << settings.Bits;
        _weights = new float[size];
        _evidence = new float[size];
        _shift = 32 - settings.Bits;
        _interactions = settings.Interactions;
        _conversion = settings.RewardModel == RewardModel.Conversion;
    }

    public LearningSettings Settings { get; }

    /// <summary>Examples learned so far (SquareCB's γ grows with it).</summary>
    public long Examples => Volatile.Read(ref _examples);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(uint hash) => (int)((hash * IndexMultiplier) >> _shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CrossIndex(uint context, uint actionMixed) => (int)(((context ^ actionMixed) * IndexMultiplier) >> _shift);

    /// <summary>The predicted reward of each action in <paramref name="context"/>.</summary>
    /// <param name="deviations">When not empty, also each prediction's posterior standard deviation (Thompson sampling), unscaled.</param>
    /// <remarks>
    /// The context × action part factors by action feature: Σᵢ Σⱼ xᵢ vⱼ w(cᵢ, aⱼ) = Σⱼ vⱼ · Σᵢ xᵢ w(cᵢ, aⱼ), and the inner sum depends
    /// only on the action feature's hash, which actions share (a category, a colour, a discount level). Each distinct hash's inner
    /// sum is computed once per call (a small table keyed by the hash), so 50 actions × 30 features that share most of their
    /// features cost a few thousand weight reads instead of 45,000. Thompson sampling's variance factors the same way.
    /// </remarks>
    [SkipLocalsInit]
    public void Score(FeatureSet context, ReadOnlySpan<FeatureSet> actions, Span<float> scores, Span<float> deviations = default)
    {
        var w = _weights;
        var ch = context.Hashes;
        var cv = context.Values;
        float shared = w[Index(FeatureHash.Bias)];
        float sharedVariance = 0;
        bool thompson = !deviations.IsEmpty;
        float prior = (float)Settings.Prior;
        if (thompson) sharedVariance = 1f / (prior + _evidence[Index(FeatureHash.Bias)]);
        for (int i = 0; i < ch.Length; i++)
        {
            int k = Index(ch[i]);
            shared += w[k] * cv[i];
            if (thompson) sharedVariance += cv[i] * cv[i] / (prior + _evidence[k]);
        }
        ScoreTable? table = null;
        if (_interactions)
        {
            int total = 0;
            for (int a = 0; a < actions.Length; a++) total += actions[a].Count;
            table = ScoreTable.For(total);
        }
        for (int a = 0; a < actions.Length; a++)
        {
            var ah = actions[a].Hashes;
            var av = actions[a].Values;
            float s = shared, variance = sharedVariance;
            for (int j = 0; j < ah.Length; j++)
            {
                uint h = ah[j];
                int k = Index(h);
                float v = av[j];
                s += w[k] * v;
                if (thompson) variance += v * v / (prior + _evidence[k]);
                if (table is null) continue;
                int slot = table.Find(h, out bool found);
                if (!found)
                {
                    uint mixed = h * CrossMultiplier;
                    float inner = 0, innerVariance = 0;
                    for (int i = 0; i < ch.Length; i++)
                    {
                        int c = CrossIndex(ch[i], mixed);
                        inner += w[c] * cv[i];
                        if (thompson) innerVariance += cv[i] * cv[i] / (prior + _evidence[c]);
                    }
                    table.Inner[slot] = inner;
                    table.InnerVariance[slot] = innerVariance;
                }
                s += v * table.Inner[slot];
                if (thompson) variance += v * v * table.InnerVariance[slot];
            }
            if (_conversion)
            {
                // s is the log-odds of converting: the reward is worth × σ(s), its deviation (delta method) worth × σ'(s) × sd(s).
                float worth = actions[a].Worth;
                float p = Sigmoid(s);
                scores[a] = worth * p;
                if (thompson) deviations[a] = worth * p * (1 - p) * MathF.Sqrt(variance);
            }
            else
            {
                scores[a] = s;
                if (thompson) deviations[a] = MathF.Sqrt(variance);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-Math.Clamp(z, -30f, 30f)));

    /// <summary>
    /// One thread's scratch for <see cref="Score"/>: an open-addressing table from an action feature's hash to its inner sums,
    /// emptied in O(1) by a generation stamp.
    /// </summary>
    private sealed class ScoreTable
    {
        [ThreadStatic] private static ScoreTable? t_table;

        private uint[] _keys = new uint[256];
        private int[] _stamps = new int[256];
        public float[] Inner = new float[256];
        public float[] InnerVariance = new float[256];
        private int _generation;
        private int _mask = 255;

        /// <summary>This thread's table, emptied, with room for <paramref name="features"/> distinct hashes at half load.</summary>
        public static ScoreTable For(int features)
        {
            var t = t_table ??= new ScoreTable();
            int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(256, features * 2));
            if (size > t._keys.Length)
            {
                t._keys = new uint[size];
                t._stamps = new int[size];
                t.Inner = new float[size];
                t.InnerVariance = new float[size];
                t._generation = 0;
            }
            t._mask = t._keys.Length - 1;
            if (++t._generation == int.MaxValue)
            {
                Array.Clear(t._stamps);
                t._generation = 1;
            }
            return t;
        }

        /// <summary>The slot of <paramref name="hash"/>: its own when <paramref name="found"/>, else a free one now claimed for it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Find(uint hash, out bool found)
        {
            int slot = (int)BitOperations.RotateLeft(hash * 0x9E3779B1u, 16) & _mask;
            while (true)
            {
                if (_stamps[slot] != _generation)
                {
                    _stamps[slot] = _generation;
                    _keys[slot] = hash;
                    found = false;
                    return slot;
                }
                if (_keys[slot] == hash)
                {
                    found = true;
                    return slot;
                }
                slot = (slot + 1) & _mask;
            }
        }
    }

    /// <summary>
    /// Learns from one decision: in <paramref name="context"/>, <paramref name="action"/> was chosen with
    /// <paramref name="probability"/> and earned <paramref name="reward"/>. Returns the squared error before the update.
    /// </summary>
    public float Learn(FeatureSet context, FeatureSet action, float reward, float probability)
    {
        lock (_learnGate)
        {
            int n = Gather(context, action);
            var w = _weights;
            var e = _evidence;
            var idx = _index.AsSpan(0, n);
            var x = _value.AsSpan(0, n);
            float prediction = 0;
            for (int k = 0; k < n; k++) prediction += w[idx[k]] * x[k];
            // Squared loss on the reward, or (conversion) logistic loss on whether it converted: reward / worth, in [0, 1].
            // Both gradients are (prediction − target) × x; the logistic one's prediction is σ of the linear part.
            float error = _conversion
                ? Sigmoid(prediction) - Math.Clamp(reward / Math.Max(action.Worth, 1e-6f), 0f, 1f)
                : prediction - reward;
            float importance = (float)Math.Min(1.0 / Math.Max(probability, 1e-6), Settings.ImportanceWeightCap);
            // Each weight's step shrinks with the evidence it has seen (1/√Σx²: AdaGrad over the features' occurrences), so a
            // weight seen in thousands of examples averages them while a new one moves fast. The step is bounded so the example
            // cannot carry the prediction past its target, however large its importance weight.
            float reach = 0; // how far the prediction moves per unit of step
            for (int k = 0; k < n; k++)
            {
                float sum = e[idx[k]] += x[k] * x[k];
                reach += x[k] * x[k] / MathF.Sqrt(sum);
            }
            if (error != 0 && reach > 0)
            {
                float step = MathF.Min((float)Settings.LearningRate * importance, 1f / reach);
                for (int k = 0; k < n; k++) w[idx[k]] -= step * error * x[k] / MathF.Sqrt(e[idx[k]]);
            }
            Interlocked.Increment(ref _examples);
            return error * error;
        }
    }

    /// <summary>The example's weight indices and values: intercept, context, action, context × action.</summary>
    private int Gather(FeatureSet context, FeatureSet action)
    {
        var ch = context.Hashes;
        var cv = context.Values;
        var ah = action.Hashes;
        var av = action.Values;
        int need = 1 + ch.Length + ah.Length + (_interactions ? ch.Length * ah.Length : 0);
        if (_index.Length < need)
        {
            _index = new int[need * 2];
            _value = new float[need * 2];
        }
        int n = 0;
        _index[n] = Index(FeatureHash.Bias);
        _value[n++] = 1;
        for (int i = 0; i < ch.Length; i++)
        {
            _index[n] = Index(ch[i]);
            _value[n++] = cv[i];
        }
        for (int j = 0; j < ah.Length; j++)
        {
            _index[n] = Index(ah[j]);
            _value[n++] = av[j];
        }
        if (_interactions)
        {
            for (int i = 0; i < ch.Length; i++)
            {
                for (int j = 0; j < ah.Length; j++)
                {
                    _index[n] = CrossIndex(ch[i], ah[j] * CrossMultiplier);
                    _value[n++] = cv[i] * av[j];
                }
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- checkpoints

    /// <summary>2 added the reward model (a version-1 checkpoint is a linear learner).</summary>
    private const int FormatVersion = 2;

    /// <summary>Writes the learner's whole state (settings, weights, step sizes, evidence).</summary>
    public void Save(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        lock (_learnGate)
        {
            writer.Write("attune-cb");
            writer.Write(FormatVersion);
            writer.Write(Settings.Bits);
            writer.Write(Settings.Interactions);
            writer.Write(Settings.LearningRate);
            writer.Write(Settings.ImportanceWeightCap);
            writer.Write(Settings.Prior);
            writer.Write((int)Settings.RewardModel);
            writer.Write(_examples);
            WriteFloats(writer, _weights);
            WriteFloats(writer, _evidence);
        }
    }

    /// <summary>Reads a learner <see cref="Save"/> wrote. Throws <see cref="InvalidDataException"/> on anything else.</summary>
    public static CbLearner Load(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadString() != "attune-cb") throw new InvalidDataException("not a decision learner checkpoint");
        int version = reader.ReadInt32();
        if (version is < 1 or > FormatVersion) throw new InvalidDataException($"decision learner checkpoint format {version}; this Attune reads 1 to {FormatVersion}");
        var settings = new LearningSettings
        {
            Bits = reader.ReadInt32(),
            Interactions = reader.ReadBoolean(),
            LearningRate = reader.ReadDouble(),
            ImportanceWeightCap = reader.ReadDouble(),
            Prior = reader.ReadDouble(),
        };
        if (version >= 2)
        {
            int model = reader.ReadInt32();
            if (!Enum.IsDefined((RewardModel)model)) throw new InvalidDataException($"decision learner checkpoint: unknown reward model {model}");
            settings = settings with { RewardModel = (RewardModel)model };
        }
        if (settings.Bits is < 1 or > 28) throw new InvalidDataException("decision learner checkpoint: bad table size");
        var learner = new CbLearner(settings) { _examples = reader.ReadInt64() };
        ReadFloats(reader, learner._weights);
        ReadFloats(reader, learner._evidence);
        return learner;
    }

    private static void WriteFloats(BinaryWriter writer, float[] values) =>
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    private static void ReadFloats(BinaryReader reader, float[] values)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        int read = 0;
        while (read < bytes.Length)
        {
            int n = reader.Read(bytes[read..]);
            if (n == 0) throw new InvalidDataException("decision learner checkpoint is cut short");
            read += n;
        }
    }
}
