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
/// it), narrowing with the number of steps, a trial clearly worse on a quarter of the validation cases being stopped there
/// (<see cref="StopMargin"/>; never a model's first), the steps' best kept only when clearly better case by case than the
/// best before them (<see cref="ClearZ"/>); (4) blends (the hybrid) of the best with each of the two best other models, the
/// blend chosen unless the single model is clearly better case by case or the blend is worse than the best default; the
/// search leaves time in the budget for them (twice their components' trial times), and a blend that would make the whole
/// run overrun <see cref="TuneOptions.RunLimit"/> is not tried. Otherwise the best on validation wins (the earlier on a tie).
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
        var perCase = new Dictionary<int, float[]>(); // the metric per validation case, by trial number
        SearchTrial? best = null;
        SearchTrial? unstepped = null; // the best before the steps: they must beat it clearly, case by case
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
            // Early stopping: a trial that is not mandatory is scored on a quarter of the cases first and stopped there when
            // it is clearly worse than the best on that same quarter (the best's value there is known: every trial records it).
            // A model's first trial is scored whole all the same: it is that model's candidacy as a blend partner, and a model
            // weak alone can be the one that adds most to the best (SASRec on Diginetica).
            double bestPartial = best?.Partial ?? double.NaN;
            bool first = !trials.Exists(t => t.Candidate.Model == c.Model && !double.IsNaN(t.Value));
            var scoring = new TrialScoring(metric, partial => mandatory || first || double.IsNaN(bestPartial) || partial >= bestPartial * (1 - StopMargin));
            string? stopped = null;
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(mandatory ? cancellationToken : deadline.Token);
                if (!mandatory) // the defaults and the final blends run whole; the blends' time is kept in the budget
                    limit.CancelAfter(TimeSpan.FromSeconds(Math.Max(Math.Max(MinTrialSeconds, SlowTrialFactor * slowestDefault),
                        SlowTrialBudgetShare * options.Budget.TotalSeconds)));
                var p = new ModelParameters(c.Parameters);
                var trainer = ModelCatalog.CreateTrainer(c.Model, p);
                p.ThrowIfUnused(c.Model);
                value = Evaluator.Run(validation, trainer, c.Model, p, "validation", options.Threads, null, limit.Token, scoring).Metrics[metric];
            }
            catch (TrialStoppedException e)
            {
                value = double.NaN; // clearly worse than the best on the first quarter: not scored further
                stopped = $"{e.Partial:0.####} on a quarter";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                value = double.NaN; // over its time or the budget: failed
            }
            catch (InvalidOperationException)
            {
                value = double.NaN; // the model cannot learn from these data (no content, catalog too large)
            }
            var trial = new SearchTrial(trials.Count + 1, c, value, started.Elapsed.TotalSeconds) { Partial = scoring.Partial, Stopped = stopped };
            trials.Add(trial);
            progress?.Report(trial);
            if (c.Origin == "default") slowestDefault = Math.Max(slowestDefault, trial.Seconds);
            if (!double.IsNaN(value) && scoring.PerCase is { } values && (best is null || value > best.Value * (1 + margin) || mandatory))
                perCase[trial.Number] = values; // kept for the final comparisons: the best's and the blends'
            if (!double.IsNaN(value) && (best is null || value > best.Value * (1 + margin)))
            {
                // A step's predecessor is no longer needed; the single model a blend beats is (the final rule compares them).
                if (best is not null && !mandatory && best.Candidate.Origin != "default" && best != unstepped) perCase.Remove(best.Number);
                best = trial;
            }
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
        unstepped = best;
        var sampler = new ParameterSampler([], options.Seed);
        int steps = 0, misses = 0;
        while (!Stop() && misses < 50)
        {
            var space = ModelCatalog.Get(best.Candidate.Model).SearchSpace;
            if (space.Count == 0) break;
            sampler = sampler.Space == space ? sampler : new ParameterSampler(space, options.Seed + steps);
            var (drawn, random) = sampler.Step(best.Candidate.Parameters, steps);
            var candidate = new Candidate(best.Candidate.Model, OfListedComponents(drawn), random ? "random" : "refine");
            if (Try(candidate, mandatory: false, RefineMargin) is null) misses++;
            else steps++;
        }

        // (4) Blends of the best with each of the two best other models (the runner-up may be the more different one: on
        // Toys item-kNN scores above SASRec alone, but SASRec adds more to the sequence model). Of the two, the higher on
        // validation (the first on a tie): each is measured once, so there is no winner's curse to guard against between two,
        // and the order of the partners (their own scores) says little about their blends (on LastFM sampled, keeping the
        // first unless the second was clearly better kept item-kNN's blend, 0.3997 against SASRec's 0.4078, and lost 3.6 %
        // NDCG@10 on test).
        // The blend is then chosen over the single model unless the single is clearly better or the blend is worse than the
        // best default: a blend learns its weights on its own inner split, where the single alone is one of the choices (a
        // share of 0), and its validation score is measured once, while the single's is the best of many steps on this same
        // validation split and flatters itself (the winner's curse; on MovieLens 100k the steps' best gained 1.2 % on
        // validation over its blends and lost as much on test).
        // The steps' best replaces the best before them only when clearly better case by case: it is the maximum of hundreds
        // of noisy scores on this one split (on MovieLens 100k, 350 steps found +0.5 % on validation, and the stepped iALS's
        // blend lost 0.4 % MAP on test against the portfolio's).
        SearchTrial? setAside = null;
        if (best != unstepped && !Clearly(best, unstepped, perCase)) (setAside, best) = (best, unstepped);
        var single = best;
        SearchTrial? blended = null;
        double runLimit = (options.RunLimit ?? options.Budget * 2).TotalSeconds;
        foreach (var partner in Partners(single, trials))
        {
            if (cancellationToken.IsCancellationRequested) break;
            // A blend that would make the run overrun its limit (its trial, then the final fit with it) is not tried: on a busy
            // machine, Diginetica's blend with SASRec took 140 s and its final fit 243 s more (11.4 minutes in all).
            if (clock.Elapsed.TotalSeconds + BlendRunFactor * (single.Seconds + partner.Seconds) > runLimit)
            {
                var skipped = new SearchTrial(trials.Count + 1, Blend(single, partner), double.NaN, 0) { Skipped = $"it and the final fit would likely end after the run's limit of {runLimit:F0} s" };
                trials.Add(skipped);
                progress?.Report(skipped);
                continue;
            }
            if (Try(Blend(single, partner), mandatory: true) is { } b && !double.IsNaN(b.Value)
                && (blended is null || b.Value > blended.Value))
                blended = b;
        }
        best = single; // Try moves the best to a better blend; the rules above decide instead
        if (blended is not null && blended.Value >= bestDefault.Value && !Clearly(single, blended, perCase))
            best = blended;

        return new ModelSearchResult
        {
            Protocol = validation.Protocol,
            Metric = metric,
            Best = best,
            BestDefault = bestDefault,
            StepSetAside = setAside,
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

    /// <summary>
    /// How much worse (relative) than the best on the first quarter of the validation cases a trial may be and still be
    /// scored whole. Only splits with at least 2,000 cases are checked (500 in the quarter); below that the quarter's noise
    /// is as large as the margin.
    /// </summary>
    public const double StopMargin = 0.1;

    /// <summary>
    /// How sure the validation cases must be that one of the final candidates is better than the other: the paired z of
    /// their per-case differences (mean over its standard error). 1.96: a two-sided 95 % test.
    /// </summary>
    public const double ClearZ = 1.96;

    /// <summary>Whether <paramref name="a"/> is better than <paramref name="b"/> on validation by a paired z above <see cref="ClearZ"/>.</summary>
    private static bool Clearly(SearchTrial a, SearchTrial b, Dictionary<int, float[]> perCase)
    {
        if (!perCase.TryGetValue(a.Number, out var x) || !perCase.TryGetValue(b.Number, out var y) || x.Length != y.Length || x.Length < 2)
            return a.Value > b.Value;
        return PairedZ(x, y) > ClearZ;
    }

    /// <summary>The mean of <c>x − y</c> over its standard error (0 when every difference is 0).</summary>
    public static double PairedZ(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sum = 0, squares = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = (double)x[i] - y[i];
            sum += d;
            squares += d * d;
        }
        int n = x.Length;
        double mean = sum / n;
        double variance = (squares - n * mean * mean) / (n - 1);
        return variance <= 0 ? (mean > 0 ? double.PositiveInfinity : mean < 0 ? double.NegativeInfinity : 0) : mean / Math.Sqrt(variance / n);
    }

    /// <summary>
    /// A final blend's trial and the final fit with it (and its scoring), in multiples of its two components' trial seconds:
    /// the blend trains each component on its inner split and on everything, the final fit does it again on the test split's
    /// training data. Measured on the shared benchmarks with SASRec blends: 1.1–2.4× for the trial, up to 2.3× for the rest.
    /// </summary>
    public const double BlendRunFactor = 4;

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

    /// <summary>
    /// A step around a blend draws from the space of every component the hybrid may have; a blend of some of them
    /// (<c>components=ease,als</c>) keeps only its own components' parameters (the others would be refused as unused).
    /// </summary>
    private static IReadOnlyDictionary<string, string> OfListedComponents(IReadOnlyDictionary<string, string> parameters)
    {
        if (!parameters.TryGetValue("components", out var listed)) return parameters;
        var components = new HashSet<string>(listed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            StringComparer.OrdinalIgnoreCase);
        var kept = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in parameters)
        {
            int dot = k.IndexOf('.');
            if (dot < 0 || components.Contains(k[..dot])) kept[k] = v;
        }
        return kept;
    }

    private static string Key(Candidate c) =>
        c.Model + "|" + ParameterSampler.Canonical(c.Parameters);
}

/// <summary>One configuration tried on validation; <see cref="Value"/> is NaN when it failed or ran out of time.</summary>
public sealed record SearchTrial(int Number, Candidate Candidate, double Value, double Seconds)
{
    /// <summary>The metric over the first quarter of the validation cases (NaN when the split was too small to check, or the
    /// trial failed before scoring).</summary>
    public double Partial { get; init; } = double.NaN;

    /// <summary>Why the trial was stopped early (its value on the first quarter), or null when it was scored whole.</summary>
    public string? Stopped { get; init; }

    /// <summary>Why the trial was not run at all (a final blend that would overrun the run's limit), or null.</summary>
    public string? Skipped { get; init; }
}

/// <summary>What <see cref="ModelSearch.Run"/> chose, the best of the defaults beside it, and every trial.</summary>
public sealed class ModelSearchResult
{
    public required string Protocol { get; init; }
    public required string Metric { get; init; }
    public required SearchTrial Best { get; init; }
    public required SearchTrial BestDefault { get; init; }

    /// <summary>The steps' best when it was not clearly better, case by case, than the best before the steps (which was kept).</summary>
    public SearchTrial? StepSetAside { get; init; }
    public required IReadOnlyList<SearchTrial> Trials { get; init; }
    public required double Seconds { get; init; }
    public required string Validation { get; init; }
}
