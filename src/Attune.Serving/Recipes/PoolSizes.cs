namespace Attune.Serving.Recipes;

/// <summary>
/// How many items each source adds to a large catalog's candidate pool (catalogs above
/// <see cref="ServingOptions.DenseCatalogLimit"/> items are scored on a pool, not whole). Part of a recipe's scenario
/// (<c>"pool": {"popular": 800}</c>); names not given keep the default recipe's value.
/// </summary>
public sealed class PoolSizes
{
    /// <summary>Most popular items in the request's context. <value>The default value is 800.</value></summary>
    public int Popular { get; set; } = 800;
    /// <summary>The same on an item page or cart, where neighbours answer and popular items only fill in. <value>The default value is 200.</value></summary>
    public int PopularForItems { get; set; } = 200;
    /// <summary>Most trending items. <value>The default value is 200.</value></summary>
    public int Trending { get; set; } = 200;
    /// <summary>Items created since training, newest first (only content and freshness know them). <value>The default value is 2,000.</value></summary>
    public int NewItems { get; set; } = 2_000;
    /// <summary>The session model's best. <value>The default value is 200.</value></summary>
    public int Sequence { get; set; } = 200;
    /// <summary>Most similar items by content to an item page or small cart. <value>The default value is 200.</value></summary>
    public int Content { get; set; } = 200;
    /// <summary>Newest published items looked at for new arrivals. <value>The default value is 2,000.</value></summary>
    public int Newest { get; set; } = 2_000;

    /// <summary>Each size's name as recipes spell it, with its getter and setter.</summary>
    internal static readonly (string Name, Func<PoolSizes, int> Get, Action<PoolSizes, int> Set)[] Fields =
    [
        ("popular", p => p.Popular, (p, v) => p.Popular = v),
        ("popularForItems", p => p.PopularForItems, (p, v) => p.PopularForItems = v),
        ("trending", p => p.Trending, (p, v) => p.Trending = v),
        ("newItems", p => p.NewItems, (p, v) => p.NewItems = v),
        ("sequence", p => p.Sequence, (p, v) => p.Sequence = v),
        ("content", p => p.Content, (p, v) => p.Content = v),
        ("newest", p => p.Newest, (p, v) => p.Newest = v),
    ];

    /// <summary>Largest size a recipe may set for one source.</summary>
    public const int Max = 100_000;

    public PoolSizes Clone() => (PoolSizes)MemberwiseClone();

    public Dictionary<string, int> ToDictionary()
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, get, _) in Fields) d[name] = get(this);
        return d;
    }
}
