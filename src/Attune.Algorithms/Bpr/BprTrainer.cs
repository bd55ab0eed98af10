using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Attune.Algorithms.Data;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Bpr;

/// <summary>Fits a <see cref="BprModel"/> by stochastic gradient ascent on sampled (user, positive, negative) triples.</summary>
/// <remarks>
/// Hogwild (Recht et al. 2011): each epoch is cut into shards run in parallel without locks; threads may overwrite each
/// other's update of a shared vector now and then, which sparse updates tolerate. Each shard has its own generator, seeded
/// from the seed, the epoch and the shard, so with <see cref="TrainingData.Threads"/> = 1 a run is exactly reproducible.
/// </remarks>
public sealed class BprTrainer(BprOptions options) : IRecommenderTrainer
{
    /// <summary>Tries to find a negative the user has not touched before skipping the sample.</summary>
    private const int NegativeTries = 8;

    public BprTrainer() : this(new BprOptions()) { }

    public BprOptions Options => options;

    /// <summary>Called after each epoch with its number (1-based) and the fraction of samples whose ranking was already right.</summary>
    public Action<int, double>? OnEpoch { get; init; }

    IRecommender IRecommenderTrainer.Fit(TrainingData data, CancellationToken cancellationToken) => Fit(data, cancellationToken);

    public BprModel Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var m = data.Interactions;
        int k = options.Factors;
        var userFactors = new float[(long)m.Users * k];
        var itemFactors = new float[(long)m.Items * k];
        // Biases are spaced a cache line apart while training: with Hogwild, 16 biases to a line would have every thread
        // invalidating the others' popular items on each step.
        var paddedBias = new float[(long)m.Items * BiasStride];
        int seed = options.Seed ?? data.Seed;
        float std = options.InitStd / MathF.Sqrt(k);
        FactorRandom.For(seed, 0).FillNormal(userFactors, std);
        FactorRandom.For(seed, 1).FillNormal(itemFactors, std);

        // The user of every stored pair, so a positive is one uniform draw.
        var pairUser = new int[m.NonZeros];
        for (int u = 0; u < m.Users; u++) pairUser.AsSpan(m.RowStart[u], m.CountOf(u)).Fill(u);

        int threads = Math.Max(1, data.Threads);
        int shards = threads == 1 ? 1 : threads * 4;
        long perShard = ((long)m.NonZeros + shards - 1) / shards;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        var correct = new long[shards];
        for (int epoch = 1; epoch <= options.Epochs && m.NonZeros > 0 && m.Items > 1; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int e = epoch;
            Parallel.For(0, shards, parallel, shard =>
            {
                var rng = FactorRandom.For(seed, 2 + e, shard);
                correct[shard] = RunShard(m, pairUser, userFactors, itemFactors, options.ItemBias ? paddedBias : null, k, perShard, ref rng);
            });
            OnEpoch?.Invoke(epoch, (double)correct.Sum() / (perShard * shards));
        }
        float[]? bias = null;
        if (options.ItemBias)
        {
            bias = new float[m.Items];
            for (int i = 0; i < bias.Length; i++) bias[i] = paddedBias[(long)i * BiasStride];
        }
        return new BprModel(k, userFactors, itemFactors, bias);
    }

    /// <summary>One sample moving through the prefetch pipeline of <see cref="RunShard"/>.</summary>
    private struct Sample
    {
        public int Pair, User, Positive, Negative, RowStart, RowEnd;
    }

    /// <summary>Floats between two items' biases during training: one 64-byte cache line.</summary>
    private const int BiasStride = 16;

    /// <summary>Samples in flight between pipeline stages (see <see cref="RunShard"/>).</summary>
    private const int Lag = 4;

    /// <summary>
    /// Runs <paramref name="samples"/> SGD steps. On a large matrix every sample touches five scattered places (the pair, the
    /// user's row offsets, their item list for the negative check, and three factor rows), each a likely cache miss that
    /// depends on the one before; one after another they cost ~1 µs a sample. So samples are software-pipelined: a sample is
    /// drawn, then <see cref="Lag"/> samples later its user is read and its rows prefetched, another <see cref="Lag"/> later
    /// its item list is prefetched, and only then is it checked and applied, with about 3 × Lag samples in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe long RunShard(InteractionMatrix m, int[] pairUser, float[] userFactors, float[] itemFactors, float[]? bias, int k, long samples, ref FactorRandom rng)
    {
        float lr = options.LearningRate, reg = options.Regularization;
        int pairs = m.NonZeros, items = m.Items;
        int[] columns = m.Columns, rowStart = m.RowStart;
        Span<Sample> ring = stackalloc Sample[4 * Lag];
        const int Mask = 4 * Lag - 1;
        long correct = 0;
        fixed (int* pairUserPtr = pairUser, columnsPtr = columns, rowStartPtr = rowStart)
        fixed (float* userPtr = userFactors, itemPtr = itemFactors)
        {
            for (long t = 0; t < samples + 3 * Lag; t++)
            {
                if (t < samples)
                {
                    // Stage 1: draw a stored pair; fetch its user and item.
                    ref var a = ref ring[(int)(t & Mask)];
                    a.Pair = rng.Next(pairs);
                    Prefetch(pairUserPtr + a.Pair);
                    Prefetch(columnsPtr + a.Pair);
                }
                long tb = t - Lag;
                if (tb >= 0 && tb < samples)
                {
                    // Stage 2: read them, draw a negative; fetch the user's row offsets and the three factor rows.
                    ref var b = ref ring[(int)(tb & Mask)];
                    b.User = pairUserPtr[b.Pair];
                    b.Positive = columnsPtr[b.Pair];
                    b.Negative = rng.Next(items);
                    Prefetch(rowStartPtr + b.User);
                    PrefetchRow(userPtr + (nint)b.User * k, k);
                    PrefetchRow(itemPtr + (nint)b.Positive * k, k);
                    PrefetchRow(itemPtr + (nint)b.Negative * k, k);
                }
                long tc = t - 2 * Lag;
                if (tc >= 0 && tc < samples)
                {
                    // Stage 3: fetch the user's item list for the negative check.
                    ref var c = ref ring[(int)(tc & Mask)];
                    c.RowStart = rowStartPtr[c.User];
                    c.RowEnd = rowStartPtr[c.User + 1];
                    PrefetchRow(columnsPtr + c.RowStart, c.RowEnd - c.RowStart);
                }
                long td = t - 3 * Lag;
                if (td >= 0)
                {
                    // Stage 4: reject a negative the user has touched (draw again, uncached), then step.
                    ref var d = ref ring[(int)(td & Mask)];
                    var row = new ReadOnlySpan<int>(columnsPtr + d.RowStart, d.RowEnd - d.RowStart);
                    int j = d.Negative;
                    for (int tries = 1; row.BinarySearch(j) >= 0; tries++)
                    {
                        if (tries == NegativeTries) { j = -1; break; }
                        j = rng.Next(items);
                    }
                    if (j < 0) continue;
                    int u = d.User, i = d.Positive;
                    float biasDiff = bias is null ? 0 : bias[i * BiasStride] - bias[j * BiasStride];
                    float x = Step(new Span<float>(userPtr + (nint)u * k, k), new Span<float>(itemPtr + (nint)i * k, k), new Span<float>(itemPtr + (nint)j * k, k), biasDiff, lr, reg);
                    if (x > 0) correct++;
                    if (bias is not null)
                    {
                        float z = 1f / (1f + MathF.Exp(x));
                        bias[i * BiasStride] += lr * (z - reg * bias[i * BiasStride]);
                        bias[j * BiasStride] += lr * (-z - reg * bias[j * BiasStride]);
                    }
                }
            }
        }
        return correct;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(void* p)
    {
        if (Sse.IsSupported) Sse.Prefetch0(p);
    }

    /// <summary>Prefetches <paramref name="count"/> consecutive 4-byte values (at most 16 cache lines).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchRow(void* p, int count)
    {
        if (!Sse.IsSupported) return;
        int bytes = Math.Min(count * 4, 1024);
        for (int b = 0; b < bytes; b += 64) Sse.Prefetch0((byte*)p + b);
    }

    /// <summary>
    /// One SGD step on (u, i, j); returns x_uij = x_u·(y_i − y_j) + biasDiff before the step. All three vectors move with the
    /// gradient at their old values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Step(Span<float> xu, Span<float> yi, Span<float> yj, float biasDiff, float lr, float reg)
    {
        int k = xu.Length;
        ref float xr = ref MemoryMarshal.GetReference(xu);
        ref float ir = ref MemoryMarshal.GetReference(yi);
        ref float jr = ref MemoryMarshal.GetReference(yj);
        float x;
        if (FactorKernels.VectorWidth(k) == 16)
        {
            var acc = Vector512<float>.Zero;
            for (nuint c = 0; c < (nuint)k; c += 16)
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, c), Vector512.LoadUnsafe(ref ir, c) - Vector512.LoadUnsafe(ref jr, c), acc);
            x = Vector512.Sum(acc) + biasDiff;
            float z = 1f / (1f + MathF.Exp(x));
            var vz = Vector512.Create(z);
            var decay = Vector512.Create(1f - lr * reg);
            var vlr = Vector512.Create(lr);
            for (nuint c = 0; c < (nuint)k; c += 16)
            {
                var xv = Vector512.LoadUnsafe(ref xr, c);
                var iv = Vector512.LoadUnsafe(ref ir, c);
                var jv = Vector512.LoadUnsafe(ref jr, c);
                var step = vlr * vz;
                (xv * decay + step * (iv - jv)).StoreUnsafe(ref xr, c);
                (iv * decay + step * xv).StoreUnsafe(ref ir, c);
                (jv * decay - step * xv).StoreUnsafe(ref jr, c);
            }
            return x;
        }
        float dot = 0;
        for (int c = 0; c < k; c++) dot += Unsafe.Add(ref xr, c) * (Unsafe.Add(ref ir, c) - Unsafe.Add(ref jr, c));
        x = dot + biasDiff;
        float zz = 1f / (1f + MathF.Exp(x));
        float keep = 1f - lr * reg, st = lr * zz;
        for (int c = 0; c < k; c++)
        {
            float xv = Unsafe.Add(ref xr, c), iv = Unsafe.Add(ref ir, c), jv = Unsafe.Add(ref jr, c);
            Unsafe.Add(ref xr, c) = xv * keep + st * (iv - jv);
            Unsafe.Add(ref ir, c) = iv * keep + st * xv;
            Unsafe.Add(ref jr, c) = jv * keep - st * xv;
        }
        return x;
    }
}
