using Attune.Predictions.Propensity;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Attune.Predictions.Ranking;

/// <summary>One logged list: each shown item's features in the order shown (position = index + 1) and what the person did
/// with it (0 nothing, 1 a click, 2 a purchase).</summary>
public sealed record LoggedList(float[][] Features, int[] Labels);

/// <summary>A learned ranker as plain data: the item features' names (the position follows them) and the trees.</summary>
public sealed record LearnedRankerData(string[] FeatureNames, TreeEnsembleData Trees);

/// <summary>
/// Settings of the learned ranker (LightGBM LambdaRank): product defaults. Small trees (4 leaves, at least 200 shown items per
/// leaf, 100 rounds): clicks are noisy (most are curiosity), and larger trees learned the noise — on the demo shop's simulation
/// 16-leaf trees with 50 per leaf and 200 rounds lost 2.1 % true conversion where these gained +9.6 % (docs/benchmarks.md,
/// "Learned ranking").
/// </summary>
public sealed record RankerSettings
{
    public int Iterations { get; init; } = 100;
    public double LearningRate { get; init; } = 0.05;
    public int Leaves { get; init; } = 4;
    public int MinimumPerLeaf { get; init; } = 200;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// A ranking learned from logged lists with LambdaRank (ML.NET's LightGBM ranking trainer). Position bias is corrected by
/// giving the model the position an item was shown at as one more feature while it learns (so clicks explained by a high
/// position are not credited to the item), and scoring every candidate as if shown first (Guo et al., "PAL: a position-bias
/// aware learning framework for CTR prediction in live recommender systems", RecSys 2019). Served through
/// <see cref="TreeEnsemble"/>: microseconds per item, no ML.NET pipeline.
/// </summary>
public sealed class LearnedRanker
{
    private readonly TreeEnsemble _trees;

    private LearnedRanker(TreeEnsemble trees, string[] featureNames)
    {
        _trees = trees;
        FeatureNames = featureNames;
    }

    /// <summary>The item features, in order (the position is appended after them while learning).</summary>
    public string[] FeatureNames { get; }

    public TreeEnsemble Trees => _trees;

    /// <summary>The ranker as plain data (stored as a document).</summary>
    public LearnedRankerData ToData() => new(FeatureNames, _trees.ToData());

    public static LearnedRanker FromData(LearnedRankerData data)
    {
        var trees = TreeEnsemble.FromData(data.Trees);
        if (trees.Features != data.FeatureNames.Length + 1) throw new FormatException("the trees and the feature names disagree");
        return new LearnedRanker(trees, data.FeatureNames);
    }

    /// <summary>An item's score from its features (as if shown at the top).</summary>
    public double Score(ReadOnlySpan<float> features)
    {
        Span<float> row = stackalloc float[features.Length + 1];
        features.CopyTo(row);
        row[^1] = 1;
        return _trees.Score(row);
    }

    /// <summary>The order (indexes into <paramref name="items"/>) this ranker would show them in.</summary>
    public int[] Rank(IReadOnlyList<float[]> items)
    {
        var scores = new double[items.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = Score(items[i]);
        var order = new int[items.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order;
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
        public uint Group { get; set; }
    }

    /// <summary>Learns from <paramref name="log"/>; lists without any click teach LambdaRank nothing and are skipped.</summary>
    public static LearnedRanker Train(IReadOnlyList<LoggedList> log, string[] featureNames, RankerSettings? settings = null)
    {
        settings ??= new RankerSettings();
        int width = featureNames.Length + 1;
        var rows = new List<Row>();
        uint group = 0;
        foreach (var list in log)
        {
            bool any = false;
            foreach (int l in list.Labels) any |= l > 0;
            if (!any) continue;
            group++;
            for (int k = 0; k < list.Features.Length; k++)
            {
                var f = new float[width];
                list.Features[k].AsSpan(0, Math.Min(featureNames.Length, list.Features[k].Length)).CopyTo(f);
                f[^1] = k + 1;
                rows.Add(new Row { Features = f, Label = list.Labels[k], Group = group });
            }
        }
        if (group == 0) throw new InvalidOperationException("no logged list has a click: nothing to learn from");
        var ml = new MLContext(settings.Seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        schema[nameof(Row.Group)].ColumnType = new KeyDataViewType(typeof(uint), group + 1);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var model = ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            RowGroupColumnName = nameof(Row.Group),
            NumberOfIterations = settings.Iterations,
            LearningRate = settings.LearningRate,
            NumberOfLeaves = settings.Leaves,
            MinimumExampleCountPerLeaf = settings.MinimumPerLeaf,
            Seed = settings.Seed,
            Silent = true,
        }).Fit(data);
        var training = new TabularData { FeatureNames = [.. featureNames, "position"], Rows = [.. rows.Select(r => r.Features)], Labels = [.. rows.Select(r => r.Label > 0)] };
        return new LearnedRanker(TreeEnsemble.From([model.Model.TrainedTreeEnsemble], training), featureNames);
    }
}

/// <summary>
/// Replays a log with inverse-propensity weighting (Joachims, Swaminathan and Schnabel, "Unbiased learning-to-rank with
/// biased feedback", WSDM 2017): how many clicks and purchases a different order of the same shown items would have had,
/// each logged outcome at position p weighted by θ(new position) / θ(p).
/// </summary>
public static class RankingReplay
{
    /// <summary>Per list, the expected clicks and purchases under <paramref name="order"/> (indexes into the list's items).</summary>
    public static (double Clicks, double Purchases) Evaluate(IReadOnlyList<LoggedList> log, double[] theta, Func<LoggedList, int[]> order)
    {
        double clicks = 0, purchases = 0;
        foreach (var list in log)
        {
            var newOrder = order(list);
            for (int rank = 0; rank < newOrder.Length; rank++)
            {
                int k = newOrder[rank];
                int label = list.Labels[k];
                if (label == 0) continue;
                double weight = Theta(theta, rank + 1) / Theta(theta, k + 1);
                clicks += weight;
                if (label >= 2) purchases += weight;
            }
        }
        return (clicks / Math.Max(1, log.Count), purchases / Math.Max(1, log.Count));
    }

    private static double Theta(double[] theta, int position) => position < theta.Length ? Math.Max(theta[position], 1e-6) : Math.Max(theta[^1], 1e-6);
}
