using System.Numerics.Tensors;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Neural;

/// <summary>Where one self-attention block's weights sit in <see cref="SasRecNetwork.Weights"/>.</summary>
internal readonly record struct SasRecBlock(
    int Norm1Gain, int Norm1Bias, int Query, int Key, int Value, int Norm2Gain, int Norm2Bias, int Up, int UpBias, int Down, int DownBias);

/// <summary>
/// The SASRec network: item vectors (also the output layer), a learned position vector per place counted from the latest item,
/// and <see cref="Blocks"/> pre-norm blocks, each <c>x += attention(LN(x))</c> (one causal head, no output projection, as in the
/// paper) and <c>x += FFN(LN(x))</c> (ReLU), then a final layer norm. <see cref="Forward"/> keeps every activation in a
/// <see cref="SasRecWorkspace"/> so that <see cref="Backward"/> can compute exact gradients; sequences are processed at their
/// own length (no padding).
/// </summary>
/// <remarks>All matrices are row-major <c>[in, out]</c>: every product runs over contiguous rows with <see cref="TensorPrimitives"/>.</remarks>
internal sealed class SasRecNetwork
{
    private const float NormEpsilon = 1e-5f;

    public int Items { get; }
    public int Dim { get; }
    public int Hidden { get; }
    public int MaxLength { get; }
    public int Blocks => BlockOffsets.Length;

    /// <summary>Item vectors, <c>Items × Dim</c>: the input embedding and the output layer.</summary>
    public float[] ItemVectors { get; }

    /// <summary>Every other weight, laid out by <see cref="PositionOffset"/>, <see cref="BlockOffsets"/> and the final norm.</summary>
    public float[] Weights { get; }

    /// <summary>The projection matrices of <see cref="Weights"/> transposed, at the same offsets (made by
    /// <see cref="RefreshTransposed"/>): the backward pass multiplies by them over contiguous rows.</summary>
    public float[] Transposed { get; }

    public int PositionOffset => 0;
    public SasRecBlock[] BlockOffsets { get; }
    public int FinalGain { get; }
    public int FinalBias { get; }

    public SasRecNetwork(int items, int dim, int hidden, int maxLength, int blocks, float[]? itemVectors = null, float[]? weights = null)
    {
        Items = items;
        Dim = dim;
        Hidden = hidden;
        MaxLength = maxLength;
        int at = maxLength * dim;
        BlockOffsets = new SasRecBlock[blocks];
        for (int b = 0; b < blocks; b++)
        {
            int Take(int n)
            {
                int start = at;
                at += n;
                return start;
            }
            BlockOffsets[b] = new SasRecBlock(
                Norm1Gain: Take(dim), Norm1Bias: Take(dim), Query: Take(dim * dim), Key: Take(dim * dim), Value: Take(dim * dim),
                Norm2Gain: Take(dim), Norm2Bias: Take(dim), Up: Take(dim * hidden), UpBias: Take(hidden), Down: Take(hidden * dim),
                DownBias: Take(dim));
        }
        FinalGain = at;
        FinalBias = at + dim;
        at += 2 * dim;
        ItemVectors = itemVectors ?? new float[(long)items * dim];
        Weights = weights ?? new float[at];
        Transposed = new float[at];
        if (ItemVectors.Length != (long)items * dim || Weights.Length != at)
            throw new InvalidDataException($"sasrec weights have {ItemVectors.Length:N0} + {Weights.Length:N0} values, not {(long)items * dim:N0} + {at:N0}");
    }

    /// <summary>Random start: vectors of standard deviation 1/√dim (unit-scale logits after the final norm), projections
    /// scaled by their fan-in, the feed-forward's output smaller by √(2·blocks) so the residual stream grows slowly.</summary>
    public void Initialize(int seed)
    {
        var rng = FactorRandom.For(seed, 0x5A5);
        float s = 1f / MathF.Sqrt(Dim);
        rng.FillNormal(ItemVectors, s);
        rng.FillNormal(Weights.AsSpan(PositionOffset, MaxLength * Dim), s);
        foreach (var b in BlockOffsets)
        {
            Weights.AsSpan(b.Norm1Gain, Dim).Fill(1);
            Weights.AsSpan(b.Norm2Gain, Dim).Fill(1);
            rng.FillNormal(Weights.AsSpan(b.Query, Dim * Dim), s);
            rng.FillNormal(Weights.AsSpan(b.Key, Dim * Dim), s);
            rng.FillNormal(Weights.AsSpan(b.Value, Dim * Dim), s);
            rng.FillNormal(Weights.AsSpan(b.Up, Dim * Hidden), s);
            rng.FillNormal(Weights.AsSpan(b.Down, Hidden * Dim), 1f / MathF.Sqrt(Hidden) / MathF.Sqrt(2 * Blocks));
        }
        Weights.AsSpan(FinalGain, Dim).Fill(1);
        RefreshTransposed();
    }

    /// <summary>Copies the projections, transposed, into <see cref="Transposed"/>: after every change of the weights, before
    /// the next <see cref="Backward"/>.</summary>
    public void RefreshTransposed()
    {
        int d = Dim, h = Hidden;
        foreach (var b in BlockOffsets)
        {
            Gemm.Transpose(Weights.AsSpan(b.Query, d * d), d, d, Transposed.AsSpan(b.Query, d * d));
            Gemm.Transpose(Weights.AsSpan(b.Key, d * d), d, d, Transposed.AsSpan(b.Key, d * d));
            Gemm.Transpose(Weights.AsSpan(b.Value, d * d), d, d, Transposed.AsSpan(b.Value, d * d));
            Gemm.Transpose(Weights.AsSpan(b.Up, d * h), d, h, Transposed.AsSpan(b.Up, d * h));
            Gemm.Transpose(Weights.AsSpan(b.Down, h * d), h, d, Transposed.AsSpan(b.Down, h * d));
        }
    }

    public ReadOnlySpan<float> ItemVector(int item) => ItemVectors.AsSpan(item * Dim, Dim);

    /// <summary>
    /// Runs the network over <paramref name="inputs"/> (at most <see cref="MaxLength"/> items, oldest first); the output row
    /// <c>t</c> (in <see cref="SasRecWorkspace.Output"/>) represents the history up to item <c>t</c>. With
    /// <paramref name="dropout"/> &gt; 0 (training) the masks are drawn from <paramref name="rng"/> and kept for the backward pass.
    /// </summary>
    public void Forward(ReadOnlySpan<int> inputs, SasRecWorkspace w, float dropout, ref FactorRandom rng)
    {
        int n = inputs.Length, d = Dim, h = Hidden;
        var W = Weights.AsSpan();
        var x = w.Input[0].AsSpan(0, n * d);
        for (int t = 0; t < n; t++)
            TensorPrimitives.Add(ItemVector(inputs[t]), W.Slice(PositionOffset + (MaxLength - n + t) * d, d), x.Slice(t * d, d));
        if (dropout > 0) ApplyDropout(x, w.Mask0.AsSpan(0, n * d), dropout, ref rng);

        float invSqrt = 1f / MathF.Sqrt(d);
        for (int b = 0; b < Blocks; b++)
        {
            var o = BlockOffsets[b];
            var a = w.Block[b];
            var xin = w.Input[b].AsSpan(0, n * d);
            var h1 = a.Norm1.AsSpan(0, n * d);
            LayerNorm(xin, n, d, W.Slice(o.Norm1Gain, d), W.Slice(o.Norm1Bias, d), a.Hat1, a.Rstd1, h1);
            var q = a.Query.AsSpan(0, n * d);
            var k = a.Key.AsSpan(0, n * d);
            var v = a.Value.AsSpan(0, n * d);
            Gemm.MatMul(h1, n, d, W.Slice(o.Query, d * d), d, default, q);
            Gemm.MatMul(h1, n, d, W.Slice(o.Key, d * d), d, default, k);
            Gemm.MatMul(h1, n, d, W.Slice(o.Value, d * d), d, default, v);

            // Causal attention: row t attends to items 0..t.
            var x1 = a.Mid.AsSpan(0, n * d);
            var att = w.Scratch.AsSpan(0, n * d);
            att.Clear();
            for (int t = 0; t < n; t++)
            {
                var p = a.Attention.AsSpan(t * MaxLength, t + 1);
                var qt = q.Slice(t * d, d);
                for (int j = 0; j <= t; j++) p[j] = TensorPrimitives.Dot(qt, k.Slice(j * d, d)) * invSqrt;
                StableSoftMax(p);
                var ot = att.Slice(t * d, d);
                for (int j = 0; j <= t; j++) TensorPrimitives.MultiplyAdd(v.Slice(j * d, d), p[j], ot, ot);
            }
            if (dropout > 0) ApplyDropout(att, a.Mask1.AsSpan(0, n * d), dropout, ref rng);
            TensorPrimitives.Add(xin, att, x1);

            var h2 = a.Norm2.AsSpan(0, n * d);
            LayerNorm(x1, n, d, W.Slice(o.Norm2Gain, d), W.Slice(o.Norm2Bias, d), a.Hat2, a.Rstd2, h2);
            var r = a.Relu.AsSpan(0, n * h);
            Gemm.MatMul(h2, n, d, W.Slice(o.Up, d * h), h, W.Slice(o.UpBias, h), r);
            TensorPrimitives.Max(r, 0f, r);
            var f = w.Scratch.AsSpan(0, n * d);
            Gemm.MatMul(r, n, h, W.Slice(o.Down, h * d), d, W.Slice(o.DownBias, d), f);
            if (dropout > 0) ApplyDropout(f, a.Mask2.AsSpan(0, n * d), dropout, ref rng);
            TensorPrimitives.Add(x1, f, w.Input[b + 1].AsSpan(0, n * d));
        }
        LayerNorm(w.Input[Blocks].AsSpan(0, n * d), n, d, W.Slice(FinalGain, d), W.Slice(FinalBias, d), w.HatOut, w.RstdOut,
            w.Output.AsSpan(0, n * d));
    }

    /// <summary>
    /// Back-propagates <paramref name="dOutput"/> (the loss's gradient with respect to <see cref="SasRecWorkspace.Output"/>,
    /// overwritten) through the last <see cref="Forward"/> on <paramref name="inputs"/> (reading <see cref="Transposed"/>); adds the weights' gradients to
    /// <paramref name="grad"/> (laid out like <see cref="Weights"/>) and the item vectors' to <paramref name="itemGrad"/>.
    /// </summary>
    public void Backward(ReadOnlySpan<int> inputs, SasRecWorkspace w, Span<float> dOutput, bool dropout, Span<float> grad, ItemGradients itemGrad)
    {
        int n = inputs.Length, d = Dim, h = Hidden;
        var W = Weights.AsSpan();
        var T = Transposed.AsSpan();
        var dx = w.Grad.AsSpan(0, n * d);
        LayerNormBackward(dOutput, n, d, W.Slice(FinalGain, d), w.HatOut, w.RstdOut, grad.Slice(FinalGain, d), grad.Slice(FinalBias, d),
            dx, w.Row, accumulate: false);
        float invSqrt = 1f / MathF.Sqrt(d);
        for (int b = Blocks - 1; b >= 0; b--)
        {
            var o = BlockOffsets[b];
            var a = w.Block[b];
            // x2 = x1 + dropout(FFN(LN2(x1))): dx is d(x2).
            var df = w.Scratch.AsSpan(0, n * d);
            if (dropout) TensorPrimitives.Multiply(dx, a.Mask2.AsSpan(0, n * d), df);
            else dx.CopyTo(df);
            var r = a.Relu.AsSpan(0, n * h);
            AddColumnSums(df, n, d, grad.Slice(o.DownBias, d));
            Gemm.AddOuter(r, n, h, df, d, grad.Slice(o.Down, h * d));
            var dr = w.HiddenGrad.AsSpan(0, n * h);
            Gemm.MatMul(df, n, d, T.Slice(o.Down, h * d), h, default, dr);
            for (int i = 0; i < dr.Length; i++)
                if (r[i] <= 0) dr[i] = 0;
            AddColumnSums(dr, n, h, grad.Slice(o.UpBias, h));
            var h2 = a.Norm2.AsSpan(0, n * d);
            Gemm.AddOuter(h2, n, d, dr, h, grad.Slice(o.Up, d * h));
            var dh = w.NormGrad.AsSpan(0, n * d);
            Gemm.MatMul(dr, n, h, T.Slice(o.Up, d * h), d, default, dh);
            LayerNormBackward(dh, n, d, W.Slice(o.Norm2Gain, d), a.Hat2, a.Rstd2, grad.Slice(o.Norm2Gain, d), grad.Slice(o.Norm2Bias, d),
                dx, w.Row, accumulate: true);

            // x1 = x + dropout(attention(LN1(x))): dx is now d(x1).
            var dAtt = w.Scratch.AsSpan(0, n * d);
            if (dropout) TensorPrimitives.Multiply(dx, a.Mask1.AsSpan(0, n * d), dAtt);
            else dx.CopyTo(dAtt);
            var q = a.Query.AsSpan(0, n * d);
            var k = a.Key.AsSpan(0, n * d);
            var v = a.Value.AsSpan(0, n * d);
            var dq = w.QueryGrad.AsSpan(0, n * d);
            var dk = w.KeyGrad.AsSpan(0, n * d);
            var dv = w.ValueGrad.AsSpan(0, n * d);
            dq.Clear();
            dk.Clear();
            dv.Clear();
            for (int t = 0; t < n; t++)
            {
                var p = a.Attention.AsSpan(t * MaxLength, t + 1);
                var dp = w.Row.AsSpan(0, t + 1);
                var go = dAtt.Slice(t * d, d);
                for (int j = 0; j <= t; j++)
                {
                    dp[j] = TensorPrimitives.Dot(go, v.Slice(j * d, d));
                    TensorPrimitives.MultiplyAdd(go, p[j], dv.Slice(j * d, d), dv.Slice(j * d, d));
                }
                float dot = TensorPrimitives.Dot(p, dp);
                var qt = q.Slice(t * d, d);
                var dqt = dq.Slice(t * d, d);
                for (int j = 0; j <= t; j++)
                {
                    float ds = p[j] * (dp[j] - dot) * invSqrt;
                    if (ds == 0) continue;
                    TensorPrimitives.MultiplyAdd(k.Slice(j * d, d), ds, dqt, dqt);
                    TensorPrimitives.MultiplyAdd(qt, ds, dk.Slice(j * d, d), dk.Slice(j * d, d));
                }
            }
            var h1 = a.Norm1.AsSpan(0, n * d);
            Gemm.AddOuter(h1, n, d, dq, d, grad.Slice(o.Query, d * d));
            Gemm.AddOuter(h1, n, d, dk, d, grad.Slice(o.Key, d * d));
            Gemm.AddOuter(h1, n, d, dv, d, grad.Slice(o.Value, d * d));
            Gemm.MatMul(dq, n, d, T.Slice(o.Query, d * d), d, default, dh);
            Gemm.MatMul(dk, n, d, T.Slice(o.Key, d * d), d, default, dh, accumulate: true);
            Gemm.MatMul(dv, n, d, T.Slice(o.Value, d * d), d, default, dh, accumulate: true);
            LayerNormBackward(dh, n, d, W.Slice(o.Norm1Gain, d), a.Hat1, a.Rstd1, grad.Slice(o.Norm1Gain, d), grad.Slice(o.Norm1Bias, d),
                dx, w.Row, accumulate: true);
        }
        if (dropout) TensorPrimitives.Multiply(dx, w.Mask0.AsSpan(0, n * d), dx);
        for (int t = 0; t < n; t++)
        {
            var g = dx.Slice(t * d, d);
            var dp = grad.Slice(PositionOffset + (MaxLength - n + t) * d, d);
            TensorPrimitives.Add(dp, g, dp);
            itemGrad.Add(inputs[t], g, 1f);
        }
    }

    /// <summary>Softmax in place, shifted by the maximum (TensorPrimitives.SoftMax is not: large scores overflow to NaN).</summary>
    internal static void StableSoftMax(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Multiply(x, 1f / TensorPrimitives.Sum(x), x);
    }

    private static void ApplyDropout(Span<float> x, Span<float> mask, float rate, ref FactorRandom rng)
    {
        float keep = 1f / (1f - rate);
        for (int i = 0; i < x.Length; i++)
        {
            float m = rng.NextDouble() < rate ? 0f : keep;
            mask[i] = m;
            x[i] *= m;
        }
    }

    private static void AddColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums)
    {
        for (int t = 0; t < rows; t++) TensorPrimitives.Add(sums, x.Slice(t * cols, cols), sums);
    }

    internal static void LayerNorm(ReadOnlySpan<float> x, int rows, int d, ReadOnlySpan<float> gain, ReadOnlySpan<float> bias,
        float[] hat, float[] rstd, Span<float> y)
    {
        for (int t = 0; t < rows; t++)
        {
            var xt = x.Slice(t * d, d);
            var ht = hat.AsSpan(t * d, d);
            float mean = TensorPrimitives.Sum(xt) / d;
            TensorPrimitives.Subtract(xt, mean, ht);
            float variance = TensorPrimitives.Dot(ht, ht) / d;
            float r = 1f / MathF.Sqrt(variance + NormEpsilon);
            rstd[t] = r;
            TensorPrimitives.Multiply(ht, r, ht);
            TensorPrimitives.FusedMultiplyAdd(ht, gain, bias, y.Slice(t * d, d));
        }
    }

    /// <summary>Gradient of <see cref="LayerNorm"/>: adds to the gain's and bias's gradients, writes (or adds) the input's.</summary>
    internal static void LayerNormBackward(ReadOnlySpan<float> dy, int rows, int d, ReadOnlySpan<float> gain, float[] hat, float[] rstd,
        Span<float> dGain, Span<float> dBias, Span<float> dx, float[] row, bool accumulate)
    {
        var g = row.AsSpan(0, d);
        for (int t = 0; t < rows; t++)
        {
            var dyt = dy.Slice(t * d, d);
            var ht = hat.AsSpan(t * d, d);
            TensorPrimitives.MultiplyAdd(dyt, ht, dGain, dGain);
            TensorPrimitives.Add(dBias, dyt, dBias);
            TensorPrimitives.Multiply(dyt, gain, g);
            float meanG = TensorPrimitives.Sum(g) / d;
            float meanGh = TensorPrimitives.Dot(g, ht) / d;
            // dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))
            TensorPrimitives.Subtract(g, meanG, g);
            TensorPrimitives.MultiplyAdd(ht, -meanGh, g, g);
            var dxt = dx.Slice(t * d, d);
            if (accumulate) TensorPrimitives.MultiplyAdd(g, rstd[t], dxt, dxt);
            else TensorPrimitives.Multiply(g, rstd[t], dxt);
        }
    }
}
