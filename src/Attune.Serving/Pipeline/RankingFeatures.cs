using Attune.Serving.Catalog;

namespace Attune.Serving.Pipeline;

/// <summary>
/// The features a learned ranker sees for one candidate of one answer, the same when the recommendation log keeps them and when
/// the ranker scores: each source of the scenario's blend (by name: its score of the item over its largest in the answer), and
/// five of the person against the item — the share of their history in the item's category (<c>person.categoryShare</c>),
/// department (<c>person.departmentShare</c>) and brand (<c>person.brandShare</c>), the item's price over the mean price of
/// what they interacted with (<c>person.priceRatio</c>, 1 when either is unknown), and how far the item's price level within
/// its category is from the person's usual level (<c>person.priceGap</c>: |ln(price / the category's geometric mean price)
/// − the mean of the same over their history|, 0.5 when either is unknown), which tells a bargain hunter's cheap shoes from
/// their cheap television better than a ratio of prices across categories.
/// </summary>
internal sealed class RankingFeatures
{
    public const string CategoryShare = "person.categoryShare", BrandShare = "person.brandShare", PriceRatio = "person.priceRatio",
        DepartmentShare = "person.departmentShare", PriceGap = "person.priceGap";
    public static readonly string[] PersonFeatures = [CategoryShare, BrandShare, PriceRatio, DepartmentShare, PriceGap];

    private const float UnknownGap = 0.5f;
    private readonly Dictionary<int, int> _categories = [];
    private readonly Dictionary<int, int> _departments = [];
    private readonly Dictionary<int, int> _brands = [];
    private int _history;
    private double _meanPrice;
    private double _meanLevel;
    private bool _levelKnown;
    private CategoryPrices? _prices;

    /// <summary>Counts the person's history by category and brand, and their mean price (once per answer).</summary>
    public void Load(RankingContext c) => Load(c.State, c.Person);

    /// <summary>Counts <paramref name="person"/>'s history by category and brand, and their mean price.</summary>
    public void Load(ServingState state, PersonView person)
    {
        _categories.Clear();
        _departments.Clear();
        _brands.Clear();
        var columns = state.Catalog.Columns;
        var prices = _prices = CategoryPrices.Of(columns);
        double priceSum = 0, levelSum = 0;
        int priced = 0, leveled = 0;
        _history = 0;
        foreach (int i in person.History)
        {
            if (i < 0 || i >= columns.Count) continue;
            _history++;
            _categories[columns.Category[i]] = _categories.GetValueOrDefault(columns.Category[i]) + 1;
            _departments[columns.Department[i]] = _departments.GetValueOrDefault(columns.Department[i]) + 1;
            _brands[columns.Brand[i]] = _brands.GetValueOrDefault(columns.Brand[i]) + 1;
            if (columns.Items[i]?.Price is { } p && p > 0)
            {
                priceSum += p;
                priced++;
                if (prices.Level(columns, i) is { } level) { levelSum += level; leveled++; }
            }
        }
        _meanPrice = priced > 0 ? priceSum / priced : 0;
        _levelKnown = leveled > 0;
        _meanLevel = leveled > 0 ? levelSum / leveled : 0;
    }

    /// <summary>Resolves feature names once: a source's registry index (≥ 0), or −1…−5 for the person features, or
    /// <c>int.MinValue</c> for a name this engine does not know (its value is 0).</summary>
    public static int Resolve(string name, Sources.SourceRegistry registry) => name switch
    {
        CategoryShare => -1,
        BrandShare => -2,
        PriceRatio => -3,
        DepartmentShare => -4,
        PriceGap => -5,
        _ => registry.IndexOf(name) is >= 0 and var i ? i : int.MinValue,
    };

    public float Value(RankingContext c, int resolved, int j) => resolved >= 0
        ? c.Scored[resolved] is { } v && j < c.ScoredLength[resolved] && c.Max[resolved] > 0 ? v[j] / c.Max[resolved] : 0
        : PersonValue(c.State.Catalog.Columns, resolved, j);

    /// <summary>Whether the loaded history holds anything.</summary>
    public bool HasHistory => _history > 0;

    /// <summary>A person feature (−1…−5, see <see cref="Resolve"/>) of item <paramref name="j"/>, after <see cref="Load(ServingState, PersonView)"/>.</summary>
    public float PersonValue(CatalogColumns columns, int resolved, int j)
    {
        switch (resolved)
        {
            case -1:
                return _history > 0 ? _categories.GetValueOrDefault(columns.Category[j]) / (float)_history : 0;
            case -2:
                return _history > 0 && columns.Brand[j] > 0 ? _brands.GetValueOrDefault(columns.Brand[j]) / (float)_history : 0;
            case -3:
                return _meanPrice > 0 && columns.Items[j]?.Price is { } p && p > 0 ? (float)(p / _meanPrice) : 1;
            case -4:
                return _history > 0 && columns.Department[j] > 0 ? _departments.GetValueOrDefault(columns.Department[j]) / (float)_history : 0;
            case -5:
                return _levelKnown && _prices!.Level(columns, j) is { } level ? (float)Math.Abs(level - _meanLevel) : UnknownGap;
            default:
                return 0;
        }
    }
}

/// <summary>
/// Each category's geometric mean price over the catalog (the reference a price level is measured against), computed once per
/// catalog size and kept beside the columns: an item added re-computes it on the next answer; a price changed in place is
/// seen at the next addition.
/// </summary>
internal sealed class CategoryPrices
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CatalogColumns, CategoryPrices> s_byColumns = [];
    private readonly Dictionary<int, double> _meanLog;
    private readonly int _count;

    private CategoryPrices(CatalogColumns columns)
    {
        _count = columns.Count;
        var sums = new Dictionary<int, (double Sum, int N)>();
        for (int i = 0; i < _count; i++)
        {
            if (columns.Items[i]?.Price is not { } p || !(p > 0) || columns.Category[i] == 0) continue;
            var (sum, n) = sums.GetValueOrDefault(columns.Category[i]);
            sums[columns.Category[i]] = (sum + Math.Log(p), n + 1);
        }
        _meanLog = new Dictionary<int, double>(sums.Count);
        foreach (var (category, (sum, n)) in sums) _meanLog[category] = sum / n;
    }

    public static CategoryPrices Of(CatalogColumns columns)
    {
        if (s_byColumns.TryGetValue(columns, out var held) && held._count == columns.Count) return held;
        var fresh = new CategoryPrices(columns);
        s_byColumns.AddOrUpdate(columns, fresh);
        return fresh;
    }

    /// <summary>ln(price / the category's geometric mean price), or null when the item has no price or category.</summary>
    public double? Level(CatalogColumns columns, int i) =>
        columns.Items[i]?.Price is { } p && p > 0 && _meanLog.TryGetValue(columns.Category[i], out double mean) ? Math.Log(p) - mean : null;
}
