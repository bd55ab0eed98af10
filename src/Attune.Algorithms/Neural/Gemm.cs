using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Attune.Algorithms.Neural;

/// <summary>
/// The two small dense products a network's layers are made of, over row-major matrices: <c>y (+)= x·W + bias</c> and
/// <c>dW += xᵀ·dy</c>. When the output width is a multiple of 8 the outputs are kept in <see cref="Vector256{T}"/> registers
/// over the whole reduction (four vectors of one row, two rows at a time: eight independent FMA chains); otherwise a loop of
/// <see cref="TensorPrimitives"/> calls per row does the same.
/// </summary>
internal static class Gemm
{
    /// <summary><c>y[t] = x[t]·W + bias</c> (or <c>y[t] += x[t]·W</c> when <paramref name="accumulate"/>); <c>W</c> is <c>[inDim, outDim]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MatMul(ReadOnlySpan<float> x, int rows, int inDim, ReadOnlySpan<float> w, int outDim, ReadOnlySpan<float> bias,
        Span<float> y, bool accumulate = false)
    {
        if (!Vector256.IsHardwareAccelerated || outDim % 8 != 0)
        {
            for (int t = 0; t < rows; t++)
            {
                var yt = y.Slice(t * outDim, outDim);
                if (!accumulate)
                {
                    if (bias.IsEmpty) yt.Clear();
                    else bias.CopyTo(yt);
                }
                var xt = x.Slice(t * inDim, inDim);
                for (int i = 0; i < inDim; i++)
                    if (xt[i] != 0) TensorPrimitives.MultiplyAdd(w.Slice(i * outDim, outDim), xt[i], yt, yt);
            }
            return;
        }
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float br = ref MemoryMarshal.GetReference(bias);
        bool hasBias = !bias.IsEmpty;
        int t0 = 0;
        for (; t0 + 1 < rows; t0 += 2)
        {
            nuint x0 = (nuint)(t0 * inDim), x1 = x0 + (nuint)inDim;
            nuint y0 = (nuint)(t0 * outDim), y1 = y0 + (nuint)outDim;
            int c = 0;
            for (; c + 32 <= outDim; c += 32)
            {
                nuint cc = (nuint)c;
                Vector256<float> a0, a1, a2, a3, b0, b1, b2, b3;
                if (accumulate)
                {
                    a0 = Vector256.LoadUnsafe(ref yr, y0 + cc); a1 = Vector256.LoadUnsafe(ref yr, y0 + cc + 8);
                    a2 = Vector256.LoadUnsafe(ref yr, y0 + cc + 16); a3 = Vector256.LoadUnsafe(ref yr, y0 + cc + 24);
                    b0 = Vector256.LoadUnsafe(ref yr, y1 + cc); b1 = Vector256.LoadUnsafe(ref yr, y1 + cc + 8);
                    b2 = Vector256.LoadUnsafe(ref yr, y1 + cc + 16); b3 = Vector256.LoadUnsafe(ref yr, y1 + cc + 24);
                }
                else if (hasBias)
                {
                    a0 = b0 = Vector256.LoadUnsafe(ref br, cc); a1 = b1 = Vector256.LoadUnsafe(ref br, cc + 8);
                    a2 = b2 = Vector256.LoadUnsafe(ref br, cc + 16); a3 = b3 = Vector256.LoadUnsafe(ref br, cc + 24);
                }
                else
                {
                    a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = Vector256<float>.Zero;
                }
                for (int i = 0; i < inDim; i++)
                {
                    nuint wi = (nuint)(i * outDim) + cc;
                    var w0 = Vector256.LoadUnsafe(ref wr, wi);
                    var w1 = Vector256.LoadUnsafe(ref wr, wi + 8);
                    var w2 = Vector256.LoadUnsafe(ref wr, wi + 16);
                    var w3 = Vector256.LoadUnsafe(ref wr, wi + 24);
                    var p = Vector256.Create(Unsafe.Add(ref xr, x0 + (nuint)i));
                    var q = Vector256.Create(Unsafe.Add(ref xr, x1 + (nuint)i));
                    a0 = Vector256.FusedMultiplyAdd(w0, p, a0); a1 = Vector256.FusedMultiplyAdd(w1, p, a1);
                    a2 = Vector256.FusedMultiplyAdd(w2, p, a2); a3 = Vector256.FusedMultiplyAdd(w3, p, a3);
                    b0 = Vector256.FusedMultiplyAdd(w0, q, b0); b1 = Vector256.FusedMultiplyAdd(w1, q, b1);
                    b2 = Vector256.FusedMultiplyAdd(w2, q, b2); b3 = Vector256.FusedMultiplyAdd(w3, q, b3);
                }
                a0.StoreUnsafe(ref yr, y0 + cc); a1.StoreUnsafe(ref yr, y0 + cc + 8); a2.StoreUnsafe(ref yr, y0 + cc + 16); a3.StoreUnsafe(ref yr, y0 + cc + 24);
                b0.StoreUnsafe(ref yr, y1 + cc); b1.StoreUnsafe(ref yr, y1 + cc + 8); b2.StoreUnsafe(ref yr, y1 + cc + 16); b3.StoreUnsafe(ref yr, y1 + cc + 24);
            }
            for (; c < outDim; c += 8)
            {
                nuint cc = (nuint)c;
                var a = accumulate ? Vector256.LoadUnsafe(ref yr, y0 + cc) : hasBias ? Vector256.LoadUnsafe(ref br, cc) : Vector256<float>.Zero;
                var b = accumulate ? Vector256.LoadUnsafe(ref yr, y1 + cc) : hasBias ? Vector256.LoadUnsafe(ref br, cc) : Vector256<float>.Zero;
                for (int i = 0; i < inDim; i++)
                {
                    var wv = Vector256.LoadUnsafe(ref wr, (nuint)(i * outDim) + cc);
                    a = Vector256.FusedMultiplyAdd(wv, Vector256.Create(Unsafe.Add(ref xr, x0 + (nuint)i)), a);
                    b = Vector256.FusedMultiplyAdd(wv, Vector256.Create(Unsafe.Add(ref xr, x1 + (nuint)i)), b);
                }
                a.StoreUnsafe(ref yr, y0 + cc);
                b.StoreUnsafe(ref yr, y1 + cc);
            }
        }
        if (t0 < rows)
        {
            nuint x0 = (nuint)(t0 * inDim), y0 = (nuint)(t0 * outDim);
            for (int c = 0; c < outDim; c += 8)
            {
                nuint cc = (nuint)c;
                var a = accumulate ? Vector256.LoadUnsafe(ref yr, y0 + cc) : hasBias ? Vector256.LoadUnsafe(ref br, cc) : Vector256<float>.Zero;
                for (int i = 0; i < inDim; i++)
                    a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref wr, (nuint)(i * outDim) + cc), Vector256.Create(Unsafe.Add(ref xr, x0 + (nuint)i)), a);
                a.StoreUnsafe(ref yr, y0 + cc);
            }
        }
    }

    /// <summary><c>dW += Σ_t x[t]ᵀ·dy[t]</c> (<c>dW</c> is <c>[inDim, outDim]</c>): the weight gradient of <see cref="MatMul"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddOuter(ReadOnlySpan<float> x, int rows, int inDim, ReadOnlySpan<float> dy, int outDim, Span<float> dW)
    {
        if (!Vector256.IsHardwareAccelerated || outDim % 8 != 0)
        {
            for (int t = 0; t < rows; t++)
            {
                var gt = dy.Slice(t * outDim, outDim);
                var xt = x.Slice(t * inDim, inDim);
                for (int i = 0; i < inDim; i++)
                {
                    if (xt[i] == 0) continue;
                    var row = dW.Slice(i * outDim, outDim);
                    TensorPrimitives.MultiplyAdd(gt, xt[i], row, row);
                }
            }
            return;
        }
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float wr = ref MemoryMarshal.GetReference(dW);
        for (int i = 0; i < inDim; i++)
        {
            nuint wi = (nuint)(i * outDim);
            int c = 0;
            for (; c + 32 <= outDim; c += 32)
            {
                nuint at = wi + (nuint)c;
                var a0 = Vector256.LoadUnsafe(ref wr, at);
                var a1 = Vector256.LoadUnsafe(ref wr, at + 8);
                var a2 = Vector256.LoadUnsafe(ref wr, at + 16);
                var a3 = Vector256.LoadUnsafe(ref wr, at + 24);
                for (int t = 0; t < rows; t++)
                {
                    float xi = Unsafe.Add(ref xr, (nuint)(t * inDim + i));
                    if (xi == 0) continue;
                    var p = Vector256.Create(xi);
                    nuint g = (nuint)(t * outDim + c);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gr, g), p, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gr, g + 8), p, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gr, g + 16), p, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gr, g + 24), p, a3);
                }
                a0.StoreUnsafe(ref wr, at); a1.StoreUnsafe(ref wr, at + 8); a2.StoreUnsafe(ref wr, at + 16); a3.StoreUnsafe(ref wr, at + 24);
            }
            for (; c < outDim; c += 8)
            {
                nuint at = wi + (nuint)c;
                var a = Vector256.LoadUnsafe(ref wr, at);
                for (int t = 0; t < rows; t++)
                {
                    float xi = Unsafe.Add(ref xr, (nuint)(t * inDim + i));
                    if (xi != 0) a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gr, (nuint)(t * outDim + c)), Vector256.Create(xi), a);
                }
                a.StoreUnsafe(ref wr, at);
            }
        }
    }

    /// <summary>Writes the transpose of the <c>[rows, cols]</c> matrix <paramref name="m"/> into <paramref name="t"/> (<c>[cols, rows]</c>).</summary>
    public static void Transpose(ReadOnlySpan<float> m, int rows, int cols, Span<float> t)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = m[r * cols + c];
    }
}
