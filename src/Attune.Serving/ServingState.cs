using Attune.Algorithms.Content;
using Attune.Serving.Catalog;
using Attune.Serving.Live;
using Attune.Serving.Models;
using Attune.Serving.Rules;

namespace Attune.Serving;

/// <summary>
/// Everything one request reads, swapped whole: the model bundle, the catalog in the bundle's index space, the content model
/// (refit when the catalog grows), online trending and the compiled rules. A request takes the state once and uses only it, so
/// a swap never mixes two versions inside one answer and needs no lock.
/// </summary>
public sealed class ServingState(ModelBundle bundle, CatalogView catalog, ContentModel? content, TrendingCounters trending, RuleBook rules)
{
    public ModelBundle Bundle { get; } = bundle;
    public CatalogView Catalog { get; } = catalog;
    public ContentModel? Content { get; } = content;
    public TrendingCounters Trending { get; } = trending;
    public RuleBook Rules { get; } = rules;
    public long SnapshotMs { get; } = bundle.Info.SnapshotAt.ToUnixTimeMilliseconds();

    private float[]? _itemNorms;

    /// <summary>Length of each item's factor vector (for "based on your interest in X": the closest history item by cosine).</summary>
    public float[] ItemNorms => _itemNorms ??= ComputeNorms();

    private float[] ComputeNorms()
    {
        if (Bundle.Als is not { } als) return [];
        var norms = new float[als.Items];
        for (int i = 0; i < norms.Length; i++) norms[i] = System.Numerics.Tensors.TensorPrimitives.Norm(als.ItemVector(i));
        return norms;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string?, string?, int), float[]> _popularity = new();

    /// <summary>
    /// Popularity scaled to a maximum of 1, averaged with the same among people on this device, in this country and at this part
    /// of the day (those the bundle knows); computed once per context and kept (at most 4,096 contexts).
    /// </summary>
    public float[] PopularityFor(string? device, string? country, int? localHour)
    {
        string? daypart = localHour is { } h ? Training.ContextKeys.PartOfDay(h) : null;
        var map = Bundle.ContextPopularity;
        var d = device is not null ? map.GetValueOrDefault("device:" + device) : null;
        var c = country is not null ? map.GetValueOrDefault("country:" + country) : null;
        var p = daypart is not null ? map.GetValueOrDefault(daypart) : null;
        var key = (d is null ? null : device, c is null ? null : country, p is null ? -1 : localHour!.Value / 6);
        if (_popularity.TryGetValue(key, out var cached)) return cached;
        var result = new float[Bundle.Popularity.Length];
        int parts = 0;
        foreach (var values in new[] { Bundle.Popularity, d, c, p })
        {
            if (values is null) continue;
            float max = values.Length == 0 ? 0 : System.Numerics.Tensors.TensorPrimitives.Max(values);
            if (!(max > 0)) continue;
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(values, 1f / max, result, result);
            parts++;
        }
        if (parts > 1) System.Numerics.Tensors.TensorPrimitives.Multiply(result, 1f / parts, result);
        if (_popularity.Count < 4096) _popularity[key] = result;
        return result;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string?, string?, int?, int), int[]> _popularTop = new();

    /// <summary>The <paramref name="k"/> most popular items in this context, best first (cached per context).</summary>
    public int[] PopularTop(string? device, string? country, int? localHour, int k)
    {
        var key = (device, country, localHour is { } h ? h / 6 : (int?)null, k);
        if (_popularTop.TryGetValue(key, out var cached)) return cached;
        var scores = PopularityFor(device, country, localHour);
        var top = new int[Math.Min(k, scores.Length)];
        int found = Attune.Algorithms.Scoring.TopK.Select(scores, top.Length, top);
        if (found < top.Length) Array.Resize(ref top, found);
        if (_popularTop.Count < 4096) _popularTop[key] = top;
        return top;
    }

    private int[]? _newest;

    /// <summary>
    /// The most recently published items, newest first (up to <paramref name="limit"/>; computed once per state: items
    /// published later join at the next swap, and through the pool of items added since training meanwhile).
    /// </summary>
    public ReadOnlySpan<int> Newest(int limit)
    {
        var newest = _newest;
        if (newest is null || newest.Length < Math.Min(limit, _newestAvailable))
        {
            var columns = Catalog.Columns;
            int n = columns.Count;
            var list = new List<(long Published, int Item)>();
            for (int j = 0; j < n; j++) if (columns.PublishedMs[j] > 0) list.Add((columns.PublishedMs[j], j));
            list.Sort((a, b) => b.Published != a.Published ? b.Published.CompareTo(a.Published) : a.Item.CompareTo(b.Item));
            _newestAvailable = list.Count;
            newest = _newest = list.Take(Math.Max(limit, 5_000)).Select(x => x.Item).ToArray();
        }
        return newest.AsSpan(0, Math.Min(limit, newest.Length));
    }

    private int _newestAvailable = int.MaxValue;

    /// <summary>The same state over another bundle of the same items (an erasure's rewrite).</summary>
    public ServingState WithBundle(ModelBundle bundle) => new(bundle, Catalog, Content, Trending, Rules);

    public ServingState With(ContentModel? content = null, RuleBook? rules = null) =>
        new(Bundle, Catalog, content ?? Content, Trending, rules ?? Rules);
}
