namespace Attune.Predictions.Propensity;

/// <summary>Settings of the store's propensity models (product defaults).</summary>
public sealed record PropensitySettings
{
    /// <summary>Churn means no activity in this many days.</summary>
    public int ChurnDays { get; init; } = 30;
    /// <summary>Training rows per model at most (a seeded sample of people when there are more).</summary>
    public int MaxTrainingRows { get; init; } = 150_000;
    /// <summary>Past windows stacked into a training set at most (each a cutoff one horizon before the next).</summary>
    public int MaxSnapshots { get; init; } = 4;
    /// <summary>Held-out rows at most.</summary>
    public int MaxTestRows { get; init; } = 150_000;
    public BoostingSettings Boosting { get; init; } = new();
    public int CalibrationFolds { get; init; } = 3;
    public int Seed { get; init; } = 42;
}

/// <summary>How a model did on the window after its training data (the time-split evaluation), with the RFM baseline's figures.</summary>
public sealed record PropensityEvaluation(
    string Target, string Description, int HorizonDays, DateTimeOffset TestFrom, DateTimeOffset TestTo, int TrainingRows, int TestRows,
    double PositiveRate, double RocAuc, double PrAuc, double CalibrationError, double BaselineRocAuc, double BaselinePrAuc, string Calibration,
    IReadOnlyList<LiftDecile> Lift, IReadOnlyList<FeatureImportance> TopFeatures);

/// <summary>One tenth of the held-out people ranked by the model: their rate of the outcome over the overall rate, and the
/// share of all outcomes in this and the higher deciles.</summary>
public sealed record LiftDecile(int Decile, double Rate, double Lift, double CumulativeCapture);

/// <summary>A feature's mean absolute contribution to held-out scores (log-odds).</summary>
public sealed record FeatureImportance(string Feature, double MeanAbsoluteContribution);

/// <summary>A trained model of one target: its classifier (trees + calibration) and its evaluation.</summary>
public sealed record PropensityModel(PropensityTarget Target, GradientBoostedClassifier Classifier, PropensityEvaluation Evaluation);

/// <summary>
/// Trains the propensity models from everyone's history: per target, a time split (train on windows that end where the test
/// window starts, test on the newest complete window; RFM-only logistic regression trained the same way as the baseline),
/// then the served model, refitted on the newest complete windows.
/// </summary>
public static class PropensityTrainer
{
    private const long Day = 86_400_000;

    public static IReadOnlyList<PropensityModel> Train(PeopleActivity people, ItemFacts? items, long endMs, PropensitySettings? settings = null,
        IReadOnlyList<PropensityTarget>? targets = null, Action<string>? progress = null)
    {
        settings ??= new PropensitySettings();
        var models = new List<PropensityModel>();
        foreach (var target in targets ?? PropensityTarget.Defaults(settings.ChurnDays))
        {
            long h = target.HorizonDays * Day;
            long testCutoff = endMs - h;
            var trainCutoffs = Cutoffs(people, testCutoff - h, h, settings.MaxSnapshots);
            if (trainCutoffs.Length == 0) { progress?.Invoke($"{target.Name}: too little history (needs two windows of {target.HorizonDays} days)"); continue; }
            var train = Snapshot(people, items, target, trainCutoffs, settings.MaxTrainingRows, settings.Seed);
            var test = Snapshot(people, items, target, [testCutoff], settings.MaxTestRows, settings.Seed + 1);
            int trainPositives = train.Labels.Count(l => l), testPositives = test.Labels.Count(l => l);
            if (trainPositives < 10 || train.Count - trainPositives < 10 || testPositives < 1 || test.Count - testPositives < 1)
            {
                progress?.Invoke($"{target.Name}: too few outcomes ({trainPositives} of {train.Count} in training, {testPositives} of {test.Count} held out)");
                continue;
            }
            var evaluated = GradientBoostedClassifier.Fit(train, settings.Boosting, settings.Seed, settings.CalibrationFolds);
            var baseline = LogisticRegression.Fit(train, PersonFeatures.Rfm);
            var evaluation = Evaluate(target, evaluated, baseline, test, testCutoff, h, train.Count);
            progress?.Invoke($"{target.Name}: ROC-AUC {evaluation.RocAuc:0.0000} (RFM baseline {evaluation.BaselineRocAuc:0.0000}), " +
                $"PR-AUC {evaluation.PrAuc:0.0000}, ECE {evaluation.CalibrationError:0.0000}; {train.Count:N0} training rows, {test.Count:N0} held out");
            // The served model: the same recipe on the newest complete windows (the held-out one included).
            var servedCutoffs = Cutoffs(people, testCutoff, h, settings.MaxSnapshots);
            var served = Snapshot(people, items, target, servedCutoffs, settings.MaxTrainingRows, settings.Seed + 2);
            var classifier = served.Labels.Count(l => l) >= 10 ? GradientBoostedClassifier.Fit(served, settings.Boosting, settings.Seed, settings.CalibrationFolds) : evaluated;
            models.Add(new PropensityModel(target, classifier, evaluation));
        }
        return models;
    }

    /// <summary>Up to <paramref name="count"/> cutoffs from <paramref name="newest"/> back by <paramref name="step"/>, each with a
    /// window of history before it.</summary>
    private static long[] Cutoffs(PeopleActivity people, long newest, long step, int count)
    {
        var cutoffs = new List<long>();
        for (long c = newest; cutoffs.Count < count && c - Math.Min(step, 7 * Day) >= people.FirstMs; c -= step) cutoffs.Add(c);
        return [.. cutoffs];
    }

    /// <summary>The eligible people's features at each cutoff with what happened next; sampled down to <paramref name="maxRows"/>.</summary>
    internal static TabularData Snapshot(PeopleActivity people, ItemFacts? items, PropensityTarget target, long[] cutoffs, int maxRows, int seed)
    {
        int n = people.People;
        // Sample people up front when the snapshot would be far larger than needed (eligibility thins it further).
        double keep = Math.Min(1, 2.0 * maxRows / Math.Max(1.0, (double)n * cutoffs.Length));
        int workers = Environment.ProcessorCount;
        var parts = new (List<float[]> Rows, List<bool> Labels)[workers];
        Parallel.For(0, workers, worker =>
        {
            var scratch = new PersonFeatures.Scratch();
            var rows = new List<float[]>();
            var labels = new List<bool>();
            for (int p = worker; p < n; p += workers)
            {
                var history = people.Of(p);
                foreach (long c in cutoffs)
                {
                    if (history.Length == 0 || history[0].Ms >= c) continue;
                    if (keep < 1 && Unit(seed, p, c) >= keep) continue;
                    var f = new float[PersonFeatures.Count];
                    PersonFeatures.Extract(history, c, items, scratch, f);
                    if (!target.Eligible(f)) continue;
                    rows.Add(f);
                    labels.Add(target.Label(history, c));
                }
            }
            parts[worker] = (rows, labels);
        });
        var allRows = new List<float[]>();
        var allLabels = new List<bool>();
        foreach (var (rows, labels) in parts) { allRows.AddRange(rows); allLabels.AddRange(labels); }
        var data = new TabularData { FeatureNames = [.. PersonFeatures.All.Select(a => a.Name)], Rows = [.. allRows], Labels = [.. allLabels] };
        if (data.Count <= maxRows) return data;
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(seed).Shuffle(order);
        return data.Subset([.. order.Take(maxRows).Order()]);
    }

    private static double Unit(int seed, int person, long cutoff) =>
        (HashCode.Combine(seed, person, cutoff) & 0x7FFFFFFF) / (double)int.MaxValue;

    private static PropensityEvaluation Evaluate(PropensityTarget target, GradientBoostedClassifier model, LogisticRegression baseline, TabularData test,
        long testCutoff, long horizon, int trainingRows)
    {
        var probabilities = new double[test.Count];
        var scores = new double[test.Count];
        var baselineP = new double[test.Count];
        var importance = new double[PersonFeatures.Count];
        var contributions = new double[PersonFeatures.Count];
        int explained = Math.Min(test.Count, 5000);
        for (int i = 0; i < test.Count; i++)
        {
            scores[i] = model.Trees.Score(test.Rows[i]);
            probabilities[i] = model.Calibrator.Probability(scores[i]);
            baselineP[i] = baseline.Probability(test.Rows[i]);
            if (i * (long)explained / test.Count != (i + 1L) * explained / test.Count)
            {
                Array.Clear(contributions);
                model.Trees.Contributions(test.Rows[i], contributions);
                for (int f = 0; f < contributions.Length; f++) importance[f] += Math.Abs(contributions[f]) / explained;
            }
        }
        double positives = test.Labels.Count(l => l), rate = positives / test.Count;
        var order = Enumerable.Range(0, test.Count).OrderByDescending(i => probabilities[i]).ToArray();
        var lift = new List<LiftDecile>();
        double captured = 0;
        for (int d = 0; d < 10; d++)
        {
            int from = d * test.Count / 10, to = (d + 1) * test.Count / 10;
            int hits = 0;
            for (int k = from; k < to; k++) if (test.Labels[order[k]]) hits++;
            captured += hits;
            double decileRate = to > from ? hits / (double)(to - from) : 0;
            lift.Add(new LiftDecile(d + 1, decileRate, rate > 0 ? decileRate / rate : 0, positives > 0 ? captured / positives : 0));
        }
        var top = importance.Select((v, f) => new FeatureImportance(PersonFeatures.All[f].Name, v)).OrderByDescending(x => x.MeanAbsoluteContribution).Take(8).ToArray();
        return new PropensityEvaluation(target.Name, target.Description, target.HorizonDays, DateTimeOffset.FromUnixTimeMilliseconds(testCutoff),
            DateTimeOffset.FromUnixTimeMilliseconds(testCutoff + horizon), trainingRows, test.Count, rate,
            ClassifierMetrics.RocAuc(scores, test.Labels), ClassifierMetrics.AveragePrecision(probabilities, test.Labels),
            ClassifierMetrics.ExpectedCalibrationError(probabilities, test.Labels), ClassifierMetrics.RocAuc(baselineP, test.Labels),
            ClassifierMetrics.AveragePrecision(baselineP, test.Labels), model.Calibrator.Name, lift, top);
    }
}
