using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Attune.Predictions.Propensity;

/// <summary>
/// Trained regression trees in flat arrays, scored without ML.NET's pipeline (a few microseconds per person) and able to say
/// how much each feature moved a person's score: the contributions along the person's path through each tree (Saabas'
/// method: at every split, the change of the node's mean value is the split feature's), which add up to the score.
/// </summary>
public sealed class TreeEnsemble
{
    private readonly int[] _roots;       // per tree: its first node's index in the node arrays
    private readonly int[] _feature;     // per node
    private readonly float[] _threshold; // per node: go left when value <= threshold
    private readonly int[] _left, _right; // per node: a node index, or ~leaf (a leaf index, complemented)
    private readonly double[] _nodeValue; // per node: the training rows' mean of the tree's output below it
    private readonly double[] _leafValue; // per leaf, weighted
    private readonly double _bias;

    private TreeEnsemble(int[] roots, int[] feature, float[] threshold, int[] left, int[] right, double[] nodeValue, double[] leafValue,
        double bias, int features)
    {
        (_roots, _feature, _threshold, _left, _right, _nodeValue, _leafValue, _bias) = (roots, feature, threshold, left, right, nodeValue, leafValue, bias);
        Features = features;
    }

    public int Features { get; }
    public int Trees => _roots.Length;

    /// <summary>The trees as plain arrays (what a stored model holds).</summary>
    public TreeEnsembleData ToData() => new(_roots, _feature, _threshold, _left, _right, _nodeValue, _leafValue, _bias, Features);

    /// <summary>Trees from <see cref="ToData"/>, checked so that a damaged copy cannot index outside its arrays.</summary>
    public static TreeEnsemble FromData(TreeEnsembleData d)
    {
        int nodes = d.Feature.Length, leaves = d.LeafValue.Length;
        if (d.Threshold.Length != nodes || d.Left.Length != nodes || d.Right.Length != nodes || d.NodeValue.Length != nodes)
            throw new FormatException("tree arrays of different lengths");
        foreach (int r in d.Roots) if (r < 0 || r >= nodes) throw new FormatException("a tree root outside the nodes");
        for (int n = 0; n < nodes; n++)
        {
            if (d.Feature[n] < 0 || d.Feature[n] >= d.Features) throw new FormatException($"node {n} splits on feature {d.Feature[n]} of {d.Features}");
            foreach (int child in new[] { d.Left[n], d.Right[n] })
                if (child >= 0 ? child >= nodes : ~child >= leaves)
                    throw new FormatException($"node {n} has a child outside the tree");
        }
        return new TreeEnsemble(d.Roots, d.Feature, d.Threshold, d.Left, d.Right, d.NodeValue, d.LeafValue, d.Bias, d.Features);
    }

    /// <summary>The score of one row (the sum of its leaves and the bias): the models' raw log-odds.</summary>
    public double Score(ReadOnlySpan<float> x)
    {
        double sum = _bias;
        for (int t = 0; t < _roots.Length; t++)
        {
            int n = _roots[t];
            while (n >= 0) n = x[_feature[n]] <= _threshold[n] ? _left[n] : _right[n];
            sum += _leafValue[~n];
        }
        return sum;
    }

    /// <summary>
    /// Adds each feature's contribution to this row's score into <paramref name="contributions"/> (length
    /// <see cref="Features"/>) and returns the expected score (the bias plus every tree's mean): that plus the contributions is
    /// <see cref="Score"/>.
    /// </summary>
    public double Contributions(ReadOnlySpan<float> x, Span<double> contributions)
    {
        double expected = _bias;
        for (int t = 0; t < _roots.Length; t++)
        {
            int n = _roots[t];
            expected += _nodeValue[n];
            while (n >= 0)
            {
                int next = x[_feature[n]] <= _threshold[n] ? _left[n] : _right[n];
                double after = next >= 0 ? _nodeValue[next] : _leafValue[~next];
                contributions[_feature[n]] += after - _nodeValue[n];
                n = next;
            }
        }
        return expected;
    }

    /// <summary>
    /// The trees of ML.NET LightGBM binary models, averaged (each model's output weighted 1 / models), with every node's mean
    /// output over <paramref name="training"/> (the rows they were trained on) for <see cref="Contributions"/>.
    /// </summary>
    internal static TreeEnsemble From(IReadOnlyList<ITransformer> models, TabularData training) =>
        From([.. models.Select(m => ((BinaryPredictionTransformer<Microsoft.ML.Calibrators.CalibratedModelParametersBase<LightGbmBinaryModelParameters,
            Microsoft.ML.Calibrators.PlattCalibrator>>)m).Model.SubModel.TrainedTreeEnsemble)], training);

    /// <summary>Trained tree ensembles (LightGBM's, through ML.NET), averaged, with node means over <paramref name="training"/>.</summary>
    internal static TreeEnsemble From(IReadOnlyList<RegressionTreeEnsemble> ensembles, TabularData training)
    {
        var roots = new List<int>();
        var feature = new List<int>();
        var threshold = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var leaves = new List<double>();
        double bias = 0, share = 1.0 / ensembles.Count;
        foreach (var ensemble in ensembles)
        {
            bias += ensemble.Bias * share;
            for (int t = 0; t < ensemble.Trees.Count; t++)
            {
                var tree = ensemble.Trees[t];
                double weight = ensemble.TreeWeights[t] * share;
                int nodeBase = feature.Count, leafBase = leaves.Count;
                foreach (double v in tree.LeafValues) leaves.Add(v * weight);
                if (tree.NumberOfNodes == 0)
                {
                    // A single-leaf tree: a node that sends everything to its one leaf.
                    roots.Add(nodeBase);
                    feature.Add(0);
                    threshold.Add(float.PositiveInfinity);
                    left.Add(~leafBase);
                    right.Add(~leafBase);
                    continue;
                }
                roots.Add(nodeBase);
                for (int n = 0; n < tree.NumberOfNodes; n++)
                {
                    if (tree.CategoricalSplitFlags[n]) throw new NotSupportedException("categorical splits are not used by Attune's models");
                    feature.Add(tree.NumericalSplitFeatureIndexes[n]);
                    threshold.Add(tree.NumericalSplitThresholds[n]);
                    int l = tree.LeftChild[n], r = tree.RightChild[n];
                    left.Add(l >= 0 ? nodeBase + l : ~(leafBase + ~l));
                    right.Add(r >= 0 ? nodeBase + r : ~(leafBase + ~r));
                }
            }
        }
        var result = new TreeEnsemble([.. roots], [.. feature], [.. threshold], [.. left], [.. right], new double[feature.Count], [.. leaves], bias,
            training.FeatureNames.Length);
        result.FitNodeValues(training);
        return result;
    }

    /// <summary>Each node's value: the mean output of the training rows that reach it (its leaves weighted by their rows).</summary>
    private void FitNodeValues(TabularData training)
    {
        var leafRows = new long[_leafValue.Length];
        foreach (var row in training.Rows)
            for (int t = 0; t < _roots.Length; t++)
            {
                int n = _roots[t];
                while (n >= 0) n = row[_feature[n]] <= _threshold[n] ? _left[n] : _right[n];
                leafRows[~n]++;
            }
        (double Sum, long Rows) Walk(int n)
        {
            if (n < 0) return (_leafValue[~n] * leafRows[~n], leafRows[~n]);
            if (_left[n] == _right[n]) // the single-leaf tree
            {
                _nodeValue[n] = _leafValue[~_left[n]];
                return (_nodeValue[n] * leafRows[~_left[n]], leafRows[~_left[n]]);
            }
            var (ls, lr) = Walk(_left[n]);
            var (rs, rr) = Walk(_right[n]);
            long rows = lr + rr;
            double ValueOf(int child) => child >= 0 ? _nodeValue[child] : _leafValue[~child];
            _nodeValue[n] = rows > 0 ? (ls + rs) / rows : (ValueOf(_left[n]) + ValueOf(_right[n])) / 2;
            return (ls + rs, rows);
        }
        foreach (int root in _roots) Walk(root);
    }
}

/// <summary>A <see cref="TreeEnsemble"/> as plain arrays (left/right: a node index, or ~leaf).</summary>
public sealed record TreeEnsembleData(int[] Roots, int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] NodeValue, double[] LeafValue,
    double Bias, int Features);
