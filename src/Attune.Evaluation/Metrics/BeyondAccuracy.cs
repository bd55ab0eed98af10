using Attune.Algorithms.Data;

namespace Attune.Evaluation.Metrics;

/// <summary>
/// Metrics of the top-10 lists themselves, for every protocol:
/// <list type="bullet">
/// <item><c>coverage@10</c>: share of the catalog in at least one list (counted by the runner);</item>
/// <item><c>diversity@10</c>: intra-list diversity, the mean over the list's item pairs of a distance. With item categories the
/// distance is 1 − Jaccard(categories of a, categories of b), pairs with an uncategorised item skipped; without, it is 1 when the
/// two items fall in different training-popularity deciles, else 0 (a list of ten blockbusters scores 0);</item>
/// <item><c>novelty@10</c>: mean self-information −log2(p) of the listed items, p = share of training rows (users or sessions)
/// holding the item, at least one row counted: higher means less popular.</item>
/// </list>
/// </summary>
public sealed class BeyondAccuracy
{
    public const int K = 10;

    /// <summary>Slots <see cref="Add"/> uses: diversity sum, lists with a diversity, novelty sum, lists with a novelty.</summary>
    public const int Slots = 4;

    public static IReadOnlyList<string> Names { get; } = ["coverage@10", "diversity@10", "novelty@10"];

    private readonly double[] _selfInformation;
    private readonly int[][]? _categories;
    private readonly byte[] _decile;

    public BeyondAccuracy(InteractionMatrix training, int[][]? categories)
    {
        int[] popularity = training.ItemCounts();
        int rows = Math.Max(1, training.Users);
        _selfInformation = new double[popularity.Length];
        for (int i = 0; i < popularity.Length; i++) _selfInformation[i] = -Math.Log2(Math.Max(1, popularity[i]) / (double)rows);
        _categories = categories is not null && categories.Length == popularity.Length ? categories : null;
        var byPopularity = Enumerable.Range(0, popularity.Length).OrderByDescending(i => popularity[i]).ThenBy(i => i).ToArray();
        _decile = new byte[popularity.Length];
        for (int r = 0; r < byPopularity.Length; r++) _decile[byPopularity[r]] = (byte)(10L * r / byPopularity.Length);
    }

    /// <summary>What the diversity distance is measured on with these <paramref name="categories"/>, for reports.</summary>
    public static string DiversityBasis(int[][]? categories, int items) =>
        categories is not null && categories.Length == items ? "item categories (1 − Jaccard)" : "popularity deciles (no item categories)";

    public void Add(ReadOnlySpan<int> top, Span<double> sums)
    {
        if (top.Length > K) top = top[..K];
        if (top.IsEmpty) return;
        double novelty = 0;
        foreach (int i in top) novelty += _selfInformation[i];
        sums[2] += novelty / top.Length;
        sums[3]++;
        double distance = 0;
        int pairs = 0;
        for (int a = 0; a < top.Length; a++)
        {
            for (int b = a + 1; b < top.Length; b++)
            {
                if (_categories is null)
                {
                    distance += _decile[top[a]] != _decile[top[b]] ? 1 : 0;
                }
                else
                {
                    int[] ca = _categories[top[a]], cb = _categories[top[b]];
                    if (ca.Length == 0 || cb.Length == 0) continue;
                    distance += 1 - Jaccard(ca, cb);
                }
                pairs++;
            }
        }
        if (pairs == 0) return;
        sums[0] += distance / pairs;
        sums[1]++;
    }

    /// <summary>|a ∩ b| / |a ∪ b| of two ascending id lists.</summary>
    public static double Jaccard(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int i = 0, j = 0, common = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { common++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        int union = a.Length + b.Length - common;
        return union == 0 ? 0 : (double)common / union;
    }
}
