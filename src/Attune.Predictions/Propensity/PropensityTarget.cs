namespace Attune.Predictions.Propensity;

/// <summary>
/// What a propensity model predicts: who it is asked about (<see cref="Eligible"/>, from the person's features at the moment)
/// and what happens next (<see cref="Label"/>, from the events in the following <see cref="HorizonDays"/>).
/// </summary>
public sealed record PropensityTarget(string Name, string Description, int HorizonDays, PropensityTarget.Kinds Kind)
{
    public enum Kinds { Purchase, Churn, CartToPurchase }

    private const long Day = 86_400_000;
    private const int PurchaseType = 5, ImpressionType = 11;
    private static readonly int s_lastActivity = PersonFeatures.IndexOf("daysSinceLastActivity");
    private static readonly int s_lastCart = PersonFeatures.IndexOf("daysSinceLastCart");
    private static readonly int s_openCart = PersonFeatures.IndexOf("openCart");

    /// <summary>Purchase within 7 days, within 30 days, churn (no activity in <paramref name="churnDays"/>), cart → purchase.</summary>
    public static IReadOnlyList<PropensityTarget> Defaults(int churnDays = 30) =>
    [
        new("purchase7d", "buys within the next 7 days (people active in the last 180 days)", 7, Kinds.Purchase),
        new("purchase30d", "buys within the next 30 days (people active in the last 180 days)", 30, Kinds.Purchase),
        new("churn", $"no activity at all in the next {churnDays} days (people active in the last {3 * churnDays} days)", churnDays, Kinds.Churn),
        new("cartToPurchase", "buys within the next 7 days after leaving an item in the cart in the last 7 days", 7, Kinds.CartToPurchase),
    ];

    /// <summary>Whether the model speaks about a person with these features (the population it was trained on).</summary>
    public bool Eligible(ReadOnlySpan<float> features) => Kind switch
    {
        Kinds.Purchase => features[s_lastActivity] < 180,
        Kinds.Churn => features[s_lastActivity] < 3 * HorizonDays,
        _ => features[s_openCart] > 0 && features[s_lastCart] < 7,
    };

    /// <summary>Why a person is not <see cref="Eligible"/>, in words.</summary>
    public string IneligibleReason => Kind switch
    {
        Kinds.Purchase => "not active in the last 180 days",
        Kinds.Churn => $"not active in the last {3 * HorizonDays} days",
        _ => "no item left in the cart in the last 7 days",
    };

    /// <summary>Whether it happened in [<paramref name="cutoffMs"/>, cutoff + horizon), from the person's events in time order.</summary>
    public bool Label(ReadOnlySpan<ActivityEvent> history, long cutoffMs)
    {
        long end = cutoffMs + HorizonDays * Day;
        bool active = false;
        foreach (ref readonly var e in history)
        {
            if (e.Ms < cutoffMs || e.Type == ImpressionType) continue;
            if (e.Ms >= end) break;
            if (Kind == Kinds.Churn) { active = true; break; }
            if (e.Type == PurchaseType) return true;
        }
        return Kind == Kinds.Churn && !active;
    }
}
