namespace Attune.Predictions.Clv;

/// <summary>
/// Turns purchases into the models' customer summaries, in days (as lifetimes' <c>summary_data_from_transaction_data</c> with
/// daily periods): purchases on one day are one transaction; <c>x</c> is the number of days with a purchase after the first,
/// <c>t_x</c> the days from the first to the last, <c>T</c> the days from the first to now, and the mean spend the mean total
/// of the repeat days (the first purchase is left out, as the models expect).
/// </summary>
public sealed class PurchaseSummaries
{
    private const long Day = 86_400_000;
    private readonly Dictionary<(string Id, bool Anonymous), Person> _people = new();

    private sealed class Person
    {
        public long FirstDay = long.MaxValue, LastDay = long.MinValue, FirstMs = long.MaxValue;
        public readonly Dictionary<long, double> Days = new();
    }

    public int People => _people.Count;

    /// <summary>One purchase (its value: the order's amount, or 0 when unknown).</summary>
    public void Add(string personId, bool anonymous, long timestampMs, double value)
    {
        if (!_people.TryGetValue((personId, anonymous), out var p)) _people[(personId, anonymous)] = p = new Person();
        long day = Math.DivRem(timestampMs, Day, out long rest) - (rest < 0 ? 1 : 0);
        p.FirstDay = Math.Min(p.FirstDay, day);
        p.LastDay = Math.Max(p.LastDay, day);
        p.FirstMs = Math.Min(p.FirstMs, timestampMs);
        p.Days[day] = p.Days.GetValueOrDefault(day) + Math.Max(0, value);
    }

    /// <summary>Every buyer's summary as of <paramref name="nowMs"/>.</summary>
    public List<CustomerSummary> Build(long nowMs)
    {
        var list = new List<CustomerSummary>(_people.Count);
        foreach (var ((id, anonymous), p) in _people) list.Add(Summarize(anonymous ? "~" + id : id, p, nowMs));
        return list;
    }

    /// <summary>
    /// A holdout split at <paramref name="cutoffMs"/>: the summaries of everyone who bought before it, as of the cutoff, and for
    /// each of them the purchase days after it (up to <paramref name="endMs"/>): what a fit on the past should have foreseen.
    /// </summary>
    public (List<CustomerSummary> Before, List<int> DaysAfter) Split(long cutoffMs, long endMs)
    {
        long cutoffDay = Math.DivRem(cutoffMs, Day, out long rest) - (rest < 0 ? 1 : 0);
        var before = new List<CustomerSummary>();
        var after = new List<int>();
        foreach (var ((id, anonymous), p) in _people)
        {
            var past = new Person();
            int later = 0;
            foreach (var (day, total) in p.Days)
            {
                if (day < cutoffDay)
                {
                    past.FirstDay = Math.Min(past.FirstDay, day);
                    past.LastDay = Math.Max(past.LastDay, day);
                    past.Days[day] = total;
                }
                else if (day * Day < endMs) later++;
            }
            if (past.Days.Count == 0) continue;
            before.Add(Summarize(anonymous ? "~" + id : id, past, cutoffDay * Day));
            after.Add(later);
        }
        return (before, after);
    }

    /// <summary>One person's summary from their purchases (time in ms, value), as of <paramref name="nowMs"/>; null without any.</summary>
    public static CustomerSummary? Of(string id, IEnumerable<(long TimestampMs, double Value)> purchases, long nowMs)
    {
        var one = new PurchaseSummaries();
        foreach (var (ms, value) in purchases) one.Add(id, false, ms, value);
        return one._people.TryGetValue((id, false), out var p) ? Summarize(id, p, nowMs) : null;
    }

    private static CustomerSummary Summarize(string id, Person p, long nowMs)
    {
        int x = p.Days.Count - 1;
        double repeatSpend = 0;
        foreach (var (day, total) in p.Days) if (day != p.FirstDay) repeatSpend += total;
        double T = Math.Max(p.LastDay - p.FirstDay, (nowMs / (double)Day) - p.FirstDay);
        return new CustomerSummary(id, x, p.LastDay - p.FirstDay, Math.Max(T, 0), x > 0 ? repeatSpend / x : 0);
    }
}
