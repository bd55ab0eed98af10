using Attune.Evaluation.Datasets;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// microsoft/recommenders <c>python_stratified_split(data, ratio, filter_by="item", seed)</c>, step for step: one
/// <c>np.random.rand</c> key per row in file order after <c>np.random.seed(seed)</c> (<see cref="NumpyRandom"/>), rows sorted by
/// (item, key), and within each item the first <c>round(ratio · n)</c> rows go to train, the rest to test. <c>round</c> there is
/// pandas/NumPy rounding, half to even: an item with 2 rows keeps both in train (1.5 → 2), one with 6 rows splits 4/2 (4.5 → 4).
/// Items with ≥ 3 rows always land in both parts.
/// </summary>
public static class StratifiedSplitter
{
    public const uint DefaultSeed = 42;

    /// <summary>Row numbers of the train and test parts, each ascending.</summary>
    public static (int[] Train, int[] Test) SplitByItem(RatingRows rows, int items, double ratio = 0.75, uint seed = DefaultSeed)
    {
        var rng = new NumpyRandom(seed);
        var keys = new double[rows.Count];
        for (int r = 0; r < keys.Length; r++) keys[r] = rng.NextDouble();

        var start = new int[items + 1];
        foreach (int i in rows.Item) start[i + 1]++;
        for (int i = 0; i < items; i++) start[i + 1] += start[i];
        var next = (int[])start.Clone();
        var order = new int[rows.Count];
        for (int r = 0; r < rows.Count; r++) order[next[rows.Item[r]]++] = r;
        var sortedKeys = new double[rows.Count];
        for (int k = 0; k < order.Length; k++) sortedKeys[k] = keys[order[k]];

        var inTrain = new bool[rows.Count];
        int trainCount = 0;
        for (int i = 0; i < items; i++)
        {
            int n = start[i + 1] - start[i];
            Array.Sort(sortedKeys, order, start[i], n);
            int cut = (int)Math.Round(ratio * n, MidpointRounding.ToEven);
            for (int k = 0; k < cut; k++) inTrain[order[start[i] + k]] = true;
            trainCount += cut;
        }
        var train = new int[trainCount];
        var test = new int[rows.Count - trainCount];
        for (int r = 0, a = 0, b = 0; r < rows.Count; r++)
        {
            if (inTrain[r]) train[a++] = r;
            else test[b++] = r;
        }
        return (train, test);
    }
}
