namespace Attune.Algorithms.Scoring;

/// <summary>Top-k selection over a score span with a fixed-size <see cref="TopKHeap"/>: O(n log k), no allocation.</summary>
public static class TopK
{
    /// <summary>
    /// Writes the indexes of the <paramref name="k"/> highest scores into <paramref name="result"/>, best first, and returns how
    /// many were written (fewer when fewer scores are finite). Scores of <see cref="float.NegativeInfinity"/> or NaN are skipped,
    /// so callers exclude an item by setting its score to negative infinity. Ties go to the lower index.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> result)
    {
        k = Math.Min(k, Math.Min(result.Length, scores.Length));
        if (k <= 0) return 0;
        var heap = new TopKHeap(k <= 256 ? stackalloc float[k] : new float[k], result[..k]);
        int i = 0;
        for (; i < scores.Length && !heap.IsFull; i++)
            if (scores[i] > float.NegativeInfinity) heap.Push(scores[i], i);
        // Indexes only grow from here, so an equal score never enters: a plain compare with the minimum decides.
        float min = heap.IsFull ? heap.MinScore : float.PositiveInfinity;
        for (; i < scores.Length; i++)
        {
            if (scores[i] > min)
            {
                heap.ReplaceMin(scores[i], i);
                min = heap.MinScore;
            }
        }
        return heap.SortBestFirst();
    }
}
