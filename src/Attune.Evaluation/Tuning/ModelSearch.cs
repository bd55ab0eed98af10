using System.Diagnostics;
using Attune.Algorithms;
using Attune.Algorithms.Data;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Running;

namespace Attune.Evaluation.Tuning;

/// <summary>
/// <c>--model best</c>: model selection and tuning on the validation split only. In order: (1) every single model's defaults
/// for the kind of question (<see cref="ModelPortfolio.Defaults"/>), always, whatever the budget: the answer is never worse
/// on validation than the best of them; (2) the portfolio of configurations that did well on the shared benchmarks, while the
/// budget lasts; (3) steps around the best so far in its model's search space (four in five; one in five a random draw from
/// it), narrowing with the number of steps; (4) blends (the hybrid) of the best with each of the two best other models, the
/// better chosen unless it is worse on validation by more than <see cref="BlendTolerance"/> or worse than the best default;
/// the search leaves time in the budget for them (twice their components' trial times). Otherwise the best on validation
/// wins (the earlier on a tie).
/// </summary>
/// <remarks>
/// Deterministic for a fixed seed and thread count: what is tried next depends on the seed, the trial number and earlier
/// results, never on the clock; only how many trials fit in the budget (less the blends' time) does (<see cref="TuneOptions.MaxTrials"/>
/// with a budget to spare fixes it).
/// A trial after the defaults that runs longer than <see cref="SlowTrialFactor"/> × the slowest default (at least <see cref="MinTrialSeconds"/>, or <see cref="SlowTrialBudgetShare"/> of the budget when longer) is
/// stopped and counted as failed: the configurations that are slow to train are rarely the good ones, and one must not eat the budget.
/// </remarks>
public static class ModelSearch
{
    /// <summary>A trial may take this many times the slowest default's seconds (and at least <see cref="MinTrialSeconds"/>)
    /// before it is stopped: learned blends train ten times longer than a model's defaults and are often the best.</summary>
    public const double SlowTrialFactor = 10;

    /// <summary>
    /// A trial may also take this share of the budget, when that is longer: a model that is slow to train but may be the best
    /// (the neural one, a minute or two) gets its chance, and no single trial eats the budget.
    /// </summary>
    public const double SlowTrialBudgetShare = 0.4;

    /// <summary>The least time a trial is given before it may be stopped for being slow.</summary>
    public const double MinTrialSeconds = 30;

    public static ModelSearchResult Run(EvaluationSplit validation, TuneOptions options, IProgress<SearchTrial>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (!validation.IsValidation) throw new ArgumentException("model search must run on a validation split", nameof(validation));
        string metric = (options.Metric ?? EvaluationProtocols.Get(validation.Protocol).DefaultMetric).ToLowerInvariant();
        var task = validation.Training.Task == PredictionTask.Unknown
            ? validation.Training.Sequences is null ? PredictionTask.HeldOutSet : PredictionTask.NextItem
            : validation.Training.Task;
        var clock = Stopwatch.StartNew();
        var trials = new List<SearchTrial>();
        var tried = new HashSet<string>(StringComparer.Ordinal);
        SearchTrial? best = null;
        double slowestDefault = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Budget);
        // The final blends are trained within the budget: the search stops when what is left would not fit them (a blend
        // trains each component twice: on its inner split and on everything).
        double BlendReserve()
        {
            if (best is null) return 0;
            double seconds = 0;
            foreach (var partner in Partners(best, trials)) seconds += 2 * (best.Seconds + partner.Seconds);
            return seconds;
        }
        bool Stop() => trials.Count >= options.MaxTrials || deadline.IsCancellationRequested
            || clock.Elapsed.TotalSeconds + BlendReserve() >= options.Budget.TotalSeconds;

        // mandatory: runs whatever the budget (the defaults, the final blend); margin: how much better than the best a trial
        // must be to replace it (the search's own steps: the best of hundreds of noisy scores flatters itself).
        SearchTrial? Try(Candidate c, bool mandatory, double margin = 0)
        {
            if (!tried.Add(Key(c))) return null;
            var started = Stopwatch.StartNew();
            double value;
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(mandatory ? cancellationToken : deadline.Token);
                if (!mandatory) // the defaults and the final blends run whole; the blends' time is kept in the budget
                    limit.CancelAfter(TimeSpan.FromSeconds(Math.Max(Math.Max(MinTrialSeconds, SlowTrialFactor * slowestDefault),
                        SlowTrialBudgetShare * options.Budget.TotalSeconds)));
                var p = new ModelParameters(c.Parameters);
                var trainer = ModelCatalog.CreateTrainer(c.Model, p);
                p.ThrowIfUnused(c.Model);
                value = Evaluator.Run(validation, trainer, c.Model, p, "validation", options.Threads, null, limit.Token).Metrics[metric];
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                value = double.NaN; // over its time or the budget: failed
            }
            catch (InvalidOperationException)
            {
                value = double.NaN; // the model cannot learn from these data (no content, catalog too large)
            }
            var trial = new SearchTrial(trials.Count + 1, c, value, started.Elapsed.TotalSeconds);
            trials.Add(trial);
            progress?.Report(trial);
            if (c.Origin == "default") slowestDefault = Math.Max(slowestDefault, trial.Seconds);
            if (!double.IsNaN(value) && (best is null || value > best.Value * (1 + margin))) best = trial;
            return trial;
        }

        foreach (var c in ModelPortfolio.Defaults(task)) Try(c, mandatory: true);
        if (best is null) throw new InvalidOperationException("no default model could be trained on these data");
        var bestDefault = best;
        foreach (var c in ModelPortfolio.Portfolio(task))
        {
            if (Stop()) break;
            Try(c, mandatory: false);
        }

        // Steps around the best: its model's space (a model without one is not refined).
        var sampler = new ParameterSampler([], options.Seed);
        int steps = 0, misses = 0;
        while (!Stop() && misses < 50)
        {
            var space = ModelCatalog.Get(best.Candidate.Model).SearchSpace;
            if (space.Count == 0) break;
            sampler = sampler.Space == space ? sampler : new ParameterSampler(space, options.Seed + steps);
            var (drawn, random) = sampler.Step(best.Candidate.Parameters, steps);
            var candidate = new Candidate(best.Candidate.Model, drawn, random ? "random" : "refine");
            if (Try(candidate, mandatory: false, RefineMargin) is null) misses++;
            else steps++;
        }

        // (4) Blends of the best with each of the two best other models (the runner-up may be the more different one: on
        // Toys item-kNN scores above SASRec alone, but SASRec adds more to the sequence model). The better blend is taken
        // unless it is worse on validation by more than BlendTolerance (differences that small are noise at benchmark sizes;
        // a blend of two good models generalizes at least as well as either, as ensembles in AutoML do).
        var single = best;
        SearchTrial? blended = null;
        foreach (var partner in Partners(single, trials))
        {
            if (cancellationToken.IsCancellationRequested) break;
            if (Try(Blend(single, partner), mandatory: true) is { } b && !double.IsNaN(b.Value) && (blended is null || b.Value > blended.Value))
                blended = b;
        }
        best = single; // Try moves the best to a better blend; the rule below decides instead
        if (blended is not null && blended.Value >= Math.Max(single.Value * (1 - BlendTolerance), bestDefault.Value))
            best = blended;

        return new ModelSearchResult
        {
            Protocol = validation.Protocol,
            Metric = metric,
            Best = best,
            BestDefault = bestDefault,
            Trials = trials,
            Seconds = clock.Elapsed.TotalSeconds,
            Validation = validation.Description,
        };
    }

    /// <summary>
    /// How much better (relative) on validation a step of the search must be to replace the best: the maximum of hundreds of
    /// noisy scores is biased upward (on MovieLens 100k, 677 steps found +0.35 % on validation and lost 1.2 % on test).
    /// </summary>
    public const double RefineMargin = 0.005;

    /// <summary>How much worse (relative) on validation the final blend may be and still be chosen.</summary>
    public const double BlendTolerance = 0.01;

    /// <summary>How many other models the best is blended with, each in its own blend.</summary>
    public const int BlendPartners = 2;

    /// <summary>The best trial of each other model, best first, at most <see cref="BlendPartners"/> (none when the best is a
    /// hybrid already, or there is no hybrid to blend with).</summary>
    private static List<SearchTrial> Partners(SearchTrial best, List<SearchTrial> trials)
    {
        var partners = new List<SearchTrial>();
        if (best.Candidate.Model == HybridModelName || !ModelCatalog.TryGet(HybridModelName, out _)) return partners;
        var byModel = new Dictionary<string, SearchTrial>(StringComparer.OrdinalIgnoreCase);
        foreach (var t in trials)
            if (t.Candidate.Model != best.Candidate.Model && t.Candidate.Model != HybridModelName && !double.IsNaN(t.Value)
                && (!byModel.TryGetValue(t.Candidate.Model, out var seen) || t.Value > seen.Value))
                byModel[t.Candidate.Model] = t;
        foreach (var t in byModel.Values.OrderByDescending(t => t.Value).ThenBy(t => t.Number).Take(BlendPartners)) partners.Add(t);
        return partners;
    }

    /// <summary>The hybrid of <paramref name="best"/> and <paramref name="other"/>; component parameters are prefixed with the
    /// component's name.</summary>
    private static Candidate Blend(SearchTrial best, SearchTrial other)
    {
        var p = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["components"] = best.Candidate.Model + "," + other.Candidate.Model,
        };
        foreach (var (k, v) in best.Candidate.Parameters) p[best.Candidate.Model + "." + k] = v;
        foreach (var (k, v) in other.Candidate.Parameters) p[other.Candidate.Model + "." + k] = v;
        return new Candidate(HybridModelName, p, "blend", $"the best ({best.Candidate.Model}) with the best {other.Candidate.Model}");
    }

    private const string HybridModelName = "hybrid";

    private static string Key(Candidate c) =>
        c.Model + "|" + ParameterSampler.Canonical(c.Parameters);
}

/// <summary>One configuration tried on validation; <see cref="Value"/> is NaN when it failed or ran out of time.</summary>
public sealed record SearchTrial(int Number, Candidate Candidate, double Value, double Seconds);

/// <summary>What <see cref="ModelSearch.Run"/> chose, the best of the defaults beside it, and every trial.</summary>
public sealed class ModelSearchResult
{
    public required string Protocol { get; init; }
    public required string Metric { get; init; }
    public required SearchTrial Best { get; init; }
    public required SearchTrial BestDefault { get; init; }
    public required IReadOnlyList<SearchTrial> Trials { get; init; }
    public required double Seconds { get; init; }
    public required string Validation { get; init; }
}
