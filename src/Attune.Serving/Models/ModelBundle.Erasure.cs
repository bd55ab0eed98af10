using Attune.Algorithms.Als;
using Attune.Algorithms.Data;
using Attune.Serving.Training;

namespace Attune.Serving.Models;

public sealed partial class ModelBundle
{
    /// <summary>What an erased person's id becomes in a bundle: never a valid id (ids refuse control characters).</summary>
    public static string ErasedId(int row) => $"\u0000erased:{row}";

    /// <summary>
    /// A copy without what the bundle holds of these people (user or anonymous ids): their id becomes <see cref="ErasedId"/>,
    /// their rows of histories, purchases, open carts and impressions are emptied and their factor vector zeroed. Aggregates
    /// (popularity, trends, item neighbours, sequences, content) stay: they hold no person. Null when none of them is here.
    /// </summary>
    public ModelBundle? Without(IEnumerable<string> ids)
    {
        var rows = new HashSet<int>();
        foreach (string id in ids)
        {
            int u = IndexOfUser(id);
            if (u >= 0) rows.Add(u);
        }
        if (rows.Count == 0) return null;
        var userIds = (string[])UserIds.Clone();
        foreach (int u in rows) userIds[u] = ErasedId(u);
        var (hStart, hItems) = EmptyRows(Histories.Start, Histories.Items, rows, out _);
        var (pStart, pItems) = EmptyRows(Purchases.Start, Purchases.Items, rows, out _);
        var (cStart, cItems) = EmptyRows(OpenCarts.Start, OpenCarts.Items, rows, out _);
        var (iStart, iItems) = EmptyRows(Impressions.Start, Impressions.Items, rows, out var kept);
        var impressions = new ImpressionTable(iStart, iItems, Pick(Impressions.Counts, kept), Pick(Impressions.FirstShownMs, kept),
            Pick(Impressions.LastShownMs, kept), Pick(Impressions.LastEngagedMs, kept));
        AlsModel? als = Als;
        if (als is not null)
        {
            var users = als.UserFactors.ToArray();
            foreach (int u in rows) if (u < als.Users) Array.Clear(users, u * als.Rank, als.Rank);
            als = new AlsModel(als.Rank, users, als.ItemFactors.ToArray(), als.Alpha, als.UnobservedWeight, als.Regularization, als.RegularizationExponent);
        }
        return new ModelBundle
        {
            Info = Info, ItemIds = ItemIds, UserIds = userIds, Histories = new SequenceData(Histories.ItemCount, hStart, hItems),
            Purchases = new SparseRows(pStart, pItems), OpenCarts = new SparseRows(cStart, cItems), Impressions = impressions,
            Popularity = Popularity, TrendShort = TrendShort, TrendLong = TrendLong, ContextPopularity = ContextPopularity, Als = als,
            ViewedTogether = ViewedTogether, BoughtTogether = BoughtTogether, Sequence = Sequence, Content = Content, SasRec = SasRec,
        };
    }

    /// <summary>CSR rows with <paramref name="rows"/> emptied; <paramref name="kept"/>: the old position of each entry kept.</summary>
    private static (int[] Start, int[] Items) EmptyRows(int[] start, int[] items, HashSet<int> rows, out int[] kept)
    {
        int n = start.Length - 1;
        var newStart = new int[start.Length];
        var keptList = new List<int>(items.Length);
        for (int r = 0; r < n; r++)
        {
            newStart[r] = keptList.Count;
            if (rows.Contains(r)) continue;
            for (int k = start[r]; k < start[r + 1]; k++) keptList.Add(k);
        }
        if (n >= 0) newStart[n] = keptList.Count;
        kept = [.. keptList];
        var newItems = new int[kept.Length];
        for (int k = 0; k < kept.Length; k++) newItems[k] = items[kept[k]];
        return (newStart, newItems);
    }

    private static T[] Pick<T>(T[] values, int[] kept)
    {
        if (values.Length == 0) return values;
        var picked = new T[kept.Length];
        for (int k = 0; k < kept.Length; k++) picked[k] = values[kept[k]];
        return picked;
    }
}
