namespace Attune.Predictions.Propensity;

/// <summary>One fold's scores on its held-out rows.</summary>
public sealed record FoldResult(int Fold, int Rows, double RocAuc, double PrAuc, double Ece, string Calibration);

/// <summary>A cross-validated evaluation: the mean of each measure over the folds, and the folds.</summary>
public sealed record CrossValidationResult(double RocAuc, double PrAuc, double Ece, IReadOnlyList<FoldResult> Folds);

/// <summary>Stratified k-fold cross-validation of <see cref="GradientBoostedClassifier"/> (the propensity benchmark's protocol).</summary>
public static class CrossValidation
{
    public static CrossValidationResult Run(TabularData data, int folds = 5, int seed = 42, BoostingSettings? settings = null, Action<FoldResult>? progress = null)
    {
        var results = new List<FoldResult>();
        var split = data.StratifiedFolds(folds, seed);
        for (int f = 0; f < split.Length; f++)
        {
            var test = split[f];
            var inTest = new HashSet<int>(test);
            var train = data.Subset([.. Enumerable.Range(0, data.Count).Where(i => !inTest.Contains(i))]);
            var held = data.Subset(test);
            var model = GradientBoostedClassifier.Fit(train, settings, seed);
            var scores = model.Scores(held);
            var probabilities = scores.Select(model.Calibrator.Probability).ToArray();
            var result = new FoldResult(f + 1, test.Length, ClassifierMetrics.RocAuc(scores, held.Labels),
                ClassifierMetrics.AveragePrecision(probabilities, held.Labels), ClassifierMetrics.ExpectedCalibrationError(probabilities, held.Labels),
                $"{model.Calibrator.Name}; " + string.Join(" + ", model.Settings.Select(s => $"{s.Iterations} trees × {s.Leaves} leaves at {s.LearningRate}")));
            progress?.Invoke(result);
            results.Add(result);
        }
        return new CrossValidationResult(results.Average(r => r.RocAuc), results.Average(r => r.PrAuc), results.Average(r => r.Ece), results);
    }
}
