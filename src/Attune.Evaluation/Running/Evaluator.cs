using System.Diagnostics;
using Attune.Algorithms;
using Attune.Evaluation.Metrics;
using Attune.Evaluation.Protocols;

namespace Attune.Evaluation.Running;

/// <summary>Trains a model on a split's training part and scores it on the split's cases, timing both.</summary>
public static class Evaluator
{
    public static EvaluationResult Run(EvaluationSplit split, IRecommenderTrainer trainer, string model, ModelParameters parameters,
        string dataset, int threads = 0, IProgress<long>? progress = null, CancellationToken cancellationToken = default,
        TrialScoring? scoring = null)
    {
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        var training = split.Training;
        if (training.Threads != threads) training = new Algorithms.Data.TrainingData
        {
            Interactions = training.Interactions,
            Sequences = training.Sequences,
            Content = training.Content,
            Task = training.Task,
            Seed = training.Seed,
            Threads = threads,
        };
        var clock = Stopwatch.StartNew();
        var recommender = trainer.Fit(training, cancellationToken);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var metrics = RankingRunner.Run(recommender, split, threads, progress, cancellationToken, scoring);
        double scoreSeconds = clock.Elapsed.TotalSeconds;
        return new EvaluationResult
        {
            Protocol = split.Protocol,
            Model = model,
            Parameters = new Dictionary<string, string>(parameters.Values),
            Dataset = dataset,
            Split = split.IsValidation ? "validation" : "test",
            Metrics = metrics,
            Cases = split.Cases.Count,
            TrainSeconds = trainSeconds,
            ScoreSeconds = scoreSeconds,
            PeakMemoryMB = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0,
            Threads = threads,
            Notes = [split.Description, $"diversity@10 over {BeyondAccuracy.DiversityBasis(split.ItemCategories, training.Items)}", "novelty@10 = mean self-information (bits)"],
        };
    }
}
