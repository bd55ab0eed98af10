using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Attune.Search.Semantic;

/// <summary>
/// Unit vectors by item id, quantized to 8 bits per dimension (one scale per vector: a quarter of the memory of floats),
/// searched exactly by brute force: every vector's dot product with the query, in 256-bit SIMD integer arithmetic, split over
/// the cores for large catalogs. Exact search over quantized vectors keeps recall at 100 % of what the quantization keeps
/// (the best match is almost always the same) with no graph to build; <c>bench/</c> measures its speed at 100,000 items.
/// Readers run concurrently; writers take turns and never block a reader for long.
/// </summary>
public sealed class VectorIndex
{
    private readonly int _dimensions;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _rows = new(StringComparer.Ordinal);
    private readonly Stack<int> _free = new();
    private sbyte[] _codes = [];
    private float[] _scales = [];
    private string?[] _ids = [];
    private int _used;

    public VectorIndex(int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        // Padded to whole 32-byte blocks so the SIMD loop needs no tail.
        _dimensions = (dimensions + 31) / 32 * 32;
        Dimensions = dimensions;
    }

    public int Dimensions { get; }

    /// <summary>Vectors held.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return _rows.Count; }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Bytes the vectors take (codes, scales and ids' slots; not the id strings themselves).</summary>
    public long MemoryBytes
    {
        get
        {
            _lock.EnterReadLock();
            try { return (long)_codes.Length + _scales.Length * sizeof(float) + _ids.Length * IntPtr.Size; }
            finally { _lock.ExitReadLock(); }
        }
    }

    public bool Contains(string id)
    {
        _lock.EnterReadLock();
        try { return _rows.ContainsKey(id); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Sets <paramref name="id"/>'s vector (unit length; <see cref="Dimensions"/> values).</summary>
    public void Set(string id, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (vector.Length != Dimensions) throw new ArgumentException($"expected {Dimensions} values, got {vector.Length}", nameof(vector));
        Span<sbyte> code = stackalloc sbyte[_dimensions];
        SetCodes(id, code, Quantize(vector, code));
    }

    /// <summary>Sets <paramref name="id"/>'s quantized vector as <see cref="ForEach"/> gave it (a saved index read back).</summary>
    public void SetCodes(string id, ReadOnlySpan<sbyte> code, float scale)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (code.Length != _dimensions) throw new ArgumentException($"expected {_dimensions} codes, got {code.Length}", nameof(code));
        _lock.EnterWriteLock();
        try
        {
            if (!_rows.TryGetValue(id, out int row))
            {
                row = _free.Count > 0 ? _free.Pop() : _used++;
                if (row >= _scales.Length) Grow();
                _rows[id] = row;
                _ids[row] = id;
            }
            code.CopyTo(_codes.AsSpan(row * _dimensions, _dimensions));
            _scales[row] = scale;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Codes per vector (<see cref="Dimensions"/> rounded up to whole SIMD blocks).</summary>
    public int CodeLength => _dimensions;

    /// <summary>Visits every vector's id, codes and scale (under the read lock: the visitor must not write to this index).</summary>
    public void ForEach(Action<string, ReadOnlySpan<sbyte>, float> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        _lock.EnterReadLock();
        try
        {
            foreach (var (id, row) in _rows) visit(id, _codes.AsSpan(row * _dimensions, _dimensions), _scales[row]);
        }
        finally { _lock.ExitReadLock(); }
    }

    public bool Remove(string id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_rows.Remove(id, out int row)) return false;
            _ids[row] = null;
            _scales[row] = 0;
            _free.Push(row);
            return true;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>The <paramref name="count"/> vectors closest to <paramref name="query"/> (a unit vector) with a cosine
    /// similarity of at least <paramref name="minSimilarity"/>, closest first.</summary>
    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int count, float minSimilarity = -1f)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"expected {Dimensions} values, got {query.Length}", nameof(query));
        if (count <= 0) return [];
        var code = new sbyte[_dimensions];
        float queryScale = Quantize(query, code);
        _lock.EnterReadLock();
        try
        {
            int rows = _used;
            if (rows == 0) return [];
            var similarity = new float[rows];
            int parts = rows >= 20_000 ? Math.Min(Environment.ProcessorCount, 8) : 1;
            if (parts == 1) Score(code, queryScale, 0, rows, similarity);
            else
            {
                int chunk = (rows + parts - 1) / parts;
                Parallel.For(0, parts, p => Score(code, queryScale, p * chunk, Math.Min(rows, (p + 1) * chunk), similarity));
            }
            return Top(similarity, count, minSimilarity);
        }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>The cosine similarity of <paramref name="query"/> to each of <paramref name="ids"/>' vectors, written to
    /// <paramref name="similarity"/>; NaN for an id without a vector.</summary>
    public void Similarities(ReadOnlySpan<float> query, IReadOnlyList<string> ids, Span<float> similarity)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (query.Length != Dimensions) throw new ArgumentException($"expected {Dimensions} values, got {query.Length}", nameof(query));
        Span<sbyte> code = stackalloc sbyte[_dimensions];
        float queryScale = Quantize(query, code);
        _lock.EnterReadLock();
        try
        {
            for (int k = 0; k < ids.Count; k++)
            {
                similarity[k] = _rows.TryGetValue(ids[k], out int r)
                    ? Dot(_codes.AsSpan(r * _dimensions, _dimensions), code) * _scales[r] * queryScale
                    : float.NaN;
            }
        }
        finally { _lock.ExitReadLock(); }
    }

    private void Score(sbyte[] query, float queryScale, int from, int to, float[] similarity)
    {
        int d = _dimensions;
        for (int r = from; r < to; r++)
        {
            float scale = _scales[r];
            similarity[r] = scale == 0 ? float.NegativeInfinity : Dot(_codes.AsSpan(r * d, d), query) * scale * queryScale;
        }
    }

    private List<SearchHit> Top(float[] similarity, int count, float minSimilarity)
    {
        // A bounded min-heap of the best so far: one pass, no sort of the whole catalog.
        var heap = new PriorityQueue<int, float>(count + 1);
        for (int r = 0; r < similarity.Length; r++)
        {
            float s = similarity[r];
            if (!(s >= minSimilarity) || _ids[r] is null) continue;
            if (heap.Count < count) heap.Enqueue(r, s);
            else if (heap.TryPeek(out _, out float worst) && s > worst)
            {
                heap.Dequeue();
                heap.Enqueue(r, s);
            }
        }
        var hits = new SearchHit[heap.Count];
        for (int k = hits.Length - 1; k >= 0; k--)
        {
            heap.TryDequeue(out int r, out float s);
            hits[k] = new SearchHit(_ids[r]!, s);
        }
        return [.. hits];
    }

    private void Grow()
    {
        int capacity = Math.Max(1024, _scales.Length * 2);
        Array.Resize(ref _codes, capacity * _dimensions);
        Array.Resize(ref _scales, capacity);
        Array.Resize(ref _ids, capacity);
    }

    /// <summary>Writes round(v / scale) into <paramref name="code"/> (zero-padded) and returns the scale (max |v| / 127).</summary>
    private static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> code)
    {
        code.Clear();
        // MaxMagnitude returns the value (negative when the largest component is), not its magnitude.
        float max = Math.Abs(TensorPrimitives.MaxMagnitude(vector));
        if (!(max > 0)) return 0;
        float inverse = 127f / max;
        for (int i = 0; i < vector.Length; i++) code[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * inverse), -127f, 127f);
        return max / 127f;
    }

    /// <summary>The integer dot product of two codes of whole 32-byte blocks: products of two values within ±127 fit in 16 bits,
    /// their sums are widened to 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref sbyte pa = ref MemoryMarshal.GetReference(a);
        ref sbyte pb = ref MemoryMarshal.GetReference(b);
        var sum = Vector256<int>.Zero;
        for (int i = 0; i < a.Length; i += 32)
        {
            var (aLow, aHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref pa, (nuint)i));
            var (bLow, bHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref pb, (nuint)i));
            var (p0, p1) = Vector256.Widen(aLow * bLow);
            var (p2, p3) = Vector256.Widen(aHigh * bHigh);
            sum += p0 + p1 + p2 + p3;
        }
        return Vector256.Sum(sum);
    }
}
