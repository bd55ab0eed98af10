namespace Attune.Serving.Scenarios;

/// <summary>The candidate sources a scenario blends. Names as configured (<c>Attune:Scenarios:NAME:Sources:als = 1</c>).</summary>
public enum Source
{
    /// <summary>Matrix factorization (iALS) from the person's whole history, folded in with their live events.</summary>
    Als,
    /// <summary>Item-kNN over views and clicks, from the scenario's anchor items.</summary>
    Viewed,
    /// <summary>Item-kNN over carts and purchases ("frequently bought together"), from the anchor items.</summary>
    Bought,
    /// <summary>The sequence/session model from the person's most recent items: what people take next.</summary>
    Sequence,
    /// <summary>Content similarity (text, categories, brand, tags) to the anchor items; covers items nobody touched yet.</summary>
    Content,
    /// <summary>Decayed popularity, mixed with popularity in the request's context (device, country, part of day).</summary>
    Popularity,
    /// <summary>Items rising above their usual rate, updated online.</summary>
    Trending,
    /// <summary>Recently published items, newest first.</summary>
    New,
    /// <summary>The person's open cart (added, neither bought nor removed).</summary>
    Cart,
}

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
/// One scenario: a pipeline of weighted candidate sources, guardrails and diversity. The shipped ones are in
/// <see cref="Defaults"/>; configuration (<c>Attune:Scenarios</c>) overrides their settings or adds new ones.
/// </summary>
public sealed class ScenarioOptions
{
    public string Description { get; set; } = "";
    /// <summary>Source name → weight. Each source's scores are scaled to a maximum of 1 before weighting.</summary>
    public Dictionary<string, float> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public AnchorKind Anchor { get; set; } = AnchorKind.Recent;
    /// <summary>The request must name an item (<c>itemId</c> or <c>itemIds</c>).</summary>
    public bool RequireItem { get; set; }
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

    internal (Source Source, float Weight)[] ParsedSources { get; private set; } = [];
    internal Source[]? ParsedRestrictTo { get; private set; }

    /// <summary>Checks the names and prepares the parsed forms; throws <see cref="ArgumentException"/> naming the problem.</summary>
    public ScenarioOptions Validate(string name)
    {
        var list = new List<(Source, float)>();
        foreach (var (source, weight) in Sources)
        {
            if (!Enum.TryParse<Source>(source, ignoreCase: true, out var s) || int.TryParse(source, out _))
                throw new ArgumentException($"scenario '{name}': unknown source '{source}'; known: {string.Join(", ", Enum.GetNames<Source>().Select(n => n.ToLowerInvariant()))}");
            if (!(weight >= 0)) throw new ArgumentException($"scenario '{name}': weight of '{source}' must be ≥ 0");
            if (weight > 0) list.Add((s, weight));
        }
        if (list.Count == 0) throw new ArgumentException($"scenario '{name}' has no source with a weight above 0");
        ParsedSources = [.. list];
        if (RestrictTo is { } r)
        {
            var restrict = new List<Source>();
            foreach (string part in r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<Source>(part, ignoreCase: true, out var s) || int.TryParse(part, out _))
                    throw new ArgumentException($"scenario '{name}': unknown restrictTo source '{part}'");
                restrict.Add(s);
            }
            ParsedRestrictTo = [.. restrict];
        }
        if (DefaultCount is < 1 or > 500) throw new ArgumentException($"scenario '{name}': defaultCount must be 1..500");
        return this;
    }

    public bool Uses(Source source)
    {
        foreach (var (s, _) in ParsedSources) if (s == source) return true;
        return false;
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
    };

    private static ScenarioOptions With(ScenarioOptions o, Action<ScenarioOptions> change)
    {
        change(o);
        return o;
    }
}
