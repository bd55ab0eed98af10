using System.Text.Json;
using Attune.Decisions.Features;
using Attune.Decisions.Points;
using Attune.Experiments.Assignment;
using Attune.Validation;
using FeatureSet = Attune.Decisions.Features.FeatureSet;

namespace Attune.Decisions.Offers;

/// <summary>Reads offers and carts from request bodies; every problem is named by its field.</summary>
public static class OfferReader
{
    private static readonly string[] s_fields =
    [
        "id", "kind", "percentOff", "amountOff", "cost", "text", "features", "eligibility", "perPersonCap", "budgetRedemptions",
        "budgetSpend", "marginFloor", "stackingGroup", "stackable", "startsAt", "endsAt", "paused",
    ];

    public static Offer? Read(JsonElement json, string id, List<FieldError> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("body", "must be a JSON object"));
            return null;
        }
        var offer = new Offer { Id = id };
        foreach (var p in json.EnumerateObject())
        {
            var v = p.Value;
            string f = p.Name;
            switch (f)
            {
                case "id":
                    if (v.ValueKind != JsonValueKind.String || v.GetString() != id) errors.Add(new(f, $"must be the id in the path ('{id}') when given"));
                    break;
                case "kind":
                    string name = v.ValueKind == JsonValueKind.String ? v.GetString()!.Replace("-", "", StringComparison.Ordinal) : "";
                    if (name.Length == 0 || int.TryParse(name, out _) || !Enum.TryParse<OfferKind>(name, ignoreCase: true, out var kind))
                        errors.Add(new(f, "must be discount, free-shipping, bundle or gift"));
                    else offer = offer with { Kind = kind };
                    break;
                case "percentOff": if (PointReader.Number(v, f, 0.01, 100, errors) is { } pct) offer = offer with { PercentOff = pct }; break;
                case "amountOff": if (PointReader.Number(v, f, 0.01, 1e9, errors) is { } amount) offer = offer with { AmountOff = amount }; break;
                case "cost": if (PointReader.Number(v, f, 0, 1e9, errors) is { } cost) offer = offer with { Cost = cost }; break;
                case "marginFloor": if (PointReader.Number(v, f, 0, 1, errors) is { } floor) offer = offer with { MarginFloor = floor }; break;
                case "budgetSpend": if (PointReader.Number(v, f, 0, 1e12, errors) is { } spend) offer = offer with { BudgetSpend = spend }; break;
                case "perPersonCap":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int cap) || cap < 1) errors.Add(new(f, "must be a whole number from 1"));
                    else offer = offer with { PerPersonCap = cap };
                    break;
                case "budgetRedemptions":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long budget) || budget < 1) errors.Add(new(f, "must be a whole number from 1"));
                    else offer = offer with { BudgetRedemptions = budget };
                    break;
                case "text":
                    if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length > 1000) errors.Add(new(f, "must be a string of at most 1,000 characters"));
                    else offer = offer with { Text = v.GetString() };
                    break;
                case "features":
                    if (Featurizer.Add(v, new FeatureSet(), f) is { } bad) errors.Add(bad);
                    else offer = offer with { Features = v.Clone() };
                    break;
                case "eligibility":
                    if (v.ValueKind != JsonValueKind.Object) { errors.Add(new(f, "must be a condition object")); break; }
                    var problems = new List<FieldError>();
                    Condition.Compile(AttributeJson.FromElement(v), problems, f);
                    if (problems.Count > 0) errors.AddRange(problems);
                    else offer = offer with { Eligibility = v.Clone() };
                    break;
                case "stackingGroup":
                    if (v.ValueKind != JsonValueKind.String || PointReader.CheckName(v.GetString()!) is not null) errors.Add(new(f, "must be 1 to 64 letters, digits, '-', '_' or '.'"));
                    else offer = offer with { StackingGroup = v.GetString() };
                    break;
                case "stackable" or "paused":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) errors.Add(new(f, "must be true or false"));
                    else offer = f == "stackable" ? offer with { Stackable = v.GetBoolean() } : offer with { Paused = v.GetBoolean() };
                    break;
                case "startsAt" or "endsAt":
                    if (v.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(v.GetString(), System.Globalization.CultureInfo.InvariantCulture,
                        System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
                        errors.Add(new(f, "must be an ISO 8601 time"));
                    else offer = f == "startsAt" ? offer with { StartsAt = at } : offer with { EndsAt = at };
                    break;
                default:
                    errors.Add(new(f, $"unknown field; known fields: {string.Join(", ", s_fields)}"));
                    break;
            }
        }
        if (offer.Kind == OfferKind.Discount && (offer.PercentOff is null) == (offer.AmountOff is null) && !errors.Any(e => e.Field is "percentOff" or "amountOff"))
            errors.Add(new("percentOff", "a discount needs percentOff or amountOff (one of them)"));
        if (offer.Kind is OfferKind.Bundle or OfferKind.Gift && offer.Cost is null && !errors.Any(e => e.Field == "cost"))
            errors.Add(new("cost", $"a {offer.Kind.ToString().ToLowerInvariant()} needs its cost per redemption"));
        if (offer.StartsAt is { } s && offer.EndsAt is { } e && e <= s) errors.Add(new("endsAt", "must be after startsAt"));
        return errors.Count > 0 ? null : offer;
    }

    /// <summary>Reads <c>cart</c>: <c>{"value", "margin", "items", "shippingCost", "appliedOffers"}</c> (value and margin required).</summary>
    public static Cart? ReadCart(JsonElement v, List<FieldError> errors)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("cart", "is required: {\"value\", \"margin\", \"items\", \"shippingCost\", \"appliedOffers\"}"));
            return null;
        }
        double? value = null, margin = null;
        double shipping = 0;
        int items = 0;
        var applied = new List<string>();
        foreach (var p in v.EnumerateObject())
        {
            string f = $"cart.{p.Name}";
            switch (p.Name)
            {
                case "value": value = PointReader.Number(p.Value, f, 0, 1e9, errors); break;
                case "margin": margin = PointReader.Number(p.Value, f, -1e9, 1e9, errors); break;
                case "shippingCost": shipping = PointReader.Number(p.Value, f, 0, 1e6, errors) ?? 0; break;
                case "items":
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out items) || items < 0) errors.Add(new(f, "must be a whole number from 0"));
                    break;
                case "appliedOffers":
                    if (p.Value.ValueKind != JsonValueKind.Array) { errors.Add(new(f, "must be an array of offer ids")); break; }
                    foreach (var o in p.Value.EnumerateArray())
                    {
                        if (o.ValueKind != JsonValueKind.String || PointReader.CheckName(o.GetString()!) is not null) errors.Add(new(f, "must be an array of offer ids"));
                        else applied.Add(o.GetString()!);
                    }
                    break;
                default:
                    errors.Add(new(f, "unknown field; known fields: value, margin, items, shippingCost, appliedOffers"));
                    break;
            }
        }
        if (value is null && !errors.Any(e => e.Field == "cart.value")) errors.Add(new("cart.value", "is required"));
        if (margin is null && !errors.Any(e => e.Field == "cart.margin")) errors.Add(new("cart.margin", "is required"));
        if (value is { } val && margin is { } m && m > val) errors.Add(new("cart.margin", "must not exceed the cart's value"));
        return errors.Count > 0 ? null : new Cart(value!.Value, margin!.Value, items, shipping, applied);
    }
}
