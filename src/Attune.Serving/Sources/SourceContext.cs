using System.Runtime.InteropServices;
using Attune.Serving.Pipeline;
using Attune.Serving.Recipes;

namespace Attune.Serving.Sources;

/// <summary>
/// What a source may read while answering one request: the serving state (bundle, catalog, content model, trending), the
/// request, the person, the scenario as the recipe compiled it and its anchor items. One per thread, reused by every request
/// on it (no allocation); valid only during the call that receives it.
/// </summary>
public sealed class SourceContext
{
    internal readonly List<int> AnchorList = new(32);

    public ServingState State { get; internal set; } = null!;
    public RecommendationRequest Request { get; internal set; } = null!;
    public PersonView Person { get; internal set; } = null!;
    public CompiledScenario Scenario { get; internal set; } = null!;
    public ServingOptions Options { get; internal set; } = null!;
    /// <summary>The engine's catalog search (the <c>search</c> source's index); null when the engine has none.</summary>
    public Search.CatalogSearch? Search { get; internal set; }

    /// <summary>Items in the catalog view now (the bundle's, then items created after training).</summary>
    public int ItemCount { get; internal set; }

    /// <summary>The request's time (its context's <c>now</c>), Unix milliseconds.</summary>
    public long NowMs { get; internal set; }

    /// <summary>
    /// The items item-to-item sources start from, oldest first (newest last): the request's items, the person's recent items,
    /// the last viewed one or the cart, as the scenario says.
    /// </summary>
    public IReadOnlyList<int> Anchors => AnchorList;

    public ReadOnlySpan<int> AnchorSpan => CollectionsMarshal.AsSpan(AnchorList);

    /// <summary>The scenario's candidate pool sizes (large catalogs).</summary>
    public PoolSizes Pool => Scenario.Pool;

    /// <summary>Whether the request is for an item page or cart (its items are the anchors).</summary>
    public bool AnchoredOnRequest => Scenario.Anchor == Scenarios.AnchorKind.Request;
}

/// <summary>
/// The candidate pool of a large catalog: every item some source could rank high. Items are added once (a stamp per item,
/// no clearing between requests).
/// </summary>
public sealed class CandidatePool
{
    private readonly List<int> _items = new(4096);
    private int[] _mark = [];
    private int _stamp;
    private int _limit;

    public int Count => _items.Count;

    public ReadOnlySpan<int> Items => CollectionsMarshal.AsSpan(_items);

    internal void Reset(int itemCount)
    {
        _items.Clear();
        _limit = itemCount;
        if (_mark.Length < itemCount) _mark = new int[Math.Max(itemCount, _mark.Length * 2)];
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_mark);
            _stamp = 1;
        }
    }

    /// <summary>Adds an item (ignored when out of range or already in).</summary>
    public void Add(int item)
    {
        if ((uint)item >= (uint)_limit || _mark[item] == _stamp) return;
        _mark[item] = _stamp;
        _items.Add(item);
    }

    public void AddRange(ReadOnlySpan<int> items)
    {
        foreach (int item in items) Add(item);
    }

    /// <summary>Adds the <paramref name="k"/> best-scored items of a source that scored the whole catalog (nothing when it is silent).</summary>
    public void AddBest(SourceScores scores, int k)
    {
        if (scores.IsEmpty) return;
        k = Math.Min(k, scores.Length);
        Span<int> top = k <= 1024 ? stackalloc int[k] : new int[k];
        int found = Attune.Algorithms.Scoring.TopK.Select(scores.Values.AsSpan(0, scores.Length), k, top);
        AddRange(top[..found]);
    }
}
