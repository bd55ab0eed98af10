using Attune.Experiments.Definitions;
using Attune.Experiments.Statistics;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Experiments.Running;

/// <summary>
/// An experiment's results from its tracked sums: per phase, the sample-ratio check, each variant's people and serving
/// guardrails, each metric's value per variant and, against the control (the first variant), the difference with its
/// interval, p-value (corrected over variants × metrics) or chance to win, and a plain verdict.
/// </summary>
/// <remarks>
/// Statistics come from <see cref="Statistics"/> (a C# gbstats): binomial metrics are <see cref="ProportionStatistic"/>,
/// means <see cref="SampleMeanStatistic"/>, ratios <see cref="RatioStatistic"/> (delta method); the test is the sequential
/// two-sided t-test (safe to read at any time) unless the experiment turns sequential off, or the Gaussian effect posterior
/// when its engine is Bayesian. Differences are relative (lift).
/// </remarks>
public static class ExperimentResults
{
    /// <summary>People per variant below which a metric is not tested (the interval would mean little).</summary>
    public const int MinimumPeople = 20;

    /// <summary>
    /// GrowthBook's minimum sample size (its default): a metric decides nothing (no ship, no stop) until the larger variant's
    /// total of it (conversions; the summed value of a mean; a ratio's numerator) reaches this and neither variant's is zero.
    /// Below it the normal approximation behind every interval fails: a relative lift from 9 conversions against 1 reads as
    /// p &lt; 0.0001 even with the sequential test, and A/A experiments read daily said <c>stop: worse</c> too often.
    /// </summary>
    public const int MinimumSampleSize = 150;

    public static ResultsOutput Compute(Experiment e, ExperimentSums sums)
    {
        var phases = new List<PhaseResult>();
        for (int p = 0; p < e.Phases.Count && p < sums.Phases.Count; p++)
        {
            phases.Add(e.Method == ExperimentMethod.Interleaving
                ? Interleaving(e, e.Phases[p], sums.Metrics, sums.Phases[p], sums.Interleaving is { } c && p < c.Count ? c[p] : default)
                : Phase(e, e.Phases[p], sums.Metrics, sums.Phases[p], sums.Caps));
        }
        string correction = e.Analysis.Correction switch
        {
            "holm" => MultipleTestingCorrection.Name(PValueCorrection.HolmBonferroni),
            "benjamini-hochberg" => MultipleTestingCorrection.Name(PValueCorrection.BenjaminiHochberg),
            _ => "none",
        };
        return new ResultsOutput(e.Id, e.Name, e.Status.ToString().ToLowerInvariant(), new AnalysisOutput(e.Analysis.Engine,
            e.Analysis.Engine == "frequentist" && e.Analysis.Sequential, e.Analysis.Cuped && e.Analysis.PrePeriodDays > 0, e.Analysis.Alpha, correction, e.Analysis.MinimumDetectableEffect), phases);
    }

    private static PhaseResult Phase(Experiment e, ExperimentPhase phase, IReadOnlyList<MetricDefinition> metrics, IReadOnlyDictionary<string, VariantSnapshot> sums,
        IReadOnlyList<double?>? caps)
    {
        var variants = phase.Variants;
        var snapshots = variants.Select(v => sums.GetValueOrDefault(v.Key) ?? new VariantSnapshot(0, [], 0, 0, 0, 0)).ToList();
        long total = snapshots.Sum(s => s.People);
        double? srm = total > 0 ? SampleRatioMismatch.PValue([.. snapshots.Select(s => s.People)], [.. variants.Select(v => v.Weight)]) : null;
        bool mismatch = srm is { } pSrm && SampleRatioMismatch.IsMismatch(pSrm);

        var metricResults = new List<MetricResult>();
        var control = snapshots[0];
        for (int m = 0; m < metrics.Count; m++)
        {
            var def = metrics[m];
            string role = def.Id == e.Metrics.Primary ? "primary" : e.Metrics.Guardrails.Contains(def.Id) ? "guardrail" : "secondary";
            var rows = new List<VariantMetric>();
            // CUPED once every person of every variant has their pre-exposure values (read in the background at exposure).
            bool cuped = e.Analysis.Cuped && e.Analysis.PrePeriodDays > 0 && !(def.Denominator?.Value == MetricValue.Answers)
                && snapshots.All(x => m < x.Metrics.Count && x.People >= 2 && x.Metrics[m].PrePeople == x.People);
            for (int v = 0; v < variants.Count; v++)
            {
                var s = snapshots[v];
                var stat = m < s.Metrics.Count ? Statistic(def, s.People, s.Metrics[m], cuped: false) : null;
                double value = stat is null || s.People == 0 ? 0 : stat.Mean;
                DifferenceOutput? difference = null;
                if (v > 0 && stat is not null && m < control.Metrics.Count
                    && Statistic(def, control.People, control.Metrics[m], cuped) is { } baseline && Statistic(def, s.People, s.Metrics[m], cuped) is { } treatment)
                {
                    difference = Difference(e, def, baseline, treatment, control.People, s.People);
                    if (!EnoughData(control.Metrics[m], s.Metrics[m])) difference = difference with { EnoughData = false };
                }
                rows.Add(new VariantMetric(variants[v].Key, s.People, value, difference));
            }
            metricResults.Add(new MetricResult(def.Id, def.Name, def.Kind.ToString().ToLowerInvariant(), role, def.Inverse, cuped, rows,
                caps is not null && m < caps.Count ? caps[m] : null));
        }
        foreach (string serving in e.Metrics.Guardrails.Where(g => Definitions.Metrics.BuiltIn.TryGetValue(g, out var d) && d.Kind == MetricKind.Serving))
            metricResults.Add(ServingGuardrail(e, serving, variants, snapshots));
        Correct(e, metricResults);
        var variantOutputs = variants.Select((v, i) => new VariantOutput(v.Key, v.Recipe, v.Weight, snapshots[i].People, snapshots[i].Answers,
            snapshots[i].Errors, snapshots[i].Empty, snapshots[i].LatencyP99Ms)).ToList();
        return new PhaseResult(phase.Number, phase.StartedAt, phase.EndedAt, variantOutputs, srm, mismatch, metricResults,
            Verdict(e, mismatch, metricResults, snapshots), null);
    }

    /// <summary>
    /// An interleaving phase: each person who clicked prefers the recipe whose items they clicked more; the sign test asks
    /// whether more people prefer one than chance allows. Δ = (prefer B − prefer A) / (people with clicks), as in Chapelle
    /// et al. (2012). Metrics are reported for the one arm, without comparison.
    /// </summary>
    private static PhaseResult Interleaving(Experiment e, ExperimentPhase phase, IReadOnlyList<MetricDefinition> metrics,
        IReadOnlyDictionary<string, VariantSnapshot> sums, InterleavingCounts c)
    {
        var arm = sums.GetValueOrDefault(ExperimentRouter.Interleaved) ?? new VariantSnapshot(0, [], 0, 0, 0, 0);
        string a = phase.Variants[0].Key, b = phase.Variants[1].Key;
        long decided = c.PreferA + c.PreferB, clicked = decided + c.Ties;
        double p = SignTest.TwoSidedPValue(c.PreferB, decided);
        double delta = clicked == 0 ? 0 : (double)(c.PreferB - c.PreferA) / clicked;
        var output = new InterleavingOutput(a, b, c.People, c.PreferA, c.PreferB, c.Ties, c.ClicksA, c.ClicksB, delta, p);
        Verdict verdict = decided < MinimumPeople
            ? new Verdict("keep running", null, $"{decided} people with a preference so far; at least {MinimumPeople} are needed", null)
            : p < e.Analysis.Alpha && c.PreferB > c.PreferA ? new Verdict("ship", b, $"more people prefer {b}'s items (sign test p = {p:G3})", null)
            : p < e.Analysis.Alpha ? new Verdict("stop: worse", b, $"more people prefer {a}'s items (sign test p = {p:G3})", null)
            : new Verdict("keep running", null, $"no significant preference yet ({decided:N0} people with a preference)", null);
        var metricResults = new List<MetricResult>();
        for (int m = 0; m < metrics.Count; m++)
        {
            var stat = m < arm.Metrics.Count ? Statistic(metrics[m], arm.People, arm.Metrics[m], cuped: false) : null;
            metricResults.Add(new MetricResult(metrics[m].Id, metrics[m].Name, metrics[m].Kind.ToString().ToLowerInvariant(),
                metrics[m].Id == e.Metrics.Primary ? "primary" : "secondary", metrics[m].Inverse, false,
                [new VariantMetric(ExperimentRouter.Interleaved, arm.People, stat?.Mean ?? 0, null)]));
        }
        var variant = new VariantOutput(ExperimentRouter.Interleaved, $"{phase.Variants[0].Recipe}+{phase.Variants[1].Recipe}", phase.Coverage, arm.People,
            arm.Answers, arm.Errors, arm.Empty, arm.LatencyP99Ms);
        return new PhaseResult(phase.Number, phase.StartedAt, phase.EndedAt, [variant], null, false, metricResults, verdict, output);
    }

    /// <summary>GrowthBook's <c>hasEnoughData</c>: both totals non-zero, the larger at least <see cref="MinimumSampleSize"/>.</summary>
    private static bool EnoughData(MetricSums control, MetricSums treatment) =>
        control.Sum != 0 && treatment.Sum != 0 && Math.Max(control.Sum, treatment.Sum) >= MinimumSampleSize;

    private static Statistic? Statistic(MetricDefinition def, long people, MetricSums s, bool cuped)
    {
        if (people <= 0) return null;
        if (cuped)
        {
            return def.Kind switch
            {
                MetricKind.Binomial => new RegressionAdjustedStatistic(people, new ProportionStatistic(people, s.Sum),
                    new ProportionStatistic(people, s.PreSum), s.PostPreProducts, null),
                MetricKind.Mean => new RegressionAdjustedStatistic(people, new SampleMeanStatistic(people, s.Sum, s.SumSquares),
                    new SampleMeanStatistic(people, s.PreSum, s.PreSumSquares), s.PostPreProducts, null),
                MetricKind.Ratio => new RegressionAdjustedRatioStatistic(people,
                    new SampleMeanStatistic(people, s.Sum, s.SumSquares), new SampleMeanStatistic(people, s.DenominatorSum, s.DenominatorSumSquares),
                    new SampleMeanStatistic(people, s.PreSum, s.PreSumSquares), new SampleMeanStatistic(people, s.PreDenominatorSum, s.PreDenominatorSumSquares),
                    s.PostPreProducts, s.DenominatorPostPreProducts, s.PrePreDenominatorProducts, s.SumOfProducts, s.PostPreDenominatorProducts,
                    s.PrePostDenominatorProducts, null),
                _ => null,
            };
        }
        return def.Kind switch
        {
            MetricKind.Binomial => new ProportionStatistic(people, s.Sum),
            MetricKind.Mean => new SampleMeanStatistic(people, s.Sum, s.SumSquares),
            MetricKind.Ratio => new RatioStatistic(people, new SampleMeanStatistic(people, s.Sum, s.SumSquares),
                new SampleMeanStatistic(people, s.DenominatorSum, s.DenominatorSumSquares), s.SumOfProducts),
            _ => null,
        };
    }

    private static DifferenceOutput Difference(Experiment e, MetricDefinition def, Statistic control, Statistic treatment, long nControl, long nTreatment)
    {
        if (nControl < MinimumPeople || nTreatment < MinimumPeople)
            return new DifferenceOutput(null, null, null, null, null, null, null, $"fewer than {MinimumPeople} people in a variant");
        var a = e.Analysis;
        if (a.Engine == "bayesian")
        {
            var bayes = new EffectBayesianABTest(control, treatment, new EffectBayesianConfig { Alpha = a.Alpha, Inverse = def.Inverse });
            var r = bayes.ComputeResult();
            return new DifferenceOutput(r.Expected, [r.Ci.Lower, r.Ci.Upper], null, null, r.ChanceToWin, [r.Risk.Control, r.Risk.Treatment], Power(bayes, r, a), r.ErrorMessage);
        }
        ABTest test = a.Sequential
            ? new SequentialTwoSidedTTest(control, treatment, new SequentialConfig { Alpha = a.Alpha })
            : new TwoSidedTTest(control, treatment, new FrequentistConfig { Alpha = a.Alpha });
        var result = (FrequentistTestResult)test.ComputeResult();
        return new DifferenceOutput(result.Expected, [result.Ci.Lower, result.Ci.Upper], result.PValue, null, null, null, Power(test, result, a),
            result.ErrorMessage);
    }

    /// <summary>More people needed (both arms) to detect the experiment's minimum detectable effect with 80 % power.</summary>
    private static double? Power(ABTest test, TestResult result, ExperimentAnalysis a)
    {
        if (result.ErrorMessage is not null) return null;
        var power = new MidExperimentPower(test.MomentsResult, result, new BaseConfig { Alpha = a.Alpha },
            new MidExperimentPowerConfig { TargetMde = a.MinimumDetectableEffect, Sequential = a.Engine == "frequentist" && a.Sequential });
        return power.CalculateSampleSize().AdditionalUsers;
    }

    /// <summary>Latency p99, error rate and empty-answer rate per variant; rates are tested as proportions of answers.</summary>
    private static MetricResult ServingGuardrail(Experiment e, string id, IReadOnlyList<ExperimentVariant> variants, List<VariantSnapshot> s)
    {
        var def = Definitions.Metrics.BuiltIn[id];
        var rows = new List<VariantMetric>();
        for (int v = 0; v < variants.Count; v++)
        {
            double value = id switch
            {
                Definitions.Metrics.LatencyP99 => s[v].LatencyP99Ms,
                Definitions.Metrics.ErrorRate => s[v].Answers == 0 ? 0 : (double)s[v].Errors / s[v].Answers,
                _ => s[v].Answers == 0 ? 0 : (double)s[v].Empty / s[v].Answers,
            };
            DifferenceOutput? difference = null;
            if (v > 0)
            {
                if (id == Definitions.Metrics.LatencyP99)
                {
                    double lift = s[0].LatencyP99Ms > 0 ? value / s[0].LatencyP99Ms - 1 : 0;
                    difference = new DifferenceOutput(lift, null, null, null, null, null, null, null);
                }
                else if (s[0].Answers >= MinimumPeople && s[v].Answers >= MinimumPeople)
                {
                    long Count(VariantSnapshot x) => id == Definitions.Metrics.ErrorRate ? x.Errors : x.Empty;
                    var r = (FrequentistTestResult)new TwoSidedTTest(new ProportionStatistic(s[0].Answers, Count(s[0])),
                        new ProportionStatistic(s[v].Answers, Count(s[v])), new FrequentistConfig { Alpha = e.Analysis.Alpha, DifferenceType = DifferenceType.Absolute }).ComputeResult();
                    difference = new DifferenceOutput(r.Expected, [r.Ci.Lower, r.Ci.Upper], r.PValue, null, null, null, null, r.ErrorMessage);
                }
            }
            rows.Add(new VariantMetric(variants[v].Key, s[v].Answers, value, difference));
        }
        return new MetricResult(id, def.Name, "serving", "guardrail", true, false, rows);
    }

    /// <summary>Corrects the p-values of the decision metrics (primary and secondary, every treatment) together.</summary>
    private static void Correct(Experiment e, List<MetricResult> metrics)
    {
        if (e.Analysis.Correction == "none" || e.Analysis.Engine == "bayesian") return;
        var method = e.Analysis.Correction == "holm" ? PValueCorrection.HolmBonferroni : PValueCorrection.BenjaminiHochberg;
        var slots = new List<(int Metric, int Row)>();
        var pValues = new List<double?>();
        for (int m = 0; m < metrics.Count; m++)
        {
            if (metrics[m].Role == "guardrail") continue;
            for (int r = 1; r < metrics[m].Variants.Count; r++)
            {
                slots.Add((m, r));
                pValues.Add(metrics[m].Variants[r].Difference?.PValue);
            }
        }
        if (pValues.Count < 2) return;
        var adjusted = MultipleTestingCorrection.Adjust(pValues, method);
        for (int k = 0; k < slots.Count; k++)
        {
            var (m, r) = slots[k];
            var row = metrics[m].Variants[r];
            if (row.Difference is { } d) metrics[m].Variants[r] = row with { Difference = d with { AdjustedPValue = adjusted.Values[k] } };
        }
    }

    private static Verdict Verdict(Experiment e, bool mismatch, List<MetricResult> metrics, List<VariantSnapshot> snapshots)
    {
        if (mismatch) return new Verdict("invalid: SRM", null, "the split of people differs from the weights (sample-ratio mismatch, p < 0.001): check assignment before reading anything", null);
        var a = e.Analysis;
        bool bayesian = a.Engine == "bayesian";
        // A guardrail significantly worse stops the variant.
        foreach (var g in metrics.Where(m => m.Role == "guardrail"))
        {
            for (int v = 1; v < g.Variants.Count; v++)
            {
                if (g.Variants[v].Difference is { } d && Worse(d, g.Inverse, a, bayesian))
                    return new Verdict("stop: worse", g.Variants[v].Key, $"guardrail {g.Id} is significantly worse", null);
            }
        }
        var primary = metrics.First(m => m.Role == "primary");
        string? best = null;
        double bestLift = double.NegativeInfinity;
        double? needed = null;
        for (int v = 1; v < primary.Variants.Count; v++)
        {
            var row = primary.Variants[v];
            if (row.Difference is not { Expected: not null } d)
            {
                needed = null;
                continue;
            }
            if (Worse(d, primary.Inverse, a, bayesian)) return new Verdict("stop: worse", row.Key, $"{primary.Id} is significantly worse than {primary.Variants[0].Key}", null);
            if (Better(d, primary.Inverse, a, bayesian) && Lift(d, primary.Inverse) > bestLift)
            {
                best = row.Key;
                bestLift = Lift(d, primary.Inverse);
            }
            if (d.PeopleNeeded is { } more) needed = Math.Max(needed ?? 0, more);
        }
        if (best is not null) return new Verdict("ship", best, $"{primary.Id} is significantly better than {primary.Variants[0].Key}", null);
        long people = snapshots.Sum(s => s.People);
        string reason = primary.Variants.Any(r => r.Difference is { Expected: not null, EnoughData: false })
            ? $"too little data in {primary.Id} to judge yet: the larger variant needs a total of {MinimumSampleSize} " +
              "(conversions, or the metric's summed value)"
            : needed is { } n && n > 0
            ? $"no significant difference in {primary.Id} yet; about {Math.Ceiling(n):N0} more people needed to detect a {a.MinimumDetectableEffect:P0} change"
            : $"no significant difference in {primary.Id} yet ({people:N0} people so far)";
        return new Verdict("keep running", null, reason, needed is { } x ? Math.Ceiling(x) : null);
    }

    private static double Lift(DifferenceOutput d, bool inverse) => inverse ? -(d.Expected ?? 0) : d.Expected ?? 0;

    private static bool Better(DifferenceOutput d, bool inverse, ExperimentAnalysis a, bool bayesian) =>
        d.EnoughData && (bayesian ? d.ChanceToWin is > 0.95 : Significant(d, a) && Lift(d, inverse) > 0);

    private static bool Worse(DifferenceOutput d, bool inverse, ExperimentAnalysis a, bool bayesian) =>
        d.EnoughData && (bayesian ? d.ChanceToWin is < 0.05 : Significant(d, a) && Lift(d, inverse) < 0);

    private static bool Significant(DifferenceOutput d, ExperimentAnalysis a) => (d.AdjustedPValue ?? d.PValue) is { } p && p < a.Alpha;
}

public sealed record ResultsOutput(string Id, string? Name, string Status, AnalysisOutput Analysis, IReadOnlyList<PhaseResult> Phases);

/// <param name="Cuped">Whether CUPED is on for the experiment (each metric says whether it was applied).</param>
/// <param name="Correction">The multiple-testing correction applied to p-values, by name.</param>
public sealed record AnalysisOutput(string Engine, bool Sequential, bool Cuped, double Alpha, string Correction, double MinimumDetectableEffect);

/// <param name="SrmPValue">Sample-ratio mismatch: chi-square p-value of people per variant against the weights.</param>
/// <param name="Interleaving">Interleaving experiments: the preference counts and the sign test.</param>
public sealed record PhaseResult(int Number, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, IReadOnlyList<VariantOutput> Variants,
    double? SrmPValue, bool SampleRatioMismatch, IReadOnlyList<MetricResult> Metrics, Verdict Verdict, InterleavingOutput? Interleaving);

/// <param name="A">The first variant (its recipe is team A).</param>
/// <param name="PreferA">People who clicked A's items more often than B's.</param>
/// <param name="Ties">People who clicked both equally (at least once).</param>
/// <param name="Delta">(prefer B − prefer A) / people who clicked: above 0 favours B.</param>
/// <param name="PValue">Two-sided exact sign test over the people with a preference.</param>
public sealed record InterleavingOutput(string A, string B, long People, long PreferA, long PreferB, long Ties, long ClicksA, long ClicksB,
    double Delta, double PValue);

public sealed record VariantOutput(string Key, string Recipe, double Weight, long People, long Answers, long Errors, long EmptyAnswers, double LatencyP99Ms);

/// <param name="Role">primary, secondary or guardrail.</param>
/// <param name="Cuped">Whether the differences were CUPED-adjusted (by the metric's own pre-exposure values).</param>
/// <param name="CappedAt">The value each person's was capped at (the metric's capping), or null.</param>
public sealed record MetricResult(string Id, string? Name, string Kind, string Role, bool Inverse, bool Cuped, List<VariantMetric> Variants,
    double? CappedAt = null);

/// <param name="People">Exposed people (answers, for serving guardrails).</param>
/// <param name="Value">The variant's mean (rate, per-person mean or ratio).</param>
/// <param name="Difference">Against the control; null for the control itself.</param>
public sealed record VariantMetric(string Key, long People, double Value, DifferenceOutput? Difference);

/// <param name="Expected">The relative difference (lift) against the control; absolute for error and empty rates.</param>
/// <param name="Ci">Its confidence (or credible) interval.</param>
/// <param name="PeopleNeeded">More people (both arms) to detect the minimum detectable effect with 80 % power.</param>
/// <param name="ErrorMessage">Why no test could be made (gbstats' message), if so.</param>
/// <param name="EnoughData">False until the metric has <see cref="ExperimentResults.MinimumSampleSize"/> in the larger variant (and
/// something in both): the difference is shown but decides nothing yet.</param>
public sealed record DifferenceOutput(double? Expected, double[]? Ci, double? PValue, double? AdjustedPValue, double? ChanceToWin, double[]? Risk,
    double? PeopleNeeded, string? ErrorMessage, bool EnoughData = true);

/// <param name="Decision"><c>keep running</c>, <c>ship</c>, <c>stop: worse</c> or <c>invalid: SRM</c>.</param>
/// <param name="Variant">The variant it is about (ship this one; stop this one).</param>
public sealed record Verdict(string Decision, string? Variant, string Reason, double? PeopleNeeded);
