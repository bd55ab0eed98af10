namespace Attune.Serving.Pipeline;

/// <summary>
/// The features a learned ranker sees for one candidate of one answer, the same when the recommendation log keeps them and when
/// the ranker scores: each source of the scenario's blend (by name: its score of the item over its largest in the answer), and
/// three of the person against the item — the share of their history in the item's category (<c>person.categoryShare</c>) and
/// brand (<c>person.brandShare</c>), and the item's price over the mean price of what they interacted with
/// (<c>person.priceRatio</c>, 1 when either is unknown).
/// </summary>
internal sealed class RankingFeatures
{
    public const string CategoryShare = "person.categoryShare", BrandShare = "person.brandShare", PriceRatio = "person.priceRatio";
    public static readonly string[] PersonFeatures = [CategoryShare, BrandShare, PriceRatio];

    private readonly Dictionary<int, int> _categories = [];
    private readonly Dictionary<int, int> _brands = [];
    private int _history;
    private double _meanPrice;

    /// <summary>Counts the person's history by category and brand, and their mean price (once per answer).</summary>
    public void Load(RankingContext c)
    {
        _categories.Clear();
        _brands.Clear();
        var columns = c.State.Catalog.Columns;
        double priceSum = 0;
        int priced = 0;
        _history = 0;
        foreach (int i in c.Person.History)
        {
            if (i < 0 || i >= columns.Count) continue;
            _history++;
            _categories[columns.Category[i]] = _categories.GetValueOrDefault(columns.Category[i]) + 1;
            _brands[columns.Brand[i]] = _brands.GetValueOrDefault(columns.Brand[i]) + 1;
            if (columns.Items[i]?.Price is { } p && p > 0) { priceSum += p; priced++; }
        }
        _meanPrice = priced > 0 ? priceSum / priced : 0;
    }

    /// <summary>Resolves feature names once: a source's registry index (≥ 0), or −1…−3 for the person features, or
    /// <c>int.MinValue</c> for a name this engine does not know (its value is 0).</summary>
    public static int Resolve(string name, Sources.SourceRegistry registry) => name switch
    {
        CategoryShare => -1,
        BrandShare => -2,
        PriceRatio => -3,
        _ => registry.IndexOf(name) is >= 0 and var i ? i : int.MinValue,
    };

    public float Value(RankingContext c, int resolved, int j)
    {
        var columns = c.State.Catalog.Columns;
        switch (resolved)
        {
            case >= 0:
                return c.Scored[resolved] is { } v && j < c.ScoredLength[resolved] && c.Max[resolved] > 0 ? v[j] / c.Max[resolved] : 0;
            case -1:
                return _history > 0 ? _categories.GetValueOrDefault(columns.Category[j]) / (float)_history : 0;
            case -2:
                return _history > 0 && columns.Brand[j] > 0 ? _brands.GetValueOrDefault(columns.Brand[j]) / (float)_history : 0;
            case -3:
                return _meanPrice > 0 && columns.Items[j]?.Price is { } p && p > 0 ? (float)(p / _meanPrice) : 1;
            default:
                return 0;
        }
    }
}
