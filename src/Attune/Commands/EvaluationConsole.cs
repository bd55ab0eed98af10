using System.Diagnostics;
using System.Globalization;
using Attune.Algorithms;
using Attune.Evaluation.Datasets;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Running;
using Attune.Evaluation.Tuning;
using Spectre.Console;

namespace Attune.Cli.Commands;

/// <summary>What <c>attune evaluate</c> and <c>attune tune</c> share: loading, running with progress, printing, error handling.</summary>
internal static class EvaluationConsole
{
    /// <summary>Runs <paramref name="body"/>, turning bad input (unknown model, unreadable dataset, …) into one line and exit code 2.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException
                                      or FormatException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"attune: {e.Message}");
            return 2;
        }
    }

    public static Dataset Load(string path)
    {
        var clock = Stopwatch.StartNew();
        var dataset = DatasetLoader.Load(path);
        Console.WriteLine($"Dataset {dataset} read in {clock.Elapsed.TotalSeconds:F2} s");
        if (dataset.CategorySource is not null) Console.WriteLine($"  item categories from {dataset.CategorySource}");
        return dataset;
    }

    public static Task<EvaluationResult> RunAsync(EvaluationSplit split, IRecommenderTrainer trainer, string model,
        ModelParameters parameters, string dataset, int threads, CancellationToken ct) =>
        ProgressReporter.RunAsync($"Evaluating {model} ({split.Protocol}, {(split.IsValidation ? "validation" : "test")})",
            split.Cases.Count, "cases",
            progress => Task.Run(() => Evaluator.Run(split, trainer, model, parameters, dataset, threads, progress, ct), ct));

    public static Task<TuningResult> TuneAsync(EvaluationSplit validation, ModelDescriptor model, TuneOptions options, CancellationToken ct)
    {
        Console.WriteLine($"Tuning {model.Name} for {options.Budget.TotalSeconds:F0} s on the validation split: {validation.Description}");
        var report = new TuneOptions
        {
            Budget = options.Budget,
            Metric = options.Metric,
            Seed = options.Seed,
            MaxTrials = options.MaxTrials,
            Threads = options.Threads,
            Progress = new LineProgress<TrialResult>(t => Console.WriteLine(
                $"  trial {t.Number,3} {t.Phase,-8} {Format(t.Value),9}  {Describe(t.Parameters)}  ({t.Seconds:F1} s)")),
        };
        return Task.Run(() => Tuner.Run(validation, model, report, ct), ct);
    }

    /// <summary><c>--model best</c>: the model search on the validation split, each trial printed as it ends.</summary>
    public static Task<ModelSearchResult> SearchAsync(EvaluationSplit validation, TuneOptions options, CancellationToken ct)
    {
        Console.WriteLine($"Choosing a model for {options.Budget.TotalSeconds:F0} s on the validation split: {validation.Description}");
        var progress = new LineProgress<SearchTrial>(t => Console.WriteLine(
            $"  trial {t.Number,3} {t.Candidate.Origin,-9} {(t.Skipped is not null ? "skipped" : t.Stopped is not null ? "stopped" : double.IsNaN(t.Value) ? "failed" : Format(t.Value)),9}  {t.Candidate.Model} " +
            $"{Describe(t.Candidate.Parameters)}{(t.Candidate.Note is { } note ? $"  [{note}]" : "")}" +
            $"{(t.Stopped is { } why ? $"  [stopped early: {why}]" : "")}{(t.Skipped is { } skip ? $"  [not tried: {skip}]" : "")}  ({t.Seconds:F1} s)"));
        return Task.Run(() =>
        {
            var search = ModelSearch.Run(validation, options, progress, ct);
            Console.WriteLine($"Best on validation: {search.Metric} = {Format(search.Best.Value)} with {search.Best.Candidate.Model} " +
                $"{Describe(search.Best.Candidate.Parameters)} ({search.Trials.Count} trials in {search.Seconds:F0} s, " +
                $"{search.Trials.Count(t => t.Stopped is not null)} stopped early; best default: " +
                $"{search.BestDefault.Candidate.Model} {Format(search.BestDefault.Value)})");
            if (search.StepSetAside is { } aside)
                Console.WriteLine($"  (the steps' best, {Format(aside.Value)} with {aside.Candidate.Model} {Describe(aside.Candidate.Parameters)}, " +
                    "was not clearly better case by case than the configuration before the steps: set aside)");
            return search;
        }, ct);
    }

    public static void Print(EvaluationResult r)
    {
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in r.Metrics) table.AddRow(name, Format(value));
        table.AddRow("cases", r.Cases.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("trainSeconds", r.TrainSeconds.ToString("F2", CultureInfo.InvariantCulture));
        table.AddRow("scoreSeconds", r.ScoreSeconds.ToString("F2", CultureInfo.InvariantCulture));
        table.AddRow("scoreMsPerCase", r.ScoreMsPerCase.ToString("F3", CultureInfo.InvariantCulture));
        table.AddRow("peakMemoryMB", r.PeakMemoryMB.ToString("F0", CultureInfo.InvariantCulture));
        Console.WriteLine($"{r.Model} {Describe(r.Parameters)} on {r.Dataset}, protocol {r.Protocol}, {r.Split} split:");
        AnsiConsole.Write(table);
        foreach (string note in r.Notes) Console.WriteLine($"  {note}");
    }

    public static string Describe(IReadOnlyDictionary<string, string> parameters) =>
        parameters.Count == 0 ? "(defaults)" : string.Join(" ", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    private static string Format(double v) => v.ToString(Math.Abs(v) >= 10 ? "F2" : "F4", CultureInfo.InvariantCulture);

    /// <summary>Calls back on the reporting thread (no synchronisation context hop), so lines appear in order.</summary>
    private sealed class LineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
