using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Attune.Predictions.Propensity;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune propensity evaluate --dataset DIR --json OUT</c>: the purchase-propensity model family (gradient-boosted trees,
/// calibrated) under the dataset's protocol (stratified 5-fold, seed 42): mean ROC-AUC, PR-AUC and expected calibration error.
/// </summary>
internal static class PropensityCommand
{
    public static Command Create()
    {
        var dataset = new Option<DirectoryInfo>("--dataset") { Description = "A folder with online_shoppers_intention.csv (or --file)", Required = true };
        var label = new Option<string>("--label") { Description = "The label column (TRUE/FALSE)", DefaultValueFactory = _ => "Revenue" };
        var file = new Option<string>("--file") { Description = "The CSV inside the folder", DefaultValueFactory = _ => "online_shoppers_intention.csv" };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "The shuffle's seed", DefaultValueFactory = _ => 42 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the result to this file" };
        var evaluate = new Command("evaluate", "Cross-validate the propensity model on a labelled CSV: ROC-AUC, PR-AUC, calibration error")
        {
            dataset, label, file, folds, seed, json,
        };
        evaluate.SetAction(result =>
        {
            try
            {
                string path = Path.Combine(result.GetValue(dataset)!.FullName, result.GetValue(file)!);
                int k = result.GetValue(folds);
                if (k < 2) throw new FormatException("--folds: at least 2");
                var data = TabularData.ReadCsv(path, result.GetValue(label)!);
                Console.WriteLine($"{data.Count:N0} rows, {data.FeatureNames.Length} features, {data.Labels.Count(l => l) / (double)data.Count:P2} positive; " +
                    $"stratified {k}-fold, seed {result.GetValue(seed)}");
                var cv = CrossValidation.Run(data, k, result.GetValue(seed), progress: f =>
                    Console.WriteLine($"  fold {f.Fold}: ROC-AUC {f.RocAuc:0.0000}, PR-AUC {f.PrAuc:0.0000}, ECE {f.Ece:0.0000} ({f.Calibration})"));
                Console.WriteLine($"mean: ROC-AUC {cv.RocAuc:0.0000}, PR-AUC {cv.PrAuc:0.0000}, ECE {cv.Ece:0.0000}");
                if (result.GetValue(json) is { } target)
                {
                    File.WriteAllText(target.FullName, JsonSerializer.Serialize(new
                    {
                        model = "gradient-boosted trees (LightGBM), calibrated",
                        rocAuc = cv.RocAuc,
                        prAuc = cv.PrAuc,
                        ece = cv.Ece,
                        folds = cv.Folds,
                    }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
                    Console.WriteLine($"Wrote {target.FullName}");
                }
                return 0;
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException && e.InnerException is DllNotFoundException)
            {
                Console.Error.WriteLine("attune: LightGBM's native library could not load: it needs GCC's OpenMP runtime (Debian: apt-get install libgomp1)");
                return 1;
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"attune: {e.Message}");
                return StatsAnalyzeCommand.ExitBadInput;
            }
        });
        return new Command("propensity", "Propensity models (docs/predictions.md)") { evaluate, CreateTrain() };
    }

    /// <summary>
    /// <c>attune propensity train --data DIR [--json OUT]</c>: the store's propensity models (purchase in 7 and 30 days, churn,
    /// cart → purchase) trained on a data folder's history with their time-split evaluation against the RFM-only baseline, as
    /// the server does; nothing is written to the store.
    /// </summary>
    private static Command CreateTrain()
    {
        var data = CommonOptions.Data();
        var churn = new Option<int>("--churn-days") { Description = "Churn means no activity in this many days", DefaultValueFactory = _ => 30 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the evaluation to this file" };
        var train = new Command("train", "Train the store's propensity models on a data folder and report their time-split evaluation") { data, churn, json };
        train.SetAction(async (result, ct) =>
        {
            await using var store = CommonOptions.OpenStore(result.GetValue(data)!, "propensity train", out int exitCode);
            if (store is null) return exitCode;
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var (people, items) = await Attune.Server.Hosting.PropensityData.LoadAsync(store, new ActivityCodes(), ct);
                double readSeconds = started.Elapsed.TotalSeconds;
                Console.WriteLine($"{people.People:N0} people, {people.Events.Length:N0} events read in {readSeconds:0.0} s");
                if (people.People == 0) { Console.Error.WriteLine("attune: the store has no events"); return 1; }
                var training = System.Diagnostics.Stopwatch.StartNew();
                var models = PropensityTrainer.Train(people, items, people.LastMs + 1, new PropensitySettings { ChurnDays = result.GetValue(churn) },
                    progress: Console.WriteLine);
                double trainSeconds = training.Elapsed.TotalSeconds;
                // Scoring everyone as the server does after a training (features at the end of the data, every model).
                var scoring = System.Diagnostics.Stopwatch.StartNew();
                int scored = 0;
                PersonScoring.ScoreAll(people, new PropensityScorer(models, 1, TimeProvider.System.GetUtcNow()), items, null, people.LastMs + 1,
                    _ => Interlocked.Increment(ref scored));
                double scoreSeconds = scoring.Elapsed.TotalSeconds;
                Console.WriteLine($"trained in {trainSeconds:0.0} s; scored all {scored:N0} people in {scoreSeconds:0.0} s");
                foreach (var m in models)
                    Console.WriteLine($"  {m.Target.Name}: lift by decile {string.Join(" ", m.Evaluation.Lift.Select(l => l.Lift.ToString("0.00", CultureInfo.InvariantCulture)))}; " +
                        $"strongest features {string.Join(", ", m.Evaluation.TopFeatures.Take(4).Select(f => f.Feature))}");
                if (result.GetValue(json) is { } target)
                {
                    File.WriteAllText(target.FullName, JsonSerializer.Serialize(new
                    {
                        people = people.People,
                        events = people.Events.Length,
                        seconds = started.Elapsed.TotalSeconds,
                        readSeconds,
                        trainSeconds,
                        scoreSeconds,
                        models = models.Select(m => m.Evaluation),
                    }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
                    Console.WriteLine($"Wrote {target.FullName}");
                }
                return models.Count > 0 ? 0 : 1;
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException && e.InnerException is DllNotFoundException)
            {
                Console.Error.WriteLine("attune: LightGBM's native library could not load: it needs GCC's OpenMP runtime (Debian: apt-get install libgomp1)");
                return 1;
            }
        });
        return train;
    }
}
