namespace Attune.Predictions.Segments;

/// <summary>
/// Recency, frequency and monetary scores (1–5, quintiles among the shop's buyers: 5 is the most recent, most frequent, highest
/// spend) and the classic RFM segment map by recency and frequency (champions, loyal, potential loyalists, new, promising,
/// need attention, about to sleep, at risk, cannot lose, hibernating). The quintiles are set from everyone at each full
/// scoring and applied as they are to a person rescored in between.
/// </summary>
public sealed class RfmScores
{
    private readonly float[] _recencyDays, _purchases, _spend; // sorted ascending, buyers only

    private RfmScores(float[] recencyDays, float[] purchases, float[] spend) => (_recencyDays, _purchases, _spend) = (recencyDays, purchases, spend);

    public int Buyers => _purchases.Length;

    /// <summary>The segments of the RFM map, in the order of the map (best first).</summary>
    public static IReadOnlyList<(string Id, string Description)> Segments { get; } =
    [
        ("champions", "bought recently and often (R 5, F 4–5)"),
        ("loyal", "buy often, not the very latest (R 3–4, F 4–5)"),
        ("potential-loyalists", "recent, bought a few times (R 4–5, F 2–3)"),
        ("new", "first purchase very recently (R 5, F 1)"),
        ("promising", "recent single purchase (R 4, F 1)"),
        ("need-attention", "average on both (R 3, F 3)"),
        ("about-to-sleep", "slipping, bought rarely (R 3, F 1–2)"),
        ("at-risk", "bought fairly often, long ago (R 1–2, F 3–4)"),
        ("cannot-lose", "bought the most, long ago (R 1–2, F 5)"),
        ("hibernating", "bought rarely, long ago (R 1–2, F 1–2)"),
    ];

    /// <summary>Quintiles from every buyer's days since the last purchase, purchases and spend.</summary>
    public static RfmScores Fit(IEnumerable<(float RecencyDays, float Purchases, float Spend)> buyers)
    {
        var r = new List<float>();
        var f = new List<float>();
        var m = new List<float>();
        foreach (var (recency, purchases, spend) in buyers)
        {
            if (purchases <= 0) continue;
            r.Add(recency);
            f.Add(purchases);
            m.Add(spend);
        }
        float[] rs = [.. r], fs = [.. f], ms = [.. m];
        Array.Sort(rs);
        Array.Sort(fs);
        Array.Sort(ms);
        return new RfmScores(rs, fs, ms);
    }

    /// <summary>The scores of one person (0, 0, 0 and no segment for someone who has not bought).</summary>
    public (int R, int F, int M, string? Segment) Score(float recencyDays, float purchases, float spend)
    {
        if (purchases <= 0 || Buyers == 0) return (0, 0, 0, null);
        int r = 6 - Quintile(_recencyDays, recencyDays); // fewer days since = higher
        int f = Quintile(_purchases, purchases);
        int m = Quintile(_spend, spend);
        return (r, f, m, SegmentOf(r, f));
    }

    public static string SegmentOf(int r, int f) => (r, f) switch
    {
        (5, >= 4) => "champions",
        (3 or 4, >= 4) => "loyal",
        (>= 4, 2 or 3) => "potential-loyalists",
        (5, 1) => "new",
        (4, 1) => "promising",
        (3, 3) => "need-attention",
        (3, <= 2) => "about-to-sleep",
        (<= 2, 5) => "cannot-lose",
        (<= 2, 3 or 4) => "at-risk",
        _ => "hibernating",
    };

    /// <summary>1–5 by the value's mid-rank among <paramref name="sorted"/> (ties share a score).</summary>
    private static int Quintile(float[] sorted, float value)
    {
        int below = LowerBound(sorted, value), upTo = UpperBound(sorted, value);
        double midRank = (below + (upTo - below) / 2.0) / sorted.Length;
        return Math.Clamp(1 + (int)(midRank * 5), 1, 5);
    }

    private static int LowerBound(float[] a, float v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (a[mid] < v) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static int UpperBound(float[] a, float v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (a[mid] <= v) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
