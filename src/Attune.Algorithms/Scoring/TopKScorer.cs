using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Attune.Algorithms.Scoring;

/// <summary>
/// The <c>k</c> best items for one user vector without materialising every score: items are scored a block at a time into a
/// stack buffer and only scores above the current k-th best reach the heap. Allocates nothing for <c>k ≤ 256</c>.
/// </summary>
/// <remarks>
/// Same answer as <see cref="FactorScorer.ScoreAll"/> followed by <see cref="TopK.Select"/>: best first, ties to the lower
/// index, NaN and negative infinity never returned. Blocks are <see cref="BlockSize"/> items (4 KB of scores, warm in L1);
/// once the heap is full a SIMD compare against its minimum skips 16 scores at a time, so the heap costs almost nothing
/// and the whole call runs at the speed of the dot products.
/// </remarks>
public static class TopKScorer
{
    public const int BlockSize = 1024;

    /// <summary>
    /// Writes the indexes of the <paramref name="k"/> highest-scoring items into <paramref name="result"/>, best first, and
    /// returns how many were written. The item count is <c>itemFactors.Length / rank</c>.
    /// </summary>
    /// <param name="exclude">Items never to return (e.g. the user's training items), ascending; duplicates are fine.</param>
    /// <param name="itemBias">Per-item bias added to each dot product, or empty.</param>
    public static int Select(ReadOnlySpan<float> itemFactors, int rank, ReadOnlySpan<float> user, int k, Span<int> result,
        ReadOnlySpan<int> exclude = default, ReadOnlySpan<float> itemBias = default, ScoringKernel kernel = ScoringKernel.Auto)
    {
        int items = rank > 0 ? itemFactors.Length / rank : 0;
        FactorScorer.Validate(itemFactors, rank, user, items, itemBias);
        k = Math.Min(k, Math.Min(result.Length, items));
        if (k <= 0) return 0;
        int width = FactorScorer.Width(kernel, rank);

        float[]? rented = null;
        Span<float> heapScores = k <= 256 ? stackalloc float[256] : (rented = ArrayPool<float>.Shared.Rent(k));
        var heap = new TopKHeap(heapScores[..k], result[..k]);
        Span<float> block = stackalloc float[BlockSize];
        int e = 0;
        for (int start = 0; start < items; start += BlockSize)
        {
            int n = Math.Min(BlockSize, items - start);
            var scores = block[..n];
            FactorKernels.DotAll(itemFactors, rank, user, scores, width, start);
            if (!itemBias.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(scores, itemBias.Slice(start, n), scores);
            int end = start + n;
            while (e < exclude.Length && exclude[e] < end)
            {
                if (exclude[e] >= start) scores[exclude[e] - start] = float.NegativeInfinity;
                e++;
            }

            int i = 0;
            // Fill the heap first; from then on only a score above the minimum can enter (a tie loses: its index is higher).
            for (; i < n && !heap.IsFull; i++)
                if (scores[i] > float.NegativeInfinity) heap.Push(scores[i], start + i);
            if (!heap.IsFull) continue;
            float min = heap.MinScore; // kept in a register, refreshed after each replacement
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 16 <= n; i += 16)
                {
                    var v = Vector512.Create(scores.Slice(i, 16));
                    ulong mask = Vector512.GreaterThan(v, Vector512.Create(min)).ExtractMostSignificantBits();
                    while (mask != 0)
                    {
                        int j = i + BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        if (scores[j] > min) min = Replace(ref heap, scores[j], start + j);
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 8 <= n; i += 8)
                {
                    var v = Vector256.Create(scores.Slice(i, 8));
                    uint mask = Vector256.GreaterThan(v, Vector256.Create(min)).ExtractMostSignificantBits();
                    while (mask != 0)
                    {
                        int j = i + BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        if (scores[j] > min) min = Replace(ref heap, scores[j], start + j);
                    }
                }
            }
            for (; i < n; i++)
                if (scores[i] > min) min = Replace(ref heap, scores[i], start + i);
        }

        int size = heap.SortBestFirst();
        if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        return size;
    }

    /// <summary>Replaces the heap's minimum with a better entry and returns the new minimum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Replace(ref TopKHeap heap, float s, int item)
    {
        heap.ReplaceMin(s, item);
        return heap.MinScore;
    }
}
