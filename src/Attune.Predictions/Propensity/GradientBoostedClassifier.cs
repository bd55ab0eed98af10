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
    public int Seed { get; init; } = 42;
}

/// <summary>
/// A binary classifier of gradient-boosted trees (ML.NET's LightGBM trainer) whose raw scores a calibrator turns into
/// probabilities: Platt or isotonic, whichever has the lower log loss on out-of-fold scores of the training data (a 5-fold
/// cross-fit), then fitted on all of them.
/// </summary>
public sealed class GradientBoostedClassifier
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;

    private GradientBoostedClassifier(MLContext ml, ITransformer model, ICalibrator calibrator)
    {
        _ml = ml;
        _model = model;
        Calibrator = calibrator;
    }

    public ICalibrator Calibrator { get; }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class Scored
    {
        public float Score { get; set; }
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
            Booster = new GradientBooster.Options { FeatureFraction = s.FeatureFraction, L2Regularization = s.L2 },
            Seed = s.Seed,
            Silent = true,
        }).Fit(View(ml, data));

    private static double[] RawScores(MLContext ml, ITransformer model, TabularData data)
    {
        var scored = model.Transform(View(ml, data));
        return [.. scored.GetColumn<float>("Score").Select(x => (double)x)];
    }

    /// <summary>Raw (uncalibrated) scores of <paramref name="data"/>.</summary>
    public double[] Scores(TabularData data) => RawScores(_ml, _model, data);

    /// <summary>Calibrated probabilities of <paramref name="data"/>.</summary>
    public double[] Probabilities(TabularData data) => [.. Scores(data).Select(Calibrator.Probability)];

    /// <summary>The settings <see cref="Fit"/> chooses among when none are given: the product default, a more regularized
    /// one (smaller trees, larger leaves) and a slower-learning one; chosen per dataset on out-of-fold ROC-AUC of the training data.</summary>
    public static IReadOnlyList<BoostingSettings> Candidates { get; } =
    [
        new BoostingSettings(),
        new BoostingSettings { Iterations = 300, Leaves = 8, MinimumPerLeaf = 40 },
        new BoostingSettings { Iterations = 800, LearningRate = 0.015 },
    ];

    /// <summary>The settings chosen (of <see cref="Candidates"/>, or the ones given).</summary>
    public BoostingSettings Settings { get; private init; } = new();

    /// <summary>
    /// Trains on <paramref name="data"/>: with <paramref name="settings"/>, or else the best of <see cref="Candidates"/> by the
    /// ROC-AUC of out-of-fold scores (a 5-fold cross-fit on the training data only), whose out-of-fold scores also fit the
    /// calibrator.
    /// </summary>
    public static GradientBoostedClassifier Fit(TabularData data, BoostingSettings? settings = null, int seed = 42)
    {
        var ml = new MLContext(seed);
        var inner = data.StratifiedFolds(5, seed + 1);
        double[] OutOfFold(BoostingSettings s)
        {
            var oof = new double[data.Count];
            foreach (var fold in inner)
            {
                var inFold = new HashSet<int>(fold);
                var train = data.Subset([.. Enumerable.Range(0, data.Count).Where(i => !inFold.Contains(i))]);
                var model = Train(ml, train, s);
                var scores = RawScores(ml, model, data.Subset(fold));
                for (int k = 0; k < fold.Length; k++) oof[fold[k]] = scores[k];
            }
            return oof;
        }
        BoostingSettings chosen = settings ?? Candidates[0];
        double[] oofScores = [];
        double bestAuc = double.NegativeInfinity;
        foreach (var candidate in settings is null ? Candidates : [settings])
        {
            var scores = OutOfFold(candidate with { Seed = seed });
            double auc = ClassifierMetrics.RocAuc(scores, data.Labels);
            if (auc > bestAuc + 1e-12)
            {
                (bestAuc, chosen, oofScores) = (auc, candidate with { Seed = seed }, scores);
            }
        }
        var oof = oofScores;
        ICalibrator platt = PlattCalibrator.Fit(oof, data.Labels), isotonic = IsotonicCalibrator.Fit(oof, data.Labels);
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
        var final = Train(ml, data, chosen);
        return new GradientBoostedClassifier(ml, final, isotonicLoss < plattLoss ? isotonic : platt) { Settings = chosen };
    }
}
