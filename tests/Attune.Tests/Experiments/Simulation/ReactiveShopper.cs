using Attune.Demo;
using Attune.Model;

namespace Attune.Tests.Experiments.Simulation;

/// <summary>
/// A demo shopper who reacts to the list they are shown, with probabilities from their hidden taste (<see cref="DemoTruth"/>):
/// each item is clicked with a probability that rises with its true score and falls with its position, a clicked item is
/// bought with a probability that rises with the score too, and independently of the list the shopper may buy something they
/// found elsewhere (search, a category page). Because every probability is known, the expected conversion, revenue and clicks
/// of any list are known exactly: the simulated truth an experiment's estimate is checked against.
/// </summary>
/// <remarks>
/// With <c>appeal = s / (s + HalfScore)</c> of the true score s (about 0.005–1.5 in the demo's truth; a favourite category of
/// a favourite brand at the preferred price is near the top), the item at position p (1-based) is clicked with probability
/// <c>(ClickBase + ClickTaste · appeal) / log2(p + 1)</c> (curiosity plus taste, times the usual position bias) and a clicked
/// item is bought with probability <c>BuyBase + BuyTaste · appeal</c>. The constants make a popularity list convert about
/// 6 % of visits and a list ranked by taste about 10 %: a large lift, as personalization in a shop of strong tastes gives,
/// but not an absurd one.
/// </remarks>
public sealed class ReactiveShopper
{
    public const double HalfScore = 0.5, ClickBase = 0.04, ClickTaste = 0.1, BuyBase = 0.15, BuyTaste = 0.1;

    /// <summary>The chance that a visit ends with a purchase found outside the list (the same whatever is recommended).</summary>
    public const double Elsewhere = 0.03;

    private readonly DemoTruth _truth;
    private readonly IReadOnlyDictionary<string, Item> _items;
    private readonly Item[] _catalog;
    private readonly double _meanPrice;

    public ReactiveShopper(DemoTruth truth, IReadOnlyList<Item> items)
    {
        _truth = truth;
        _catalog = [.. items];
        _items = _catalog.ToDictionary(i => i.Id, StringComparer.Ordinal);
        _meanPrice = _catalog.Average(i => i.Price ?? 0);
    }

    public static double Attention(int position) => 1 / Math.Log2(position + 1);

    public static double Appeal(double score) => score / (score + HalfScore);

    /// <summary>What a list of item ids is worth in one visit of a user, in expectation.</summary>
    /// <param name="Purchase">The probability of at least one purchase (conversion).</param>
    /// <param name="Revenue">Expected revenue (the prices of the items bought).</param>
    /// <param name="Clicks">Expected clicks on the list.</param>
    public readonly record struct Expected(double Purchase, double Revenue, double Clicks);

    /// <summary>One visit: the positions (0-based) clicked and bought, and an item bought elsewhere (or null).</summary>
    public readonly record struct Reaction(IReadOnlyList<int> Clicked, IReadOnlyList<int> Bought, Item? Elsewhere);

    public Expected Expect(string userId, IReadOnlyList<string> list)
    {
        double none = 1 - Elsewhere, revenue = Elsewhere * _meanPrice, clicks = 0;
        for (int k = 0; k < list.Count; k++)
        {
            var (click, buy, price) = Odds(userId, list[k], k);
            none *= 1 - click * buy;
            revenue += click * buy * price;
            clicks += click;
        }
        return new Expected(1 - none, revenue, clicks);
    }

    /// <summary>Draws the user's clicks and purchases in one visit from <paramref name="rng"/>.</summary>
    public Reaction React(string userId, IReadOnlyList<string> list, Random rng)
    {
        var clicked = new List<int>();
        var bought = new List<int>();
        for (int k = 0; k < list.Count; k++)
        {
            var (click, buy, _) = Odds(userId, list[k], k);
            if (rng.NextDouble() >= click) continue;
            clicked.Add(k);
            if (rng.NextDouble() < buy) bought.Add(k);
        }
        Item? elsewhere = rng.NextDouble() < Elsewhere ? _catalog[rng.Next(_catalog.Length)] : null;
        return new Reaction(clicked, bought, elsewhere);
    }

    public double Price(string itemId) => _items[itemId].Price ?? 0;

    /// <summary>A visit's reaction as the events a shop would send: clicks and purchases on the list carrying the answer's
    /// <paramref name="recommendationId"/>, and the purchase found elsewhere without it.</summary>
    public IEnumerable<Event> Events(string userId, IReadOnlyList<string> list, Reaction reaction, DateTimeOffset at, string session,
        string recommendationId)
    {
        foreach (int k in reaction.Clicked)
            yield return new Event
            {
                Type = "click", UserId = userId, ItemId = list[k], Timestamp = at.AddSeconds(10 + 20 * k), SessionId = session,
                RecommendationId = recommendationId,
            };
        foreach (int k in reaction.Bought)
            yield return new Event
            {
                Type = "purchase", UserId = userId, ItemId = list[k], Value = Price(list[k]), Timestamp = at.AddSeconds(300 + 20 * k),
                SessionId = session, RecommendationId = recommendationId,
            };
        if (reaction.Elsewhere is { } found)
            yield return new Event
            {
                Type = "purchase", UserId = userId, ItemId = found.Id, Value = found.Price ?? 0, Timestamp = at.AddSeconds(600), SessionId = session,
            };
    }

    /// <summary>The hidden appeal (0–1) of an item to a user, for diagnostics that hand the truth to a model.</summary>
    public double Appeal(string userId, Item item) => Appeal(_truth.Score(userId, item));

    /// <inheritdoc cref="Appeal(string, Item)"/>
    public double Appeal(string userId, string itemId) => Appeal(userId, _items[itemId]);

    private (double Click, double Buy, double Price) Odds(string userId, string itemId, int index)
    {
        var item = _items[itemId];
        double appeal = Appeal(_truth.Score(userId, item));
        return (Attention(index + 1) * (ClickBase + ClickTaste * appeal), BuyBase + BuyTaste * appeal, item.Price ?? 0);
    }
}
