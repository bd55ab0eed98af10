using Attune.Predictions.Propensity;

namespace Attune.Predictions.Segments;

/// <summary>
/// What segment rules can ask about a person: their activity features, the propensity models' probabilities, customer value,
/// RFM scores, behavioural cluster and user record attributes. Missing facts (a non-buyer's customer value, a model that does
/// not speak about them) make every comparison on them false.
/// </summary>
public sealed class PersonFacts
{
    public required string Id { get; init; }
    public bool Anonymous { get; init; }
    /// <summary>The <see cref="PersonFeatures"/> values.</summary>
    public required float[] Features { get; init; }
    /// <summary>Per <see cref="SegmentFields.Predictions"/> name: the probability, or NaN.</summary>
    public float[] Predictions { get; init; } = [];
    public double? ClvPAlive { get; init; }
    public double? ClvPurchases90d { get; init; }
    public double? ClvValue90d { get; init; }
    /// <summary>RFM scores 1–5 (0 for someone who has not bought).</summary>
    public int RfmR { get; set; }
    public int RfmF { get; set; }
    public int RfmM { get; set; }
    public string? RfmSegment { get; set; }
    public string? Cluster { get; set; }
    public IReadOnlyDictionary<string, string>? User { get; set; }
}

/// <summary>The fields a segment rule can name.</summary>
public static class SegmentFields
{
    /// <summary>The propensity models' names, in the order of <see cref="PersonFacts.Predictions"/>.</summary>
    public static IReadOnlyList<string> Predictions { get; } = [.. PropensityTarget.Defaults().Select(t => t.Name)];

    public const string Known = "activity.NAME (a person's activity features: docs/predictions.md), predictions.purchase7d, "
        + "predictions.purchase30d, predictions.churn, predictions.cartToPurchase, clv.palive, clv.purchases90d, clv.value90d, "
        + "rfm.r, rfm.f, rfm.m, rfm.segment, cluster, user.NAME (the user record's attributes), anonymous";
}
