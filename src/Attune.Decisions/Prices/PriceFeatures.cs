using Attune.Decisions.Features;

namespace Attune.Decisions.Prices;

/// <summary>
/// A price point's features: its place among the day's points, its level relative to the list price as a 1 % bucket, and
/// the relative level and its square as numbers (so, crossed with the context, each segment's revenue curve can have its
/// top inside the range and carry over when the day's points move). Buckets finer than the points' spacing keep every point
/// distinct to the learner.
/// </summary>
public static class PriceFeatures
{
    public static FeatureSet Of(double price, double listPrice, int level)
    {
        double relative = price / listPrice;
        var f = new FeatureSet { Worth = (float)relative };
        Featurizer.AddIndicator(f, "_id", "level-" + level.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Featurizer.AddIndicator(f, "price.bucket", Math.Round(relative * 100).ToString(System.Globalization.CultureInfo.InvariantCulture));
        double x = (relative - 0.85) * 10;
        f.Add(FeatureHash.Of("price.x"), (float)x);
        f.Add(FeatureHash.Of("price.x2"), (float)(x * x));
        return f;
    }

    /// <summary>The same features as JSON, for a decision point's actions (the id indicator is added by the service).</summary>
    public static Dictionary<string, object> Json(double price, double listPrice)
    {
        double relative = price / listPrice;
        double x = (relative - 0.85) * 10;
        return new Dictionary<string, object>
        {
            ["price"] = new Dictionary<string, object>
            {
                ["bucket"] = Math.Round(relative * 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["x"] = Math.Round(x, 6),
                ["x2"] = Math.Round(x * x, 6),
            },
        };
    }
}
