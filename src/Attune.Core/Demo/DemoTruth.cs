using Attune.Model;

namespace Attune.Demo;

/// <summary>
/// The hidden taste of one simulated person: what they really prefer, which their events only reveal noisily.
/// </summary>
/// <param name="CategoryAffinity">Category path (leaf such as <c>shoes/running</c>, or a department) to weight; the weights sum to 1.</param>
/// <param name="BrandAffinity">Favourite brands to weight; the weights sum to 1.</param>
/// <param name="PriceSensitivity">0 = seeks the expensive end of a category, 1 = seeks bargains.</param>
/// <param name="PreferredHour">The UTC hour (0–23) around which most of their sessions start.</param>
/// <param name="PreferredDevice"><c>mobile</c>, <c>desktop</c> or <c>tablet</c>; also their <c>device</c> attribute.</param>
/// <param name="Segment">The persona the taste was drawn from, such as <c>bargain-hunter</c> or <c>outdoor-enthusiast</c>.</param>
public sealed record DemoTaste(
    IReadOnlyDictionary<string, double> CategoryAffinity,
    IReadOnlyDictionary<string, double> BrandAffinity,
    double PriceSensitivity,
    int PreferredHour,
    string PreferredDevice,
    string Segment)
{
    /// <summary>Department (top-level category) to weight: the sum of the affinities of its categories.</summary>
    public IReadOnlyDictionary<string, double> DepartmentAffinity { get; } = SumByDepartment(CategoryAffinity);

    /// <summary>
    /// The price this person likes best, as the natural log of price over the category's reference price
    /// (+0.7 ≈ twice the usual price for the least sensitive, −0.7 ≈ half for the most).
    /// </summary>
    public double PreferredLogPriceRatio => DemoTruth.PreferredLogPriceRatio(PriceSensitivity);

    /// <summary>The department of a category path: its first segment.</summary>
    public static string DepartmentOf(string path)
    {
        int slash = path.IndexOf('/');
        return slash < 0 ? path : path[..slash];
    }

    private static Dictionary<string, double> SumByDepartment(IReadOnlyDictionary<string, double> categories)
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (path, w) in categories)
        {
            string dept = DepartmentOf(path);
            d[dept] = d.GetValueOrDefault(dept) + w;
        }
        return d;
    }
}

/// <summary>
/// The ground truth behind a demo shop: each user's hidden taste and the complement relations between categories.
/// Tests of recommenders, bandits and experiments compare what the engine learnt from events against this.
/// </summary>
public sealed class DemoTruth
{
    /// <summary>How much a liked department lifts all of its categories, relative to the category's own weight.</summary>
    internal const double DepartmentWeight = 0.3;
    private const double PriceFitWidth = 0.6;

    internal DemoTruth(
        IReadOnlyDictionary<string, DemoTaste> tastes,
        IReadOnlyDictionary<string, IReadOnlyList<string>> complements,
        IReadOnlyDictionary<string, double> referencePrices)
    {
        Tastes = tastes;
        Complements = complements;
        ReferencePrices = referencePrices;
    }

    /// <summary>User id to hidden taste.</summary>
    public IReadOnlyDictionary<string, DemoTaste> Tastes { get; }

    /// <summary>Category path to the category paths a purchase in it makes people want next.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Complements { get; }

    /// <summary>Category path to its reference (median) price, against which price fit is measured.</summary>
    public IReadOnlyDictionary<string, double> ReferencePrices { get; }

    /// <summary>
    /// The true preference of a user for an item: affinity to its category (and department), times a lift for a
    /// favourite brand, times how well its price fits the user's price sensitivity. What a perfect recommender ranks by.
    /// Always positive; comparable between items for one user, not between users.
    /// </summary>
    public double Score(string userId, Item item)
    {
        ArgumentNullException.ThrowIfNull(userId);
        if (!Tastes.TryGetValue(userId, out var taste))
            throw new KeyNotFoundException($"'{userId}' is not a user of this demo shop");
        return Score(taste, item);
    }

    /// <summary>The true preference of a taste for an item; see <see cref="Score(string, Item)"/>.</summary>
    public double Score(DemoTaste taste, Item item)
    {
        ArgumentNullException.ThrowIfNull(taste);
        ArgumentNullException.ThrowIfNull(item);
        double category = 0;
        double fit = 0.5;
        bool priced = false;
        foreach (string path in item.Categories)
        {
            double c = taste.CategoryAffinity.GetValueOrDefault(path)
                + DepartmentWeight * taste.DepartmentAffinity.GetValueOrDefault(DemoTaste.DepartmentOf(path));
            category = Math.Max(category, c);
            if (!priced && item.Price is double price && price > 0 && ReferencePrices.TryGetValue(path, out double reference))
            {
                fit = PriceFit(Math.Log(price / reference), taste.PriceSensitivity);
                priced = true;
            }
        }
        double brand = item.Brand is null ? 0 : taste.BrandAffinity.GetValueOrDefault(item.Brand);
        return Combine(category, brand, fit);
    }

    /// <summary>The ids of the <paramref name="k"/> items the user would like best, best first (ties by id).</summary>
    public IReadOnlyList<string> TopItems(string userId, IReadOnlyList<Item> items, int k)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (!Tastes.TryGetValue(userId, out var taste))
            throw new KeyNotFoundException($"'{userId}' is not a user of this demo shop");
        var scored = new (double Score, string Id)[items.Count];
        for (int i = 0; i < scored.Length; i++) scored[i] = (Score(taste, items[i]), items[i].Id);
        Array.Sort(scored, static (a, b) =>
        {
            int c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
        });
        int n = Math.Min(k, scored.Length);
        var top = new string[n];
        for (int i = 0; i < n; i++) top[i] = scored[i].Id;
        return top;
    }

    internal static double PreferredLogPriceRatio(double sensitivity) => 0.7 * (1 - 2 * sensitivity);

    /// <summary>1 at the preferred price level, falling off as a Gaussian in log price.</summary>
    internal static double PriceFit(double logPriceRatio, double sensitivity)
    {
        double d = logPriceRatio - PreferredLogPriceRatio(sensitivity);
        return Math.Exp(-d * d / (2 * PriceFitWidth * PriceFitWidth));
    }

    /// <summary>The score formula shared by <see cref="Score(DemoTaste, Item)"/> and the simulator.</summary>
    internal static double Combine(double category, double brand, double priceFit) =>
        (category + 0.02) * (1 + 0.8 * brand) * (0.3 + 0.7 * priceFit);
}
