using Attune.Serving.Recipes;

namespace Attune.Serving.Scenarios;

/// <summary>Which items the item-to-item sources start from.</summary>
public enum AnchorKind
{
    /// <summary>The person's most recent items (live session first).</summary>
    Recent,
    /// <summary>The request's <c>itemId</c>/<c>itemIds</c> (a product page, a cart).</summary>
    Request,
    /// <summary>The person's most recently viewed item.</summary>
    RecentView,
    /// <summary>The person's open cart.</summary>
    Cart,
}

/// <summary>
/// One scenario's settings: weighted candidate sources, guardrails, diversity, pool sizes and rule sets. The shipped ones
/// are in <see cref="Defaults"/>; configuration (<c>Attune:Serving:Scenarios</c>) overrides their settings or adds new ones,
/// and together they make the default recipe. Checked and compiled by <see cref="RecipeCompiler"/>.
/// </summary>
public sealed class ScenarioOptions
{
    public string Description { get; set; } = "";
    /// <summary>Source name → weight. Each source's scores are scaled to a maximum of 1 before weighting.</summary>
    public Dictionary<string, float> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public AnchorKind Anchor { get; set; } = AnchorKind.Recent;
    /// <summary>The request must name an item (<c>itemId</c> or <c>itemIds</c>).</summary>
    public bool RequireItem { get; set; }
    /// <summary>The request must carry a query (<c>q</c>): search.</summary>
    public bool RequireQuery { get; set; }
    /// <summary>Never recommend the anchor items themselves. <value>The default value is <see langword="true"/>.</value></summary>
    public bool ExcludeAnchors { get; set; } = true;
    /// <summary>Never recommend items of the anchors' own categories (complements, not substitutes).</summary>
    public bool ExcludeAnchorCategories { get; set; }
    /// <summary>Never recommend what the person bought, except in repeat-buy categories. <value>The default value is <see langword="true"/>.</value></summary>
    public bool ExcludePurchased { get; set; } = true;
    /// <summary>Only items these sources scored are candidates, comma-separated (e.g. <c>new</c> for new arrivals).</summary>
    public string? RestrictTo { get; set; }
    /// <summary>Most of a list one category may fill. <value>The default value is 0.34.</value></summary>
    public double MaxCategoryShare { get; set; } = 0.34;
    /// <summary>Most of a list one brand may fill. <value>The default value is 0.5.</value></summary>
    public double MaxBrandShare { get; set; } = 0.5;
    /// <summary>MMR trade-off: 0 = pure relevance, 1 = pure novelty against what is already in the list. <value>The default value is 0.15.</value></summary>
    public double Diversity { get; set; } = 0.15;
    /// <summary>Items answered when the request does not say. <value>The default value is 10.</value></summary>
    public int DefaultCount { get; set; } = 10;
    /// <summary>Candidate pool sizes for large catalogs.</summary>
    public PoolSizes Pool { get; set; } = new();
    /// <summary>The business-rule sets that apply (a rule's <c>set</c>, <c>default</c> when it names none). <value>The default value is null: every set.</value></summary>
    public List<string>? RuleSets { get; set; }
    /// <summary>A learned ranker (by name) that re-orders the blend's best candidates. <value>The default value is null: the blend's order.</value></summary>
    public string? Ranker { get; set; }
    /// <summary>How many of the blend's best the learned ranker re-orders. <value>The default value is null: as many as the answer holds.</value></summary>
    public int? Rerank { get; set; }
    /// <summary>The chance that each slot of an answer shows one of the blend's next best instead (logged like any answer), so
    /// a learned ranker sees how people take items the blend ranks lower. <value>The default value is 0.</value></summary>
    public double Exploration { get; set; }

    /// <summary>
    /// The source weights are the shipped or configured ones (no stored recipe set them): a model version's tuned blend for
    /// this scenario replaces them where that version serves (see <see cref="Recipes.TunedBlend"/>).
    /// </summary>
    internal bool ShippedSources { get; set; }

    /// <summary>A deep copy with <paramref name="change"/> applied.</summary>
    public ScenarioOptions Clone(Action<ScenarioOptions>? change = null)
    {
        var copy = (ScenarioOptions)MemberwiseClone();
        copy.Sources = new Dictionary<string, float>(Sources, StringComparer.OrdinalIgnoreCase);
        copy.Pool = Pool.Clone();
        copy.RuleSets = RuleSets is null ? null : [.. RuleSets];
        change?.Invoke(copy);
        return copy;
    }

    public static ScenarioOptions Of(string description, AnchorKind anchor, params (string Source, float Weight)[] sources)
    {
        var o = new ScenarioOptions { Description = description, Anchor = anchor };
        foreach (var (s, w) in sources) o.Sources[s] = w;
        return o;
    }

    /// <summary>The shipped scenarios (<c>home-rows</c> is composed of these, see <c>HomeRows</c>).</summary>
    public static Dictionary<string, ScenarioOptions> Defaults() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["for-you"] = Of("Home page: what this person is most likely to want next, from their whole history and this session",
            AnchorKind.Recent, ("als", 1f), ("viewed", 0.6f), ("sequence", 0.6f), ("content", 0.15f), ("popularity", 0.15f), ("trending", 0.05f)),
        ["similar"] = With(Of("Product page: items like this one (viewed together, similar content), tilted to the person",
            AnchorKind.Request, ("viewed", 1f), ("content", 0.5f), ("als", 0.15f), ("popularity", 0.02f)), o => o.RequireItem = true),
        ["complementary"] = With(Of("Cart: frequently bought together with these items, not substitutes for them",
            AnchorKind.Request, ("bought", 1f), ("viewed", 0.15f), ("popularity", 0.03f)), o => { o.RequireItem = true; o.ExcludeAnchorCategories = true; }),
        ["because-you-viewed"] = Of("Items like the one the person viewed last",
            AnchorKind.RecentView, ("viewed", 1f), ("content", 0.4f), ("popularity", 0.02f)),
        ["trending"] = Of("Rising right now, tilted to the person", AnchorKind.Recent, ("trending", 1f), ("als", 0.15f)),
        ["new-arrivals"] = With(Of("Recently published items, ordered for the person", AnchorKind.Recent, ("new", 1f), ("als", 0.4f), ("content", 0.3f)),
            o => o.RestrictTo = "new"),
        ["cart-recovery"] = With(Of("What the person left in the cart, and what goes with it", AnchorKind.Cart,
            ("cart", 2f), ("bought", 0.5f), ("popularity", 0.02f)), o => { o.ExcludeAnchors = false; o.RestrictTo = "cart,bought"; }),
        ["search"] = With(Of("Search results: what matches the query, ordered by relevance and the person's tastes", AnchorKind.Recent,
            ("search", 1f), ("als", 0.15f), ("taste", 0.15f), ("popularity", 0.05f)), o =>
            {
                o.RequireQuery = true;
                o.RestrictTo = Attune.Serving.Sources.SearchSource.Names; // whichever of them a recipe blends
                o.ExcludePurchased = false; // a shopper searching for what they bought before expects to find it
                o.Diversity = 0;
                o.MaxCategoryShare = 1;
                o.MaxBrandShare = 1;
                o.DefaultCount = 20;
            }),
    };

    private static ScenarioOptions With(ScenarioOptions o, Action<ScenarioOptions> change)
    {
        change(o);
        return o;
    }
}
