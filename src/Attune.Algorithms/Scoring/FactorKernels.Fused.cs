using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Attune.Algorithms.Scoring;

/// <summary>
/// The AVX-512 kernels of a conjugate-gradient solve (rank % 16 == 0 only; callers check <see cref="VectorWidth"/>). They
/// exist because at rank 64 a solve's fixed cost (vector updates, the Gram product) rivals its per-item cost, and generic
/// calls cost more than the arithmetic.
/// </summary>
internal static partial class FactorKernels
{
    /// <summary>How many rows ahead <see cref="SumRowsByDot"/> prefetches: about a DRAM latency of work.</summary>
    private const int PrefetchDistance = 16;

    /// <summary>
    /// <c>result = Σ_i (add[i] + mulScale·mul[i]·(m[rows[i]]·v))·m[rows[i]]</c> in one pass: each group of four rows is
    /// loaded once for its dot products and again (from L1) for the weighted sum. <paramref name="add"/> may be empty (zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void SumRowsByDot(ReadOnlySpan<float> m, int rank, ReadOnlySpan<int> rows, ReadOnlySpan<float> v,
        ReadOnlySpan<float> mul, float mulScale, ReadOnlySpan<float> add, Span<float> result, bool prefetch = false)
    {
        Debug.Assert(VectorWidth(rank) == 16 && v.Length == rank && result.Length == rank && mul.Length >= rows.Length);
        Debug.Assert(add.IsEmpty || add.Length >= rows.Length);
        if (rank == 64)
        {
            SumRowsByDot64(m, rows, v, mul, mulScale, add, result, prefetch);
            return;
        }
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float res = ref MemoryMarshal.GetReference(result);
        ref int rr = ref MemoryMarshal.GetReference(rows);
        ref float mulr = ref MemoryMarshal.GetReference(mul);
        ref float addr = ref MemoryMarshal.GetReference(add);
        bool hasAdd = !add.IsEmpty;
        nuint k = (nuint)rank;
        int n = rows.Length;
        result.Clear();
        var scale = Vector128.Create(mulScale);
        for (int i = 0; i < n; i += 4)
        {
            // A short last group repeats its first row with coefficient zero.
            int valid = Math.Min(4, n - i);
            nuint o0 = (nuint)(uint)Unsafe.Add(ref rr, i) * k;
            nuint o1 = valid > 1 ? (nuint)(uint)Unsafe.Add(ref rr, i + 1) * k : o0;
            nuint o2 = valid > 2 ? (nuint)(uint)Unsafe.Add(ref rr, i + 2) * k : o0;
            nuint o3 = valid > 3 ? (nuint)(uint)Unsafe.Add(ref rr, i + 3) * k : o0;
            if (prefetch && Sse.IsSupported && i + PrefetchDistance + 4 <= n)
            {
                // The rows are scattered over a matrix larger than the caches: ask for those a few groups ahead.
                for (int j = i + PrefetchDistance; j < i + PrefetchDistance + 4; j++)
                {
                    byte* row = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref mr, (nuint)(uint)Unsafe.Add(ref rr, j) * k));
                    for (nuint b = 0; b < k * sizeof(float); b += 64) Sse.Prefetch0(row + b);
                }
            }
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (nuint c = 0; c < k; c += 16)
            {
                var x = Vector512.LoadUnsafe(ref vr, c);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o0 + c), x, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o1 + c), x, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o2 + c), x, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o3 + c), x, a3);
            }
            var dots = Sum4(a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper(), a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper());
            Vector128<float> coef;
            if (valid == 4)
            {
                coef = Vector128.LoadUnsafe(ref mulr, (nuint)i) * scale * dots;
                if (hasAdd) coef += Vector128.LoadUnsafe(ref addr, (nuint)i);
            }
            else
            {
                coef = default;
                for (int j = 0; j < valid; j++)
                    coef = coef.WithElement(j, (hasAdd ? Unsafe.Add(ref addr, i + j) : 0) + mulScale * Unsafe.Add(ref mulr, i + j) * dots.GetElement(j));
            }
            var s0 = Vector512.Create(coef.GetElement(0));
            var s1 = Vector512.Create(coef.GetElement(1));
            var s2 = Vector512.Create(coef.GetElement(2));
            var s3 = Vector512.Create(coef.GetElement(3));
            for (nuint c = 0; c < k; c += 16)
            {
                var t = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o1 + c), s1, Vector512.LoadUnsafe(ref mr, o0 + c) * s0);
                var u = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o3 + c), s3, Vector512.LoadUnsafe(ref mr, o2 + c) * s2);
                (Vector512.LoadUnsafe(ref res, c) + (t + u)).StoreUnsafe(ref res, c);
            }
        }
    }

    /// <summary>
    /// <see cref="SumRowsByDot"/> for rank 64, the default: the vector and the four result chunks stay in registers, and each
    /// dot product runs as two chains. About twice as fast as the general loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SumRowsByDot64(ReadOnlySpan<float> m, ReadOnlySpan<int> rows, ReadOnlySpan<float> v,
        ReadOnlySpan<float> mul, float mulScale, ReadOnlySpan<float> add, Span<float> result, bool prefetch)
    {
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref int rr = ref MemoryMarshal.GetReference(rows);
        ref float mulr = ref MemoryMarshal.GetReference(mul);
        ref float addr = ref MemoryMarshal.GetReference(add);
        bool hasAdd = !add.IsEmpty;
        var x0 = Vector512.LoadUnsafe(ref vr, 0);
        var x1 = Vector512.LoadUnsafe(ref vr, 16);
        var x2 = Vector512.LoadUnsafe(ref vr, 32);
        var x3 = Vector512.LoadUnsafe(ref vr, 48);
        Vector512<float> r0 = default, r1 = default, r2 = default, r3 = default;
        var scale = Vector128.Create(mulScale);
        int n = rows.Length, i = 0;
        for (; i + 4 <= n; i += 4)
        {
            if (prefetch && Sse.IsSupported && i + PrefetchDistance + 4 <= n)
            {
                for (int j = i + PrefetchDistance; j < i + PrefetchDistance + 4; j++)
                {
                    byte* row = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref mr, (nuint)(uint)Unsafe.Add(ref rr, j) * 64));
                    Sse.Prefetch0(row);
                    Sse.Prefetch0(row + 64);
                    Sse.Prefetch0(row + 128);
                    Sse.Prefetch0(row + 192);
                }
            }
            ref float y0 = ref Unsafe.Add(ref mr, (nuint)(uint)Unsafe.Add(ref rr, i) * 64);
            ref float y1 = ref Unsafe.Add(ref mr, (nuint)(uint)Unsafe.Add(ref rr, i + 1) * 64);
            ref float y2 = ref Unsafe.Add(ref mr, (nuint)(uint)Unsafe.Add(ref rr, i + 2) * 64);
            ref float y3 = ref Unsafe.Add(ref mr, (nuint)(uint)Unsafe.Add(ref rr, i + 3) * 64);
            var a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, 16), x1, Vector512.LoadUnsafe(ref y0) * x0)
                   + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, 48), x3, Vector512.LoadUnsafe(ref y0, 32) * x2);
            var a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y1, 16), x1, Vector512.LoadUnsafe(ref y1) * x0)
                   + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y1, 48), x3, Vector512.LoadUnsafe(ref y1, 32) * x2);
            var a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y2, 16), x1, Vector512.LoadUnsafe(ref y2) * x0)
                   + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y2, 48), x3, Vector512.LoadUnsafe(ref y2, 32) * x2);
            var a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y3, 16), x1, Vector512.LoadUnsafe(ref y3) * x0)
                   + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y3, 48), x3, Vector512.LoadUnsafe(ref y3, 32) * x2);
            var coef = Sum4(a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper(), a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper())
                       * scale * Vector128.LoadUnsafe(ref mulr, (nuint)i);
            if (hasAdd) coef += Vector128.LoadUnsafe(ref addr, (nuint)i);
            var s0 = Vector512.Create(coef.ToScalar());
            var s1 = Vector512.Create(coef.GetElement(1));
            var s2 = Vector512.Create(coef.GetElement(2));
            var s3 = Vector512.Create(coef.GetElement(3));
            r0 += Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y1), s1, Vector512.LoadUnsafe(ref y0) * s0)
                + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y3), s3, Vector512.LoadUnsafe(ref y2) * s2);
            r1 += Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y1, 16), s1, Vector512.LoadUnsafe(ref y0, 16) * s0)
                + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y3, 16), s3, Vector512.LoadUnsafe(ref y2, 16) * s2);
            r2 += Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y1, 32), s1, Vector512.LoadUnsafe(ref y0, 32) * s0)
                + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y3, 32), s3, Vector512.LoadUnsafe(ref y2, 32) * s2);
            r3 += Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y1, 48), s1, Vector512.LoadUnsafe(ref y0, 48) * s0)
                + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y3, 48), s3, Vector512.LoadUnsafe(ref y2, 48) * s2);
        }
        for (; i < n; i++)
        {
            ref float y0 = ref Unsafe.Add(ref mr, (nuint)(uint)Unsafe.Add(ref rr, i) * 64);
            var a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, 16), x1, Vector512.LoadUnsafe(ref y0) * x0)
                   + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, 48), x3, Vector512.LoadUnsafe(ref y0, 32) * x2);
            float c = mulScale * Unsafe.Add(ref mulr, i) * Vector512.Sum(a0) + (hasAdd ? Unsafe.Add(ref addr, i) : 0);
            var s0 = Vector512.Create(c);
            r0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0), s0, r0);
            r1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, 16), s0, r1);
            r2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, 32), s0, r2);
            r3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, 48), s0, r3);
        }
        ref float res = ref MemoryMarshal.GetReference(result);
        r0.StoreUnsafe(ref res, 0);
        r1.StoreUnsafe(ref res, 16);
        r2.StoreUnsafe(ref res, 32);
        r3.StoreUnsafe(ref res, 48);
    }

    /// <summary><c>result += scale·(g·v + lambda·v)</c> for a symmetric <c>rank × rank</c> <paramref name="g"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddRegularizedProduct(ReadOnlySpan<float> g, int rank, ReadOnlySpan<float> v, float lambda, float scale, Span<float> result)
    {
        Debug.Assert(VectorWidth(rank) == 16 && g.Length == rank * rank && v.Length == rank && result.Length == rank);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float res = ref MemoryMarshal.GetReference(result);
        nuint k = (nuint)rank;
        var vscale = Vector512.Create(scale);
        nuint c0 = 0;
        // Four column chunks at a time, each with two chains (even and odd j) to halve the FMA latency; one broadcast of
        // v[j] serves the four chunks. Column chunk c of g·v is Σ_j v[j]·g[j, c] (g symmetric).
        for (; c0 + 64 <= k; c0 += 64)
        {
            var e0 = Vector512.LoadUnsafe(ref vr, c0) * lambda;
            var e1 = Vector512.LoadUnsafe(ref vr, c0 + 16) * lambda;
            var e2 = Vector512.LoadUnsafe(ref vr, c0 + 32) * lambda;
            var e3 = Vector512.LoadUnsafe(ref vr, c0 + 48) * lambda;
            Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
            nuint j = 0;
            for (; j + 2 <= k; j += 2)
            {
                var b = Vector512.Create(Unsafe.Add(ref vr, j));
                nuint o = j * k + c0;
                e0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o), b, e0);
                e1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 16), b, e1);
                e2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 32), b, e2);
                e3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 48), b, e3);
                b = Vector512.Create(Unsafe.Add(ref vr, j + 1));
                o += k;
                d0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o), b, d0);
                d1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 16), b, d1);
                d2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 32), b, d2);
                d3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 48), b, d3);
            }
            if (j < k)
            {
                var b = Vector512.Create(Unsafe.Add(ref vr, j));
                nuint o = j * k + c0;
                e0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o), b, e0);
                e1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 16), b, e1);
                e2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 32), b, e2);
                e3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, o + 48), b, e3);
            }
            Vector512.FusedMultiplyAdd(e0 + d0, vscale, Vector512.LoadUnsafe(ref res, c0)).StoreUnsafe(ref res, c0);
            Vector512.FusedMultiplyAdd(e1 + d1, vscale, Vector512.LoadUnsafe(ref res, c0 + 16)).StoreUnsafe(ref res, c0 + 16);
            Vector512.FusedMultiplyAdd(e2 + d2, vscale, Vector512.LoadUnsafe(ref res, c0 + 32)).StoreUnsafe(ref res, c0 + 32);
            Vector512.FusedMultiplyAdd(e3 + d3, vscale, Vector512.LoadUnsafe(ref res, c0 + 48)).StoreUnsafe(ref res, c0 + 48);
        }
        for (; c0 < k; c0 += 16)
        {
            var even = Vector512.LoadUnsafe(ref vr, c0) * lambda;
            var odd = Vector512<float>.Zero;
            nuint j = 0;
            for (; j + 2 <= k; j += 2)
            {
                even = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, j * k + c0), Vector512.Create(Unsafe.Add(ref vr, j)), even);
                odd = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, (j + 1) * k + c0), Vector512.Create(Unsafe.Add(ref vr, j + 1)), odd);
            }
            if (j < k) even = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, j * k + c0), Vector512.Create(Unsafe.Add(ref vr, j)), even);
            Vector512.FusedMultiplyAdd(even + odd, vscale, Vector512.LoadUnsafe(ref res, c0)).StoreUnsafe(ref res, c0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot16(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        var acc = Vector512<float>.Zero;
        for (nuint c = 0; c < (nuint)a.Length; c += 16)
            acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ar, c), Vector512.LoadUnsafe(ref br, c), acc);
        return Vector512.Sum(acc);
    }

    /// <summary>The CG update <c>x += a·p; r −= a·ap</c>; returns the new <c>r·r</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float CgUpdate16(Span<float> x, Span<float> r, ReadOnlySpan<float> p, ReadOnlySpan<float> ap, float a)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float rr = ref MemoryMarshal.GetReference(r);
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float apr = ref MemoryMarshal.GetReference(ap);
        var va = Vector512.Create(a);
        var acc = Vector512<float>.Zero;
        for (nuint c = 0; c < (nuint)x.Length; c += 16)
        {
            Vector512.FusedMultiplyAdd(va, Vector512.LoadUnsafe(ref pr, c), Vector512.LoadUnsafe(ref xr, c)).StoreUnsafe(ref xr, c);
            var rv = Vector512.FusedMultiplyAdd(-va, Vector512.LoadUnsafe(ref apr, c), Vector512.LoadUnsafe(ref rr, c));
            rv.StoreUnsafe(ref rr, c);
            acc = Vector512.FusedMultiplyAdd(rv, rv, acc);
        }
        return Vector512.Sum(acc);
    }

    /// <summary><c>p = r + beta·p</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Xpby16(ReadOnlySpan<float> r, float beta, Span<float> p)
    {
        ref float rr = ref MemoryMarshal.GetReference(r);
        ref float pr = ref MemoryMarshal.GetReference(p);
        var vb = Vector512.Create(beta);
        for (nuint c = 0; c < (nuint)r.Length; c += 16)
            Vector512.FusedMultiplyAdd(vb, Vector512.LoadUnsafe(ref pr, c), Vector512.LoadUnsafe(ref rr, c)).StoreUnsafe(ref pr, c);
    }

    /// <summary>The lane sums of four vectors, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector256<float> b0, Vector256<float> b1, Vector256<float> b2, Vector256<float> b3)
    {
        if (Avx.IsSupported)
        {
            var q = Avx.HorizontalAdd(Avx.HorizontalAdd(b0, b1), Avx.HorizontalAdd(b2, b3)); // [s0 s1 s2 s3 | s0' s1' s2' s3']
            return q.GetLower() + q.GetUpper();
        }
        return Vector128.Create(Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3));
    }
}
