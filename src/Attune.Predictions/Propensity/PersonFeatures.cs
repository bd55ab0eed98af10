namespace Attune.Predictions.Propensity;

/// <summary>
/// A person's behaviour before a moment, as numbers: recency, frequency and spend per kind of event and window, sessions,
/// active days, channels and devices, price level, category focus, responses to recommendations, an open cart and the rhythm
/// of purchases. The same function describes the past (training snapshots) and the present (scoring), so a model sees the
/// same features in both.
/// </summary>
public static class PersonFeatures
{
    // The store's built-in event type codes (Attune.Model.EventType), which this project does not reference.
    private const int View = 1, Click = 2, AddToCart = 3, Purchase = 5, Refund = 6, Search = 7, Impression = 11,
        EmailOpen = 12, EmailClick = 13, PushOpen = 14, SupportChat = 15;

    private const long Day = 86_400_000;
    private const long SessionGap = 30 * 60_000;

    /// <summary>Days-since features of something that never happened (or longer ago): capped here.</summary>
    public const float NeverDays = 365;

    /// <summary>Each feature: its name and how to say its value in words (<c>{0}</c> is the value).</summary>
    public static IReadOnlyList<(string Name, string Words)> All { get; } =
    [
        ("daysSinceLastActivity", "last active {0} days ago"),
        ("daysSinceLastView", "last viewed an item {0} days ago"),
        ("daysSinceLastCart", "last added to cart {0} days ago"),
        ("daysSinceLastPurchase", "last bought {0} days ago"),
        ("tenureDays", "first seen {0} days ago"),
        ("events7d", "{0} actions in the last 7 days"),
        ("events30d", "{0} actions in the last 30 days"),
        ("eventsAll", "{0} actions in all"),
        ("views7d", "{0} item views in the last 7 days"),
        ("views30d", "{0} item views in the last 30 days"),
        ("viewsAll", "{0} item views in all"),
        ("carts7d", "{0} cart adds in the last 7 days"),
        ("carts30d", "{0} cart adds in the last 30 days"),
        ("cartsAll", "{0} cart adds in all"),
        ("purchases7d", "{0} purchases in the last 7 days"),
        ("purchases30d", "{0} purchases in the last 30 days"),
        ("purchasesAll", "{0} purchases in all"),
        ("spend30d", "spent {0} in the last 30 days"),
        ("spendAll", "spent {0} in all"),
        ("orderValue", "{0} per purchase on average"),
        ("searches30d", "{0} searches in the last 30 days"),
        ("emails30d", "{0} email opens or clicks in the last 30 days"),
        ("pushes30d", "{0} push notifications opened in the last 30 days"),
        ("supportChats30d", "{0} support chats in the last 30 days"),
        ("refundsAll", "{0} refunds in all"),
        ("sessions7d", "{0} visits in the last 7 days"),
        ("sessions30d", "{0} visits in the last 30 days"),
        ("sessionsAll", "{0} visits in all"),
        ("activeDays30d", "active on {0} of the last 30 days"),
        ("channels", "uses {0} channels"),
        ("devices", "uses {0} devices"),
        ("priceLevel", "looks at items of {0} on average"),
        ("categories30d", "looked at {0} categories in the last 30 days"),
        ("topCategoryShare", "{0:P0} of their attention on one category"),
        ("recommendationResponses30d", "{0} responses to recommendations in the last 30 days"),
        ("openCart", "an item left in the cart"),
        ("daysBetweenPurchases", "buys every {0} days on average"),
        ("purchaseDue", "{0:0.0} times their usual gap since the last purchase"),
    ];

    public static int Count => All.Count;

    /// <summary>The recency-frequency-monetary subset a baseline uses: days since the last purchase, purchases, spend.</summary>
    public static int[] Rfm { get; } = [3, 16, 18];

    public static int IndexOf(string name)
    {
        for (int i = 0; i < All.Count; i++) if (All[i].Name == name) return i;
        return -1;
    }

    /// <summary>A feature's value in words.</summary>
    public static string Describe(int feature, float value)
    {
        var (name, words) = All[feature];
        if (name == "openCart") return value > 0 ? words : "nothing left in the cart";
        if (name.StartsWith("daysSince", StringComparison.Ordinal) && value >= NeverDays)
            return name switch
            {
                "daysSinceLastView" => "no item viewed in the last year",
                "daysSinceLastCart" => "no cart add in the last year",
                "daysSinceLastPurchase" => "no purchase in the last year",
                _ => "not active in the last year",
            };
        if (name == "daysBetweenPurchases" && value <= 0) return "fewer than two purchases";
        if (name == "priceLevel" && value <= 0) return "no priced item looked at";
        object shown = words.Contains("{0:", StringComparison.Ordinal) ? value : Math.Round(value, value >= 10 ? 0 : 1);
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, words, shown);
    }

    /// <summary>Per-thread scratch for distinct categories.</summary>
    public sealed class Scratch
    {
        internal int[] CategoryCounts = [];
        internal readonly List<int> Touched = [];
    }

    /// <summary>
    /// Writes the features of <paramref name="history"/> (one person's events in time order) as they stood just before
    /// <paramref name="cutoffMs"/> into <paramref name="features"/> (length <see cref="Count"/>); later events are ignored.
    /// </summary>
    public static void Extract(ReadOnlySpan<ActivityEvent> history, long cutoffMs, ItemFacts? items, Scratch scratch, Span<float> features)
    {
        features.Clear();
        long d7 = cutoffMs - 7 * Day, d30 = cutoffMs - 30 * Day;
        long lastAny = long.MinValue, lastView = long.MinValue, lastCart = long.MinValue, lastPurchase = long.MinValue, first = long.MinValue;
        int events7 = 0, events30 = 0, events = 0, views7 = 0, views30 = 0, views = 0, carts7 = 0, carts30 = 0, carts = 0;
        int purchases7 = 0, purchases30 = 0, purchases = 0, searches30 = 0, emails30 = 0, pushes30 = 0, support30 = 0, refunds = 0;
        int sessions7 = 0, sessions30 = 0, sessions = 0, activeDays30 = 0, responses30 = 0, priced = 0, focusEvents = 0;
        double spend30 = 0, spend = 0, priceSum = 0;
        long previousMs = long.MinValue, previousDay = long.MinValue, firstPurchase = long.MinValue;
        int previousSession = 0;
        uint channels = 0, devicesLow = 0;
        ulong channelsHigh = 0, devicesHigh = 0;
        int categoryCount = items?.CategoryCount ?? 0;
        if (scratch.CategoryCounts.Length < categoryCount) scratch.CategoryCounts = new int[Math.Max(categoryCount, scratch.CategoryCounts.Length * 2)];
        int topCategory = 0;
        foreach (ref readonly var e in history)
        {
            if (e.Ms >= cutoffMs) break;
            if (e.Type == Impression) continue;
            bool in7 = e.Ms >= d7, in30 = e.Ms >= d30;
            if (first == long.MinValue) first = e.Ms;
            lastAny = e.Ms;
            events++;
            if (in30) events30++;
            if (in7) events7++;
            bool newSession = e.Session != 0 ? e.Session != previousSession || e.Ms - previousMs > 4 * SessionGap : e.Ms - previousMs > SessionGap;
            if (newSession)
            {
                sessions++;
                if (in30) sessions30++;
                if (in7) sessions7++;
            }
            previousSession = e.Session;
            previousMs = e.Ms;
            long day = e.Ms / Day;
            if (in30 && day != previousDay) activeDays30++;
            previousDay = day;
            if (e.Channel != 0) { if (e.Channel < 32) channels |= 1u << e.Channel; else channelsHigh |= 1ul << (e.Channel & 63); }
            if (e.Device != 0) { if (e.Device < 32) devicesLow |= 1u << e.Device; else devicesHigh |= 1ul << (e.Device & 63); }
            if (in30 && e.FromRecommendation) responses30++;
            switch (e.Type)
            {
                case View or Click:
                    lastView = e.Ms;
                    views++;
                    if (in30) views30++;
                    if (in7) views7++;
                    break;
                case AddToCart:
                    lastCart = e.Ms;
                    carts++;
                    if (in30) carts30++;
                    if (in7) carts7++;
                    break;
                case Purchase:
                    // Several lines of one order arrive within a minute: one purchase occasion.
                    if (lastPurchase == long.MinValue || e.Ms - lastPurchase > 60_000)
                    {
                        purchases++;
                        if (in30) purchases30++;
                        if (in7) purchases7++;
                        if (firstPurchase == long.MinValue) firstPurchase = e.Ms;
                    }
                    lastPurchase = e.Ms;
                    spend += e.Value;
                    if (in30) spend30 += e.Value;
                    break;
                case Refund: refunds++; break;
                case Search: if (in30) searches30++; break;
                case EmailOpen or EmailClick: if (in30) emails30++; break;
                case PushOpen: if (in30) pushes30++; break;
                case SupportChat: if (in30) support30++; break;
            }
            if (items is not null && e.Item >= 0 && e.Type is View or Click or AddToCart or Purchase)
            {
                float price = items.Price(e.Item);
                if (!float.IsNaN(price)) { priceSum += price; priced++; }
                int category = items.Category(e.Item);
                if (in30 && category >= 0)
                {
                    if (scratch.CategoryCounts[category]++ == 0) scratch.Touched.Add(category);
                    focusEvents++;
                    if (scratch.CategoryCounts[category] > topCategory) topCategory = scratch.CategoryCounts[category];
                }
            }
        }
        int distinctCategories = scratch.Touched.Count;
        foreach (int c in scratch.Touched) scratch.CategoryCounts[c] = 0;
        scratch.Touched.Clear();
        if (events == 0)
        {
            for (int f = 0; f < 5; f++) features[f] = NeverDays;
            return;
        }
        float DaysSince(long ms) => ms == long.MinValue ? NeverDays : MathF.Min(NeverDays, (cutoffMs - ms) / (float)Day);
        features[0] = DaysSince(lastAny);
        features[1] = DaysSince(lastView);
        features[2] = DaysSince(lastCart);
        features[3] = DaysSince(lastPurchase);
        features[4] = DaysSince(first);
        features[5] = events7;
        features[6] = events30;
        features[7] = events;
        features[8] = views7;
        features[9] = views30;
        features[10] = views;
        features[11] = carts7;
        features[12] = carts30;
        features[13] = carts;
        features[14] = purchases7;
        features[15] = purchases30;
        features[16] = purchases;
        features[17] = (float)spend30;
        features[18] = (float)spend;
        features[19] = purchases > 0 ? (float)(spend / purchases) : 0;
        features[20] = searches30;
        features[21] = emails30;
        features[22] = pushes30;
        features[23] = support30;
        features[24] = refunds;
        features[25] = sessions7;
        features[26] = sessions30;
        features[27] = sessions;
        features[28] = activeDays30;
        features[29] = System.Numerics.BitOperations.PopCount(channels) + System.Numerics.BitOperations.PopCount(channelsHigh);
        features[30] = System.Numerics.BitOperations.PopCount(devicesLow) + System.Numerics.BitOperations.PopCount(devicesHigh);
        features[31] = priced > 0 ? (float)(priceSum / priced) : 0;
        features[32] = distinctCategories;
        features[33] = focusEvents > 0 ? topCategory / (float)focusEvents : 0;
        features[34] = responses30;
        features[35] = lastCart != long.MinValue && lastCart > lastPurchase && lastCart >= d30 ? 1 : 0;
        float gap = purchases >= 2 ? (lastPurchase - firstPurchase) / (float)Day / (purchases - 1) : 0;
        features[36] = gap;
        features[37] = gap > 0 ? MathF.Min(20, features[3] / MathF.Max(gap, 0.5f)) : 0;
    }
}
