using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Attune.Algorithms.Scoring;

/// <summary>
/// Dense kernels over row-major factor matrices (<c>rank</c> floats per row): dot products of many rows with one vector,
/// weighted sums of rows, and Gram matrices. They are the inner loops of matrix-factorization training and scoring.
/// </summary>
/// <remarks>
/// When <c>rank</c> is a multiple of 16 and the CPU has AVX-512, hand-written <see cref="Vector512{T}"/> loops run: eight
/// rows at a time for dot products (independent accumulators hide the FMA latency, the vector chunk is loaded once for the
/// eight rows, and one horizontal-add tree finishes all eight sums: <see cref="Vector512.Sum{T}"/> per row cost more than
/// the multiplications), and up to four row chunks kept in registers while summing rows. Otherwise a multiple of 8 uses the same loops
/// with <see cref="Vector256{T}"/>, and any other rank falls back to <see cref="TensorPrimitives"/> per row. Rank 64, the
/// default, has its own loops (the vector held in registers, two FMA chains per row), and sequential scans prefetch ahead.
/// Row indexes are not bounds-checked in the fast paths: callers pass indexes from a validated matrix.
/// </remarks>
internal static partial class FactorKernels
{
    /// <summary>Which SIMD width the fast paths use for <paramref name="rank"/>: 16, 8, or 0 (per-row TensorPrimitives).</summary>
    public static int VectorWidth(int rank) =>
        Vector512.IsHardwareAccelerated && rank % 16 == 0 ? 16
        : Vector256.IsHardwareAccelerated && rank % 8 == 0 ? 8
        : 0;

    /// <summary><c>result[i] = dot(m[rows[i]], v)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotRows(ReadOnlySpan<float> m, int rank, ReadOnlySpan<int> rows, ReadOnlySpan<float> v, Span<float> result)
    {
        Debug.Assert(v.Length == rank && result.Length >= rows.Length);
        switch (VectorWidth(rank))
        {
            case 16: DotRows512(new IndexedRows(rows, rank), m, rank, v, result, prefetch: false); break;
            case 8: DotRows256(new IndexedRows(rows, rank), m, rank, v, result, prefetch: false); break;
            default:
                for (int i = 0; i < rows.Length; i++) result[i] = TensorPrimitives.Dot(m.Slice(rows[i] * rank, rank), v);
                break;
        }
    }

    /// <summary>
    /// <c>result[i] = dot(m[first + i], v)</c> for <c>result.Length</c> consecutive rows from row <paramref name="first"/>;
    /// <paramref name="width"/> is 16, 8 or 0 (see <see cref="VectorWidth"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotAll(ReadOnlySpan<float> m, int rank, ReadOnlySpan<float> v, Span<float> result, int width, int first = 0)
    {
        Debug.Assert(v.Length == rank && m.Length >= ((long)first + result.Length) * rank);
        switch (width)
        {
            case 16 when rank == 64: DotAll64(m, v, result, first); break;
            case 16: DotRows512(new ContiguousRows(result.Length, rank, first), m, rank, v, result, prefetch: true); break;
            case 8: DotRows256(new ContiguousRows(result.Length, rank, first), m, rank, v, result, prefetch: true); break;
            default:
                for (int i = 0; i < result.Length; i++) result[i] = TensorPrimitives.Dot(m.Slice((first + i) * rank, rank), v);
                break;
        }
    }

    /// <summary>
    /// <c>result = Σ coef[i]·m[rows[i]]</c>, or <c>result += …</c> when <paramref name="accumulate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumRows(ReadOnlySpan<float> m, int rank, ReadOnlySpan<int> rows, ReadOnlySpan<float> coef, Span<float> result, bool accumulate)
    {
        Debug.Assert(result.Length == rank && coef.Length >= rows.Length);
        switch (VectorWidth(rank))
        {
            case 16: SumRows512(new IndexedRows(rows, rank), m, rank, coef, result, accumulate); break;
            case 8: SumRows256(new IndexedRows(rows, rank), m, rank, coef, result, accumulate); break;
            default:
                if (!accumulate) result.Clear();
                for (int i = 0; i < rows.Length; i++) TensorPrimitives.MultiplyAdd(m.Slice(rows[i] * rank, rank), coef[i], result, result);
                break;
        }
    }

    /// <summary>
    /// <c>result += g·v</c> for a symmetric <c>rank × rank</c> matrix <paramref name="g"/> (computed as <c>Σ v[j]·g[j]</c>, rows
    /// being columns).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddSymmetricProduct(ReadOnlySpan<float> g, int rank, ReadOnlySpan<float> v, Span<float> result)
    {
        Debug.Assert(g.Length == rank * rank && v.Length == rank && result.Length == rank);
        switch (VectorWidth(rank))
        {
            case 16: SumRows512(new ContiguousRows(rank, rank), g, rank, v, result, accumulate: true); break;
            case 8: SumRows256(new ContiguousRows(rank, rank), g, rank, v, result, accumulate: true); break;
            default:
                for (int j = 0; j < rank; j++) TensorPrimitives.MultiplyAdd(g.Slice(j * rank, rank), v[j], result, result);
                break;
        }
    }

    /// <summary>
    /// <c>g += Σ w[i]·m[r]ᵀm[r]</c> over rows <c>r = rows[i]</c> (full <c>rank × rank</c> matrix, both triangles), with
    /// <c>w[i] = 1</c> when <paramref name="weights"/> is empty.
    /// </summary>
    public static void AddGram(ReadOnlySpan<float> m, int rank, ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, Span<float> g) =>
        AddGramCore(new IndexedRows(rows, rank), m, rank, weights, g);

    /// <summary><c>g += Σ m[r]ᵀm[r]</c> over rows <c>first .. first + count - 1</c>.</summary>
    public static void AddGram(ReadOnlySpan<float> m, int rank, int first, int count, Span<float> g) =>
        AddGramCore(new ContiguousRows(count, rank, first), m.Slice(0), rank, default, g);

    /// <summary>
    /// <c>mᵀm</c> over the first <paramref name="rows"/> rows, on up to <paramref name="threads"/> threads. The rows are cut into
    /// fixed blocks whose partial sums are added in block order, so the result is the same bits for any thread count.
    /// </summary>
    public static float[] Gram(float[] m, int rank, int rows, int threads)
    {
        const int Block = 4096;
        int blocks = (rows + Block - 1) / Block;
        var g = new float[rank * rank];
        if (blocks <= 1)
        {
            AddGram(m, rank, 0, rows, g);
            return g;
        }
        var partial = new float[blocks][];
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, b =>
        {
            var p = new float[rank * rank];
            int first = b * Block;
            AddGram(m, rank, first, Math.Min(Block, rows - first), p);
            partial[b] = p;
        });
        foreach (var p in partial) TensorPrimitives.Add(g, p, g);
        return g;
    }

    // ---- Row sources: a struct per layout so the JIT compiles one specialised loop for each. ----

    private interface IRowSource
    {
        int Count { get; }
        nuint Offset(int i);
    }

    private readonly ref struct IndexedRows(ReadOnlySpan<int> rows, int rank) : IRowSource
    {
        private readonly ReadOnlySpan<int> _rows = rows;
        private readonly nuint _rank = (nuint)rank;
        public int Count => _rows.Length;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public nuint Offset(int i) => (nuint)(uint)Unsafe.Add(ref MemoryMarshal.GetReference(_rows), i) * _rank;
    }

    private readonly struct ContiguousRows(int count, int rank, int first = 0) : IRowSource
    {
        private readonly nuint _rank = (nuint)rank;
        private readonly nuint _first = (nuint)first;
        public int Count => count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public nuint Offset(int i) => (_first + (nuint)(uint)i) * _rank;
    }

    // ---- Vector512 loops (rank % 16 == 0). ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotRows512<TRows>(TRows rows, ReadOnlySpan<float> m, int rank, ReadOnlySpan<float> v, Span<float> result, bool prefetch)
        where TRows : IRowSource, allows ref struct
    {
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float res = ref MemoryMarshal.GetReference(result);
        nuint k = (nuint)rank;
        int n = rows.Count;
        // Eight rows per block: eight independent FMA chains, the vector chunk loaded once per eight rows, and one
        // horizontal-add tree for all eight sums. A short last block repeats its first row and keeps only the real sums.
        for (int i = 0; i < n; i += 8)
        {
            int valid = Math.Min(8, n - i);
            nuint o0 = rows.Offset(i);
            if (prefetch) PrefetchAhead(ref mr, o0, 8 * k, (nuint)m.Length);
            nuint o1 = valid > 1 ? rows.Offset(i + 1) : o0, o2 = valid > 2 ? rows.Offset(i + 2) : o0, o3 = valid > 3 ? rows.Offset(i + 3) : o0;
            nuint o4 = valid > 4 ? rows.Offset(i + 4) : o0, o5 = valid > 5 ? rows.Offset(i + 5) : o0, o6 = valid > 6 ? rows.Offset(i + 6) : o0, o7 = valid > 7 ? rows.Offset(i + 7) : o0;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (nuint c = 0; c < k; c += 16)
            {
                var x = Vector512.LoadUnsafe(ref vr, c);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o0 + c), x, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o1 + c), x, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o2 + c), x, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o3 + c), x, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o4 + c), x, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o5 + c), x, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o6 + c), x, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o7 + c), x, a7);
            }
            var sums = Sum8(a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper(), a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper(),
                a4.GetLower() + a4.GetUpper(), a5.GetLower() + a5.GetUpper(), a6.GetLower() + a6.GetUpper(), a7.GetLower() + a7.GetUpper());
            Store(sums, ref Unsafe.Add(ref res, i), valid);
        }
    }

    /// <summary>How far ahead of a sequential scan to prefetch: measured best at 8–16 KB on the development machine (Zen 5).</summary>
    private const nuint ScanPrefetchBytes = 8192;

    /// <summary>
    /// Prefetches the <paramref name="count"/> floats that a sequential scan reaches <see cref="ScanPrefetchBytes"/> after
    /// offset <paramref name="offset"/>. The hardware prefetcher alone leaves a single core well short of memory bandwidth.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchAhead(ref float m, nuint offset, nuint count, nuint length)
    {
        nuint first = offset + ScanPrefetchBytes / sizeof(float);
        if (!Sse.IsSupported || first + count > length) return;
        byte* p = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref m, first));
        for (nuint b = 0; b < count * sizeof(float); b += 64) Sse.Prefetch0(p + b);
    }

    /// <summary>
    /// Every row's dot product at rank 64, the default: the vector in four registers, eight rows per step, each as two
    /// chains, with the scan prefetched ahead. About 40% faster than the general loop on 100,000 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotAll64(ReadOnlySpan<float> m, ReadOnlySpan<float> v, Span<float> result, int first)
    {
        ref float mr = ref Unsafe.Add(ref MemoryMarshal.GetReference(m), (nuint)(uint)first * 64);
        nuint length = (nuint)m.Length - (nuint)(uint)first * 64;
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float res = ref MemoryMarshal.GetReference(result);
        var x0 = Vector512.LoadUnsafe(ref vr, 0);
        var x1 = Vector512.LoadUnsafe(ref vr, 16);
        var x2 = Vector512.LoadUnsafe(ref vr, 32);
        var x3 = Vector512.LoadUnsafe(ref vr, 48);
        int n = result.Length, i = 0;
        for (; i + 8 <= n; i += 8)
        {
            nuint o = (nuint)i * 64;
            PrefetchAhead(ref mr, o, 8 * 64, length);
            ref float y = ref Unsafe.Add(ref mr, o);
            var sums = Sum8(Row64(ref y, 0, x0, x1, x2, x3), Row64(ref y, 64, x0, x1, x2, x3), Row64(ref y, 128, x0, x1, x2, x3), Row64(ref y, 192, x0, x1, x2, x3),
                Row64(ref y, 256, x0, x1, x2, x3), Row64(ref y, 320, x0, x1, x2, x3), Row64(ref y, 384, x0, x1, x2, x3), Row64(ref y, 448, x0, x1, x2, x3));
            sums.StoreUnsafe(ref res, (nuint)i);
        }
        for (; i < n; i++)
        {
            var a = Row64(ref Unsafe.Add(ref mr, (nuint)i * 64), 0, x0, x1, x2, x3);
            Unsafe.Add(ref res, i) = Vector256.Sum(a);
        }
    }

    /// <summary>One 64-float row times the vector, folded to 8 lanes (two FMA chains, then the halves added).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row64(ref float y, nuint o, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3)
    {
        var a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y, o + 16), x1, Vector512.LoadUnsafe(ref y, o) * x0)
              + Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y, o + 48), x3, Vector512.LoadUnsafe(ref y, o + 32) * x2);
        return a.GetLower() + a.GetUpper();
    }

    /// <summary>The lane sums of eight vectors, in order: three rounds of pairwise horizontal adds and one cross-lane add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sum8(Vector256<float> b0, Vector256<float> b1, Vector256<float> b2, Vector256<float> b3,
        Vector256<float> b4, Vector256<float> b5, Vector256<float> b6, Vector256<float> b7)
    {
        if (Avx.IsSupported)
        {
            var q0 = Avx.HorizontalAdd(Avx.HorizontalAdd(b0, b1), Avx.HorizontalAdd(b2, b3)); // [s0 s1 s2 s3 | s0' s1' s2' s3']
            var q1 = Avx.HorizontalAdd(Avx.HorizontalAdd(b4, b5), Avx.HorizontalAdd(b6, b7));
            return Avx.Permute2x128(q0, q1, 0x20) + Avx.Permute2x128(q0, q1, 0x31);
        }
        return Vector256.Create(Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3),
            Vector256.Sum(b4), Vector256.Sum(b5), Vector256.Sum(b6), Vector256.Sum(b7));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> sums, ref float destination, int valid)
    {
        if (valid == 8)
        {
            sums.StoreUnsafe(ref destination);
            return;
        }
        for (int j = 0; j < valid; j++) Unsafe.Add(ref destination, j) = sums.GetElement(j);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumRows512<TRows>(TRows rows, ReadOnlySpan<float> m, int rank, ReadOnlySpan<float> coef, Span<float> result, bool accumulate)
        where TRows : IRowSource, allows ref struct
    {
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float cr = ref MemoryMarshal.GetReference(coef);
        ref float res = ref MemoryMarshal.GetReference(result);
        nuint k = (nuint)rank;
        int n = rows.Count;
        nuint c0 = 0;
        // Four chunks (64 floats) at a time stay in registers while every row streams past.
        for (; c0 + 64 <= k; c0 += 64)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            if (accumulate)
            {
                a0 = Vector512.LoadUnsafe(ref res, c0);
                a1 = Vector512.LoadUnsafe(ref res, c0 + 16);
                a2 = Vector512.LoadUnsafe(ref res, c0 + 32);
                a3 = Vector512.LoadUnsafe(ref res, c0 + 48);
            }
            for (int i = 0; i < n; i++)
            {
                var w = Vector512.Create(Unsafe.Add(ref cr, i));
                nuint o = rows.Offset(i) + c0;
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o), w, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o + 16), w, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o + 32), w, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, o + 48), w, a3);
            }
            a0.StoreUnsafe(ref res, c0);
            a1.StoreUnsafe(ref res, c0 + 16);
            a2.StoreUnsafe(ref res, c0 + 32);
            a3.StoreUnsafe(ref res, c0 + 48);
        }
        for (; c0 < k; c0 += 16)
        {
            var a = accumulate ? Vector512.LoadUnsafe(ref res, c0) : default;
            for (int i = 0; i < n; i++)
                a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref mr, rows.Offset(i) + c0), Vector512.Create(Unsafe.Add(ref cr, i)), a);
            a.StoreUnsafe(ref res, c0);
        }
    }

    // ---- Vector256 loops (rank % 8 == 0): the same shapes. ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotRows256<TRows>(TRows rows, ReadOnlySpan<float> m, int rank, ReadOnlySpan<float> v, Span<float> result, bool prefetch)
        where TRows : IRowSource, allows ref struct
    {
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float res = ref MemoryMarshal.GetReference(result);
        nuint k = (nuint)rank;
        int n = rows.Count;
        for (int i = 0; i < n; i += 8)
        {
            int valid = Math.Min(8, n - i);
            nuint o0 = rows.Offset(i);
            if (prefetch) PrefetchAhead(ref mr, o0, 8 * k, (nuint)m.Length);
            nuint o1 = valid > 1 ? rows.Offset(i + 1) : o0, o2 = valid > 2 ? rows.Offset(i + 2) : o0, o3 = valid > 3 ? rows.Offset(i + 3) : o0;
            nuint o4 = valid > 4 ? rows.Offset(i + 4) : o0, o5 = valid > 5 ? rows.Offset(i + 5) : o0, o6 = valid > 6 ? rows.Offset(i + 6) : o0, o7 = valid > 7 ? rows.Offset(i + 7) : o0;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (nuint c = 0; c < k; c += 8)
            {
                var x = Vector256.LoadUnsafe(ref vr, c);
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o0 + c), x, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o1 + c), x, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o2 + c), x, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o3 + c), x, a3);
                a4 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o4 + c), x, a4);
                a5 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o5 + c), x, a5);
                a6 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o6 + c), x, a6);
                a7 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o7 + c), x, a7);
            }
            Store(Sum8(a0, a1, a2, a3, a4, a5, a6, a7), ref Unsafe.Add(ref res, i), valid);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumRows256<TRows>(TRows rows, ReadOnlySpan<float> m, int rank, ReadOnlySpan<float> coef, Span<float> result, bool accumulate)
        where TRows : IRowSource, allows ref struct
    {
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float cr = ref MemoryMarshal.GetReference(coef);
        ref float res = ref MemoryMarshal.GetReference(result);
        nuint k = (nuint)rank;
        int n = rows.Count;
        nuint c0 = 0;
        for (; c0 + 32 <= k; c0 += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            if (accumulate)
            {
                a0 = Vector256.LoadUnsafe(ref res, c0);
                a1 = Vector256.LoadUnsafe(ref res, c0 + 8);
                a2 = Vector256.LoadUnsafe(ref res, c0 + 16);
                a3 = Vector256.LoadUnsafe(ref res, c0 + 24);
            }
            for (int i = 0; i < n; i++)
            {
                var w = Vector256.Create(Unsafe.Add(ref cr, i));
                nuint o = rows.Offset(i) + c0;
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o), w, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o + 8), w, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o + 16), w, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, o + 24), w, a3);
            }
            a0.StoreUnsafe(ref res, c0);
            a1.StoreUnsafe(ref res, c0 + 8);
            a2.StoreUnsafe(ref res, c0 + 16);
            a3.StoreUnsafe(ref res, c0 + 24);
        }
        for (; c0 < k; c0 += 8)
        {
            var a = accumulate ? Vector256.LoadUnsafe(ref res, c0) : default;
            for (int i = 0; i < n; i++)
                a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref mr, rows.Offset(i) + c0), Vector256.Create(Unsafe.Add(ref cr, i)), a);
            a.StoreUnsafe(ref res, c0);
        }
    }

    // ---- Gram matrices. ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddGramCore<TRows>(TRows rows, ReadOnlySpan<float> m, int rank, ReadOnlySpan<float> weights, Span<float> g)
        where TRows : IRowSource, allows ref struct
    {
        Debug.Assert(g.Length == rank * rank);
        int n = rows.Count;
        bool weighted = !weights.IsEmpty;
        if (VectorWidth(rank) == 0)
        {
            for (int i = 0; i < n; i++)
            {
                var y = m.Slice((int)rows.Offset(i), rank);
                float w = weighted ? weights[i] : 1f;
                for (int j = 0; j < rank; j++) TensorPrimitives.MultiplyAdd(y, w * y[j], g.Slice(j * rank, rank), g.Slice(j * rank, rank));
            }
            return;
        }
        // Four rows at a time: g[j, :] += Σ_r w_r·y_r[j]·y_r, one load and store of g's row per four rank-1 updates.
        ref float mr = ref MemoryMarshal.GetReference(m);
        int i0 = 0;
        for (; i0 + 4 <= n; i0 += 4)
        {
            ref float y0 = ref Unsafe.Add(ref mr, rows.Offset(i0));
            ref float y1 = ref Unsafe.Add(ref mr, rows.Offset(i0 + 1));
            ref float y2 = ref Unsafe.Add(ref mr, rows.Offset(i0 + 2));
            ref float y3 = ref Unsafe.Add(ref mr, rows.Offset(i0 + 3));
            float w0 = 1, w1 = 1, w2 = 1, w3 = 1;
            if (weighted) { w0 = weights[i0]; w1 = weights[i0 + 1]; w2 = weights[i0 + 2]; w3 = weights[i0 + 3]; }
            AddRank4(ref y0, ref y1, ref y2, ref y3, w0, w1, w2, w3, rank, g);
        }
        for (; i0 < n; i0++)
        {
            ref float y0 = ref Unsafe.Add(ref mr, rows.Offset(i0));
            AddRank4(ref y0, ref y0, ref y0, ref y0, weighted ? weights[i0] : 1f, 0, 0, 0, rank, g);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRank4(ref float y0, ref float y1, ref float y2, ref float y3, float w0, float w1, float w2, float w3, int rank, Span<float> g)
    {
        ref float gr = ref MemoryMarshal.GetReference(g);
        nuint k = (nuint)rank;
        if (VectorWidth(rank) == 16)
        {
            for (nuint j = 0; j < k; j++)
            {
                var s0 = Vector512.Create(w0 * Unsafe.Add(ref y0, j));
                var s1 = Vector512.Create(w1 * Unsafe.Add(ref y1, j));
                var s2 = Vector512.Create(w2 * Unsafe.Add(ref y2, j));
                var s3 = Vector512.Create(w3 * Unsafe.Add(ref y3, j));
                nuint row = j * k;
                for (nuint c = 0; c < k; c += 16)
                {
                    var acc = Vector512.LoadUnsafe(ref gr, row + c);
                    acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y0, c), s0, acc);
                    acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y1, c), s1, acc);
                    acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y2, c), s2, acc);
                    acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref y3, c), s3, acc);
                    acc.StoreUnsafe(ref gr, row + c);
                }
            }
        }
        else
        {
            for (nuint j = 0; j < k; j++)
            {
                var s0 = Vector256.Create(w0 * Unsafe.Add(ref y0, j));
                var s1 = Vector256.Create(w1 * Unsafe.Add(ref y1, j));
                var s2 = Vector256.Create(w2 * Unsafe.Add(ref y2, j));
                var s3 = Vector256.Create(w3 * Unsafe.Add(ref y3, j));
                nuint row = j * k;
                for (nuint c = 0; c < k; c += 8)
                {
                    var acc = Vector256.LoadUnsafe(ref gr, row + c);
                    acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref y0, c), s0, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref y1, c), s1, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref y2, c), s2, acc);
                    acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref y3, c), s3, acc);
                    acc.StoreUnsafe(ref gr, row + c);
                }
            }
        }
    }
}
