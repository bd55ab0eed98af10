using System.Diagnostics;
using Attune.Algorithms;
using Attune.Evaluation.Datasets;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Running;

namespace Attune.Evaluation.Tuning;

/// <summary>
/// Hyper-parameter search on the validation split only (<see cref="IEvaluationProtocol.CarveValidation"/>: the test part is
/// dropped before anything is trained or scored). Trial 1 uses the model's defaults. Until half the budget is spent, trials draw
/// uniformly from the search space (log-uniform where <see cref="ParameterRange.LogScale"/>); after that, four trials in five
/// step from the best set so far with a width shrinking from 0.25 to 0.05 of each range, and one in five still draws at random.
/// A parameter set already tried is not tried again. A model with an empty search space gets the one default trial.
/// </summary>
public static class Tuner
{
    private const int MaxRedraws = 50;

    public static TuningResult Run(Dataset dataset, IEvaluationProtocol protocol, ModelDescriptor model, TuneOptions options,
        CancellationToken cancellationToken = default) =>
        Run(protocol.CreateSplit(dataset, validation: true), model, options, cancellationToken);

    public static TuningResult Run(EvaluationSplit validation, ModelDescriptor model, TuneOptions options,
        CancellationToken cancellationToken = default)
    {
        if (!validation.IsValidation) throw new ArgumentException("tuning must run on a validation split", nameof(validation));
        string metric = (options.Metric ?? EvaluationProtocols.Get(validation.Protocol).DefaultMetric).ToLowerInvariant();
        var known = validation.Metrics.Names.Concat(Metrics.BeyondAccuracy.Names).ToList();
        if (!known.Contains(metric))
            throw new ArgumentException($"protocol '{validation.Protocol}' reports no metric '{metric}'; it reports {string.Join(", ", known)}");

        var clock = Stopwatch.StartNew();
        var sampler = new ParameterSampler(model.SearchSpace, options.Seed);
        var trials = new List<TrialResult>();
        var tried = new HashSet<string>(StringComparer.Ordinal);
        TrialResult? best = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Budget);

        while (trials.Count < options.MaxTrials)
        {
            bool first = trials.Count == 0;
            if (!first && (deadline.IsCancellationRequested || model.SearchSpace.Count == 0)) break;
            var (parameters, phase) = first ? (new Dictionary<string, string>(), "defaults") : Next(sampler, best!, clock.Elapsed, options.Budget);
            if (!tried.Add(Key(parameters)))
            {
                if (!Redraw(sampler, tried, ref parameters)) break;  // the space looks exhausted
                phase = "random";
            }
            var trialClock = Stopwatch.StartNew();
            double value;
            try
            {
                var p = new ModelParameters(parameters);
                var trainer = model.CreateTrainer(p);
                p.ThrowIfUnused(model.Name);
                var result = Evaluator.Run(validation, trainer, model.Name, p, "validation", options.Threads, null,
                    first ? cancellationToken : deadline.Token);
                value = result.Metrics[metric];
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;  // the budget ran out inside this trial
            }
            var trial = new TrialResult(trials.Count + 1, parameters, value, trialClock.Elapsed.TotalSeconds, phase);
            trials.Add(trial);
            options.Progress?.Report(trial);
            if (best is null || value > best.Value) best = trial;
        }

        return new TuningResult
        {
            Model = model.Name,
            Protocol = validation.Protocol,
            Metric = metric,
            BestParameters = best!.Parameters,
            BestValue = best.Value,
            Trials = trials,
            Seconds = clock.Elapsed.TotalSeconds,
            Validation = validation.Description,
        };
    }

    private static (Dictionary<string, string>, string) Next(ParameterSampler sampler, TrialResult best, TimeSpan elapsed, TimeSpan budget)
    {
        double progress = budget > TimeSpan.Zero ? elapsed / budget : 1;
        if (progress < 0.5 || sampler.NextUnit() < 0.2) return (sampler.Random(), "random");
        double width = 0.25 - 0.2 * Math.Clamp((progress - 0.5) * 2, 0, 1);
        return (sampler.Around(best.Parameters, width), "refine");
    }

    private static bool Redraw(ParameterSampler sampler, HashSet<string> tried, ref Dictionary<string, string> parameters)
    {
        for (int k = 0; k < MaxRedraws; k++)
        {
            var p = sampler.Random();
            if (!tried.Add(Key(p))) continue;
            parameters = p;
            return true;
        }
        return false;
    }

    private static string Key(IReadOnlyDictionary<string, string> p) => ParameterSampler.Canonical(p);
}
