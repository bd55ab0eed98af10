using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Attune.Predictions.Propensity;

/// <summary>Gradient-boosted trees settings (LightGBM): product defaults, not tuned per dataset.</summary>
public sealed record BoostingSettings
{
    public int Iterations { get; init; } = 400;
    public double LearningRate { get; init; } = 0.03;
    public int Leaves { get; init; } = 16;
    public int MinimumPerLeaf { get; init; } = 20;
    public double FeatureFraction { get; init; } = 0.8;
    public double L2 { get; init; } = 1;
    /// <summary>The share of rows each tree sees (LightGBM's bagging; 1 = all).</summary>
    public double Subsample { get; init; } = 1;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// A binary classifier of gradient-boosted trees (ML.NET's LightGBM trainer) whose raw scores a calibrator turns into
/// probabilities: Platt or isotonic, whichever has the lower log loss on out-of-fold scores of the training data (a 5-fold
/// cross-fit), then fitted on all of them.
/// </summary>
public sealed class GradientBoostedClassifier
{
    private readonly MLContext? _ml;
    private readonly ITransformer[] _models; // none when restored from a stored copy: scores come from the trees then

    private GradientBoostedClassifier(MLContext? ml, ITransformer[] models, ICalibrator calibrator, IReadOnlyList<BoostingSettings> settings,
        TreeEnsemble trees)
    {
        _ml = ml;
        _models = models;
        Calibrator = calibrator;
        Settings = settings;
        Trees = trees;
    }

    public ICalibrator Calibrator { get; }

    /// <summary>The trained trees (all models averaged) for scoring one row at a time and explaining it.</summary>
    public TreeEnsemble Trees { get; }

    /// <summary>The calibrated probability of one row, scored by <see cref="Trees"/>.</summary>
    public double Probability(ReadOnlySpan<float> row) => Calibrator.Probability(Trees.Score(row));

    /// <summary>The settings of the averaged models (<see cref="Candidates"/>, or the one given).</summary>
    public IReadOnlyList<BoostingSettings> Settings { get; }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private static IDataView View(MLContext ml, TabularData data)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.FeatureNames.Length);
        return ml.Data.LoadFromEnumerable(data.Rows.Select((r, i) => new Row { Features = r, Label = data.Labels[i] }), schema);
    }

    private static ITransformer Train(MLContext ml, TabularData data, BoostingSettings s) =>
        ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            NumberOfIterations = s.Iterations,
            LearningRate = s.LearningRate,
            NumberOfLeaves = s.Leaves,
            MinimumExampleCountPerLeaf = s.MinimumPerLeaf,
            Booster = new GradientBooster.Options
            {
                FeatureFraction = s.FeatureFraction,
                L2Regularization = s.L2,
                SubsampleFraction = s.Subsample,
                SubsampleFrequency = s.Subsample < 1 ? 1 : 0,
            },
            Seed = s.Seed,
            Silent = true,
        }).Fit(View(ml, data));

    /// <summary>The mean of the models' raw scores (log-odds margins) of each row.</summary>
    private static double[] RawScores(MLContext ml, IReadOnlyList<ITransformer> models, TabularData data)
    {
        var sum = new double[data.Count];
        var view = View(ml, data);
        foreach (var model in models)
        {
            int i = 0;
            foreach (float x in model.Transform(view).GetColumn<float>("Score")) sum[i++] += x;
        }
        for (int i = 0; i < sum.Length; i++) sum[i] /= models.Count;
        return sum;
    }

    /// <summary>Raw (uncalibrated) scores of <paramref name="data"/>.</summary>
    public double[] Scores(TabularData data)
    {
        if (_ml is not null && _models.Length > 0) return RawScores(_ml, _models, data);
        var scores = new double[data.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = Trees.Score(data.Rows[i]);
        return scores;
    }

    /// <summary>A classifier from its stored parts (<see cref="PropensityBundle"/>): scored by its trees alone.</summary>
    public static GradientBoostedClassifier Restore(TreeEnsemble trees, ICalibrator calibrator, IReadOnlyList<BoostingSettings> settings) =>
        new(null, [], calibrator, settings, trees);

    /// <summary>Calibrated probabilities of <paramref name="data"/>.</summary>
    public double[] Probabilities(TabularData data) => [.. Scores(data).Select(Calibrator.Probability)];

    /// <summary>The settings <see cref="Fit"/> averages when none are given: the product default, a slower-learning one of
    /// smaller trees that each see half the features, and a more strongly regularized one. Averaging differently biased
    /// models is steadier than choosing one of them per dataset; no setting is picked by hand for a dataset.</summary>
    public static IReadOnlyList<BoostingSettings> Candidates { get; } =
    [
        new BoostingSettings(),
        new BoostingSettings { Iterations = 1200, LearningRate = 0.01, Leaves = 8, MinimumPerLeaf = 50, FeatureFraction = 0.5 },
        new BoostingSettings { Iterations = 800, LearningRate = 0.02, MinimumPerLeaf = 30, L2 = 10 },
    ];

    /// <summary>
    /// Trains on <paramref name="data"/> the average of <see cref="Candidates"/> (or the one <paramref name="settings"/> given),
    /// and a calibrator for it: Platt or isotonic, whichever has the lower log loss, judged on the out-of-fold scores of a
    /// <paramref name="calibrationFolds"/>-fold cross-fit on the training data only.
    /// </summary>
    public static GradientBoostedClassifier Fit(TabularData data, BoostingSettings? settings = null, int seed = 42, int calibrationFolds = 5)
    {
        var ml = new MLContext(seed);
        IReadOnlyList<BoostingSettings> chosen = settings is null ? [.. Candidates.Select(c => c with { Seed = seed })] : [settings with { Seed = seed }];
        var oof = new double[data.Count];
        foreach (var fold in data.StratifiedFolds(calibrationFolds, seed + 1))
        {
            var inFold = new HashSet<int>(fold);
            var train = data.Subset([.. Enumerable.Range(0, data.Count).Where(i => !inFold.Contains(i))]);
            var models = chosen.Select(s => Train(ml, train, s)).ToArray();
            var scores = RawScores(ml, models, data.Subset(fold));
            for (int k = 0; k < fold.Length; k++) oof[fold[k]] = scores[k];
        }
        // Platt or isotonic: chosen on the out-of-fold scores by a second split (fit on half, judged on the other, both ways).
        double Judge(Func<double[], bool[], ICalibrator> fit)
        {
            var halves = data.StratifiedFolds(2, seed + 2);
            double loss = 0;
            for (int h = 0; h < 2; h++)
            {
                var a = halves[h];
                var b = halves[1 - h];
                var c = fit([.. a.Select(i => oof[i])], [.. a.Select(i => data.Labels[i])]);
                loss += ClassifierMetrics.LogLoss([.. b.Select(i => c.Probability(oof[i]))], [.. b.Select(i => data.Labels[i])]);
            }
            return loss;
        }
        double plattLoss = Judge((x, y) => PlattCalibrator.Fit(x, y)), isotonicLoss = Judge((x, y) => IsotonicCalibrator.Fit(x, y));
        ICalibrator calibrator = isotonicLoss < plattLoss ? IsotonicCalibrator.Fit(oof, data.Labels) : PlattCalibrator.Fit(oof, data.Labels);
        ITransformer[] final = [.. chosen.Select(s => Train(ml, data, s))];
        return new GradientBoostedClassifier(ml, final, calibrator, chosen, TreeEnsemble.From(final, data));
    }
}
