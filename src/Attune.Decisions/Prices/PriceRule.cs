namespace Attune.Decisions.Prices;

/// <summary>
/// The guardrails of an item's personal prices (a document of kind <see cref="DocumentKind"/>, id = the item id, or
/// <c>default</c> for every item without its own): floor and ceiling, the list price no personal price may exceed, how far
/// the item's price level may move in a day, and how far apart two people's prices for it may be at one moment.
/// </summary>
public sealed record PriceRule
{
    public const string DocumentKind = "price-rule";
    public const string Default = "default";

    public required string Id { get; init; }
    /// <summary>The list price; null: the catalog item's <c>price</c>.</summary>
    public double? ListPrice { get; init; }
    /// <summary>The lowest price, as a share of the list price (0–1]. <value>The default value is 0.7.</value></summary>
    public double Floor { get; init; } = 0.7;
    /// <summary>The highest price, as a share of the list price (never above 1: no personal price above the list price).</summary>
    public double Ceiling { get; init; } = 1;
    /// <summary>How far the item's price level (the anchor of the day's prices) may move from one day to the next, as a share. <value>0.05.</value></summary>
    public double MaxDailyChange { get; init; } = 0.05;
    /// <summary>The widest gap between two people's prices for the item on one day, as a share of its price level. <value>0.1.</value></summary>
    public double MaxSpread { get; init; } = 0.1;
    /// <summary>How many price points the learner chooses among (2–11). <value>5.</value></summary>
    public int Levels { get; init; } = 5;
    public int Version { get; init; } = 1;
    public DateTimeOffset UpdatedAt { get; init; }
}
