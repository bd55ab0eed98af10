using System.Diagnostics;
using System.Numerics.Tensors;
using Attune.Algorithms.Data;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Neural;

/// <summary>
/// Trains a <see cref="SasRecModel"/> on <see cref="TrainingData.Sequences"/>: every row (a person's history or a session) with at
/// least two items is one training sequence, its latest <see cref="SasRecOptions.MaxLength"/> + 1 items read; each position
/// predicts the next item with a softmax over that item and <see cref="SasRecOptions.Negatives"/> items drawn per step. Adam,
/// with the item vectors updated lazily (only the rows a step touched, as TensorFlow's LazyAdam).
/// </summary>
/// <remarks>
/// A step's sequences are split into one contiguous share per thread; each thread sums its gradients in its own buffers, and the
/// shares are added in thread order: for a fixed seed and thread count the model is the same bit for bit.
/// </remarks>
public sealed class SasRecTrainer(SasRecOptions options) : IRecommenderTrainer
{
    private const float Beta1 = 0.9f, Beta2 = 0.98f, Epsilon = 1e-8f;

    public SasRecOptions Options => options;

    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var seq = data.Sequences ?? throw new ArgumentException("model 'sasrec' needs the items in time order (TrainingData.Sequences)");
        var clock = Stopwatch.StartNew();
        int items = Math.Max(data.Items, seq.ItemCount);
        int seed = options.Seed ?? data.Seed;
        var o = options;
        var network = new SasRecNetwork(items, o.Dim, o.Dim, o.MaxLength, o.Blocks);
        network.Initialize(seed);

        var popularity = new float[items];
        var rows = new List<int>(seq.Rows);
        for (int r = 0; r < seq.Rows; r++)
        {
            var row = seq.Row(r);
            foreach (int i in row) popularity[i]++;
            if (row.Length >= 2) rows.Add(r);
        }
        float top = TensorPrimitives.Max<float>(popularity.Length == 0 ? [0f] : popularity);
        if (top > 0) TensorPrimitives.Multiply(popularity, 1f / top, popularity);

        int threads = Math.Max(1, Math.Min(data.Threads, o.Batch));
        var workers = new Worker[threads];
        for (int t = 0; t < threads; t++) workers[t] = new Worker(network, o.Negatives);
        var itemGrad = new ItemGradients(items, o.Dim);
        var denseGrad = new float[network.Weights.Length];
        var adam = new Adam(network.Weights.Length, network.ItemVectors.Length);
        int negatives = Math.Min(o.Negatives, items);
        var negativeItems = new int[negatives];
        var negativeVectors = new float[negatives * o.Dim];
        var order = rows.ToArray();
        long perEpoch = 0;
        foreach (int r in order) perEpoch += Math.Min(seq.Row(r).Length - 1, o.MaxLength);
        int epochs = o.Epochs ?? (int)Math.Clamp(Math.Round((double)o.Positions / Math.Max(1, perEpoch)), 3, 200);
        double lastLoss = double.NaN;
        int step = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };

        for (int epoch = 0; epoch < epochs && order.Length > 0; epoch++)
        {
            var shuffle = FactorRandom.For(seed, 1, epoch);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = shuffle.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            double epochLoss = 0;
            long epochPositions = 0;
            for (int start = 0; start < order.Length; start += o.Batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int end = Math.Min(order.Length, start + o.Batch);
                var draw = FactorRandom.For(seed, 2, step);
                for (int k = 0; k < negatives; k++)
                {
                    int item = draw.Next(items);
                    negativeItems[k] = item;
                    network.ItemVector(item).CopyTo(negativeVectors.AsSpan(k * o.Dim, o.Dim));
                }
                long positions = 0;
                for (int b = start; b < end; b++) positions += Math.Min(seq.Row(order[b]).Length - 1, o.MaxLength);
                float scale = 1f / positions;
                int count = end - start, share = (count + threads - 1) / threads;
                Parallel.For(0, threads, parallel, t =>
                {
                    var worker = workers[t];
                    worker.Loss = 0;
                    int from = start + t * share, to = Math.Min(end, from + share);
                    for (int b = from; b < to; b++)
                    {
                        var row = seq.Row(order[b]);
                        if (row.Length > o.MaxLength + 1) row = row[^(o.MaxLength + 1)..];
                        var rng = FactorRandom.For(seed, 3 + epoch, order[b]);
                        worker.Learn(row, negativeItems, negativeVectors, scale, o.Dropout, ref rng);
                    }
                });

                denseGrad.AsSpan().Clear();
                var negativeGrad = workers[0].NegativeGrad.AsSpan(0, negatives * o.Dim);
                for (int t = 0; t < threads; t++)
                {
                    var w = workers[t];
                    TensorPrimitives.Add(denseGrad, w.DenseGrad, denseGrad);
                    w.DenseGrad.AsSpan().Clear();
                    w.Items.MoveTo(itemGrad);
                    if (t > 0)
                    {
                        TensorPrimitives.Add(negativeGrad, w.NegativeGrad.AsSpan(0, negatives * o.Dim), negativeGrad);
                        w.NegativeGrad.AsSpan().Clear();
                    }
                    epochLoss += w.Loss;
                }
                for (int k = 0; k < negatives; k++) itemGrad.Add(negativeItems[k], negativeGrad.Slice(k * o.Dim, o.Dim), 1f);
                negativeGrad.Clear();
                epochPositions += positions;

                step++;
                adam.Step(step, o.LearningRate, network.Weights, denseGrad);
                adam.StepRows(step, o.LearningRate, o.Regularization, network.ItemVectors, itemGrad);
                itemGrad.Clear();
                network.RefreshTransposed();
            }
            lastLoss = epochLoss / Math.Max(1, epochPositions);
        }
        return new SasRecModel(network, popularity, new SasRecTraining(epochs, step, lastLoss, clock.Elapsed.TotalSeconds));
    }

    /// <summary>One thread's workspace and gradient buffers.</summary>
    private sealed class Worker(SasRecNetwork network, int negatives)
    {
        private readonly SasRecWorkspace _ws = new(network);
        private readonly float[] _logits = new float[negatives + 1];
        private readonly float[] _negativeWeights = new float[network.MaxLength * negatives];
        private readonly int _width = FactorKernels.VectorWidth(network.Dim);
        public readonly float[] DenseGrad = new float[network.Weights.Length];
        public readonly float[] NegativeGrad = new float[negatives * network.Dim];
        public readonly ItemGradients Items = new(network.Items, network.Dim);
        public double Loss;

        /// <summary>Forward, the sampled softmax at every position (its loss times <paramref name="scale"/>), backward.</summary>
        public void Learn(ReadOnlySpan<int> row, int[] negativeItems, float[] negativeVectors, float scale, float dropout, ref FactorRandom rng)
        {
            var inputs = row[..^1];
            var targets = row[1..];
            int n = inputs.Length, d = network.Dim, k = negativeItems.Length;
            network.Forward(inputs, _ws, dropout, ref rng);
            var y = _ws.Output.AsSpan(0, n * d);
            var dy = _ws.Scratch.AsSpan(0, n * d);
            // Scratch is free between the passes; Backward reuses it only after reading dOutput in its first norm backward.
            var logits = _logits.AsSpan(0, k + 1);
            for (int t = 0; t < n; t++)
            {
                var yt = y.Slice(t * d, d);
                int target = targets[t];
                var positive = network.ItemVector(target);
                float z0 = logits[0] = TensorPrimitives.Dot(yt, positive);
                FactorKernels.DotAll(negativeVectors, d, yt, logits[1..], _width);
                for (int j = 0; j < k; j++)
                    if (negativeItems[j] == target) logits[j + 1] = float.NegativeInfinity;
                float max = TensorPrimitives.Max(logits);
                TensorPrimitives.Subtract(logits, max, logits);
                TensorPrimitives.Exp(logits, logits);
                double sum = TensorPrimitives.Sum(logits);
                Loss += Math.Log(sum) + max - z0;
                float inv = (float)(scale / sum);
                float g0 = logits[0] * inv - scale;
                TensorPrimitives.Multiply(positive, g0, dy.Slice(t * d, d));
                Items.Add(target, yt, g0);
                TensorPrimitives.Multiply(logits[1..], inv, _negativeWeights.AsSpan(t * k, k));
            }
            // The negatives' share of every position at once: dy += G·N and dN += Gᵀ·y, G the positions' softmax weights.
            var weights = _negativeWeights.AsSpan(0, n * k);
            Gemm.MatMul(weights, n, k, negativeVectors.AsSpan(0, k * d), d, default, dy, accumulate: true);
            Gemm.AddOuter(weights, n, k, y, d, NegativeGrad.AsSpan(0, k * d));
            network.Backward(inputs, _ws, dy, dropout > 0, DenseGrad, Items);
        }
    }

    /// <summary>Adam (Kingma and Ba 2015) over the dense weights, and lazily over the item rows a step touched.</summary>
    private sealed class Adam(int dense, long itemValues)
    {
        private readonly float[] _m = new float[dense], _v = new float[dense];
        private readonly float[] _itemM = new float[itemValues], _itemV = new float[itemValues];

        public void Step(int step, float rate, float[] weights, float[] grad) => Update(step, rate, weights, grad, _m, _v);

        public void StepRows(int step, float rate, float reg, float[] vectors, ItemGradients grad)
        {
            int d = grad.Dim;
            foreach (int item in grad.Rows)
            {
                var g = grad.Row(item);
                var x = vectors.AsSpan(item * d, d);
                if (reg > 0) TensorPrimitives.MultiplyAdd(x, reg, g, g);
                Update(step, rate, x, g, _itemM.AsSpan(item * d, d), _itemV.AsSpan(item * d, d));
            }
        }

        private static void Update(int step, float rate, Span<float> x, ReadOnlySpan<float> g, Span<float> m, Span<float> v)
        {
            float c1 = 1f - MathF.Pow(Beta1, step), c2 = 1f - MathF.Pow(Beta2, step);
            float a = rate * MathF.Sqrt(c2) / c1;
            for (int i = 0; i < x.Length; i++)
            {
                float gi = g[i];
                float mi = m[i] = Beta1 * m[i] + (1 - Beta1) * gi;
                float vi = v[i] = Beta2 * v[i] + (1 - Beta2) * gi * gi;
                x[i] -= a * mi / (MathF.Sqrt(vi) + Epsilon);
            }
        }
    }
}

/// <summary>What a SASRec training did: shown in a model's description and kept in its snapshot.</summary>
public sealed record SasRecTraining(int Epochs, int Steps, double FinalLoss, double Seconds);
