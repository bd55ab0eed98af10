namespace Attune.Decisions.Prices;

/// <summary>
/// The guardrails as arithmetic: an item's price level (anchor) for a day, moved from the previous day's by at most the
/// daily change and kept inside [floor, ceiling] (never above the list price); the day's price points, evenly spaced inside
/// the spread around the anchor and the same bounds. Every price a person can be shown comes from <see cref="Points"/>, so the
/// guardrails hold by construction (and <c>PriceGuardrailTests</c> checks it on random settings).
/// </summary>
public static class PriceGuard
{
    /// <summary>The lowest and highest price allowed at all.</summary>
    public static (double Low, double High) Bounds(PriceRule rule, double listPrice) =>
        (listPrice * rule.Floor, listPrice * Math.Min(1, rule.Ceiling));

    /// <summary>The next day's anchor: towards <paramref name="target"/>, at most the daily change from <paramref name="previous"/>, within bounds.</summary>
    public static double NextAnchor(PriceRule rule, double listPrice, double previous, double target)
    {
        var (low, high) = Bounds(rule, listPrice);
        double moved = Math.Clamp(target, previous * (1 - rule.MaxDailyChange), previous * (1 + rule.MaxDailyChange));
        return Math.Clamp(moved, low, high);
    }

    /// <summary>The day's price points around <paramref name="anchor"/>: whole cents inside the spread and the bounds.</summary>
    public static double[] Points(PriceRule rule, double listPrice, double anchor)
    {
        var (low, high) = Bounds(rule, listPrice);
        long lowC = (long)Math.Ceiling(low * 100 - 1e-6), highC = (long)Math.Floor(high * 100 + 1e-6);
        long fromC = Math.Max(lowC, (long)Math.Ceiling(anchor * (1 - rule.MaxSpread / 2) * 100 - 1e-6));
        long toC = Math.Min(highC, (long)Math.Floor(anchor * (1 + rule.MaxSpread / 2) * 100 + 1e-6));
        if (toC < fromC) fromC = toC = Math.Clamp((long)Math.Round(anchor * 100), Math.Min(lowC, highC), highC);
        int n = Math.Max(1, rule.Levels);
        var points = new double[n];
        for (int i = 0; i < n; i++) points[i] = (n == 1 ? fromC : fromC + (long)Math.Round((toC - fromC) * (double)i / (n - 1))) / 100.0;
        return points;
    }
}
