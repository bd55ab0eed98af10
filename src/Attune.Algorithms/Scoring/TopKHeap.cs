using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Attune.Algorithms.Scoring;

/// <summary>
/// The one top-k heap: a min-heap of (score, item) over two caller-provided spans, the worst entry at the root, so a new
/// entry is compared with one value and only better ones pay for a sift. It allocates nothing; callers own the storage
/// (stack, pooled or reused arrays). Order: a higher score ranks higher; equal scores go to the lower item index.
/// </summary>
/// <remarks>
/// Use <see cref="TryAdd"/> when every entry is offered; when testing an entry is costly (a filter), check
/// <see cref="IsFull"/> and <see cref="MinScore"/> first and call <see cref="Push"/> or <see cref="ReplaceMin"/> only for
/// entries that pass. <see cref="SortBestFirst"/> ends the selection: the spans then hold the entries best first.
/// </remarks>
public ref struct TopKHeap
{
    private readonly Span<float> _scores;
    private readonly Span<int> _items;
    private int _count;

    /// <summary>A heap holding up to <c>min(scores.Length, items.Length)</c> entries, stored in these spans.</summary>
    public TopKHeap(Span<float> scores, Span<int> items)
    {
        int capacity = Math.Min(scores.Length, items.Length);
        _scores = scores[..capacity];
        _items = items[..capacity];
    }

    public readonly int Count => _count;
    public readonly int Capacity => _scores.Length;
    public readonly bool IsFull => _count == _scores.Length;

    /// <summary>The worst entry's score (the root). Once the heap is full, only an entry that beats it can enter.</summary>
    public readonly float MinScore => _scores[0];
    /// <summary>The worst entry's item.</summary>
    public readonly int MinItem => _items[0];

    /// <summary>The entries' scores and items: in heap order while selecting, best first after <see cref="SortBestFirst"/>.</summary>
    public readonly ReadOnlySpan<float> Scores => _scores[.._count];
    public readonly ReadOnlySpan<int> Items => _items[.._count];

    /// <summary>Whether (s1, i1) ranks below (s2, i2): a lower score, or the same score and a higher index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Worse(float s1, int i1, float s2, int i2) => s1 < s2 || (s1 == s2 && i1 > i2);

    /// <summary>Whether <see cref="TryAdd"/> would keep (score, item): the heap has room, or the entry beats the minimum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Accepts(float score, int item) => _count < _scores.Length || Worse(_scores[0], _items[0], score, item);

    /// <summary>Adds the entry if it belongs in the top k (evicting the minimum when full); returns whether it was kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd(float score, int item)
    {
        if (_count < _scores.Length)
        {
            Push(score, item);
            return true;
        }
        if (_count == 0 || !Worse(_scores[0], _items[0], score, item)) return false;
        SiftDown(_scores, _items, _count, score, item);
        return true;
    }

    /// <summary>Adds an entry to a heap that is not full.</summary>
    public void Push(float score, int item)
    {
        Debug.Assert(_count < _scores.Length);
        var scores = _scores;
        var items = _items;
        int c = _count++;
        while (c > 0)
        {
            int p = (c - 1) >> 1;
            if (!Worse(score, item, scores[p], items[p])) break;
            scores[c] = scores[p];
            items[c] = items[p];
            c = p;
        }
        scores[c] = score;
        items[c] = item;
    }

    /// <summary>Replaces the minimum of a full heap with a better entry.</summary>
    public readonly void ReplaceMin(float score, int item)
    {
        Debug.Assert(_count > 0 && Worse(_scores[0], _items[0], score, item));
        SiftDown(_scores, _items, _count, score, item);
    }

    /// <summary>
    /// Sorts the entries in place, best first (heap sort: the minimum is swapped to the end, repeatedly), and returns how many
    /// there are. The heap is spent: read <see cref="Scores"/> and <see cref="Items"/>, do not add more.
    /// </summary>
    public readonly int SortBestFirst()
    {
        var scores = _scores;
        var items = _items;
        for (int n = _count - 1; n > 0; n--)
        {
            float s = scores[n];
            int item = items[n];
            scores[n] = scores[0];
            items[n] = items[0];
            SiftDown(scores, items, n, s, item);
        }
        return _count;
    }

    /// <summary>Puts (score, item) at the root of a heap of <paramref name="size"/> entries and sinks it to its place.</summary>
    private static void SiftDown(Span<float> scores, Span<int> items, int size, float score, int item)
    {
        int c = 0;
        while (true)
        {
            int l = 2 * c + 1;
            if (l >= size) break;
            int r = l + 1;
            int m = r < size && Worse(scores[r], items[r], scores[l], items[l]) ? r : l;
            if (!Worse(scores[m], items[m], score, item)) break;
            scores[c] = scores[m];
            items[c] = items[m];
            c = m;
        }
        scores[c] = score;
        items[c] = item;
    }
}
