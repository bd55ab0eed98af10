namespace Attune.Algorithms.Scoring;

/// <summary>Top-k selection over a score span with a fixed-size min-heap: O(n log k), no allocation.</summary>
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
        Span<float> heapScores = k <= 256 ? stackalloc float[k] : new float[k];
        var heapItems = result[..k];
        int size = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (!(s > float.NegativeInfinity)) continue;
            if (size < k)
            {
                Push(heapScores, heapItems, ref size, s, i);
            }
            else if (Worse(heapScores[0], heapItems[0], s, i))
            {
                SiftDown(heapScores, heapItems, size, s, i);
            }
        }
        // Pop the worst to the end: the span ends sorted best first.
        for (int n = size - 1; n > 0; n--)
        {
            float s = heapScores[n];
            int item = heapItems[n];
            heapScores[n] = heapScores[0];
            heapItems[n] = heapItems[0];
            SiftDown(heapScores, heapItems, n, s, item);
        }
        return size;
    }

    /// <summary>Whether (s1, i1) ranks below (s2, i2): a lower score, or the same score and a higher index.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static bool Worse(float s1, int i1, float s2, int i2) => s1 < s2 || (s1 == s2 && i1 > i2);

    /// <summary>Adds an entry to a min-heap (worst at the root) of <paramref name="size"/> entries.</summary>
    internal static void Push(Span<float> scores, Span<int> items, ref int size, float s, int item)
    {
        int c = size++;
        while (c > 0)
        {
            int p = (c - 1) >> 1;
            if (!Worse(s, item, scores[p], items[p])) break;
            scores[c] = scores[p];
            items[c] = items[p];
            c = p;
        }
        scores[c] = s;
        items[c] = item;
    }

    /// <summary>Puts (s, item) at the root of the min-heap and sinks it to its place.</summary>
    internal static void SiftDown(Span<float> scores, Span<int> items, int size, float s, int item)
    {
        int c = 0;
        while (true)
        {
            int l = 2 * c + 1;
            if (l >= size) break;
            int r = l + 1;
            int m = r < size && Worse(scores[r], items[r], scores[l], items[l]) ? r : l;
            if (!Worse(scores[m], items[m], s, item)) break;
            scores[c] = scores[m];
            items[c] = items[m];
            c = m;
        }
        scores[c] = s;
        items[c] = item;
    }
}
