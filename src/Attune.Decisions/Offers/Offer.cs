using System.Text.Json;
using System.Text.Json.Serialization;
using Attune.Decisions.Points;

namespace Attune.Decisions.Offers;

/// <summary>What an offer gives.</summary>
[JsonConverter(typeof(KebabEnumConverter<OfferKind>))]
public enum OfferKind { Discount, FreeShipping, Bundle, Gift }

/// <summary>
/// A promotion the <see cref="OfferDesk.Point"/> decision point may show: what it gives and costs, to whom (eligibility over
/// the person, the cart and the context), how often (per-person cap, total budgets), never below a margin floor, how it
/// stacks with offers already in the cart, and when. Stored as a document of kind <see cref="DocumentKind"/>.
/// </summary>
public sealed record Offer
{
    public const string DocumentKind = "offer";

    public required string Id { get; init; }
    public OfferKind Kind { get; init; } = OfferKind.Discount;
    /// <summary>Discount: percent of the cart's value off (0–100].</summary>
    public double? PercentOff { get; init; }
    /// <summary>Discount: an amount off (at most the cart's value).</summary>
    public double? AmountOff { get; init; }
    /// <summary>What one redemption costs the shop, for kinds without a price effect (a bundle's extra item, a gift); free
    /// shipping costs the cart's <c>shippingCost</c> unless this is set.</summary>
    public double? Cost { get; init; }
    public string? Text { get; init; }
    /// <summary>Features the learner sees beside the offer's kind and depth (an object, or a list of objects).</summary>
    public JsonElement? Features { get; init; }
    /// <summary>A condition (the experiments' language) over <c>user</c>, <c>cart</c> and <c>context</c>; null: everyone.</summary>
    public JsonElement? Eligibility { get; init; }
    /// <summary>Redemptions one person may have; null: no cap.</summary>
    public int? PerPersonCap { get; init; }
    /// <summary>Total redemptions allowed; null: no limit.</summary>
    public long? BudgetRedemptions { get; init; }
    /// <summary>Total cost allowed (the sum of redemptions' costs); null: no limit.</summary>
    public double? BudgetSpend { get; init; }
    /// <summary>The cart's margin after the offer must stay at least this share of its value (0–1); null: no floor.</summary>
    public double? MarginFloor { get; init; }
    /// <summary>Offers of one group never stack with each other.</summary>
    public string? StackingGroup { get; init; }
    /// <summary>Whether it may join a cart that already has offers (and others may join it).</summary>
    public bool Stackable { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    /// <summary>Paused offers are never shown.</summary>
    public bool Paused { get; init; }
    public int Version { get; init; } = 1;
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>What this offer costs on a cart of <paramref name="value"/> (with that shipping cost).</summary>
    public double CostFor(double value, double shippingCost) => Kind switch
    {
        OfferKind.Discount => PercentOff is { } p ? value * p / 100 : Math.Min(AmountOff ?? 0, value),
        OfferKind.FreeShipping => Cost ?? shippingCost,
        _ => Cost ?? 0,
    };
}

/// <summary>The cart an offer decision is about.</summary>
/// <param name="Value">What the cart is worth (the price the person would pay without an offer).</param>
/// <param name="Margin">The shop's margin on it without an offer.</param>
public sealed record Cart(double Value, double Margin, int Items, double ShippingCost, IReadOnlyList<string> AppliedOffers);
