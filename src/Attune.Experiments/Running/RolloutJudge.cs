using System.Globalization;
using Attune.Experiments.Definitions;

namespace Attune.Experiments.Running;

public enum RolloutAction
{
    /// <summary>Keep the step: its wait is not over, or too few answers were served to read its guardrails.</summary>
    Hold,
    Advance,
    /// <summary>The last step (100 %) passed.</summary>
    Complete,
    RollBack,
}

/// <summary>What to do with a rollout now, why, and what its current step's guardrails read.</summary>
public sealed record RolloutDecision(RolloutAction Action, string Reason, RolloutReading Reading);

/// <summary>A step's guardrails as read now (the new side is <c>rollout</c>, the control <c>baseline</c>).</summary>
/// <param name="Answers">Answers the new side served in this step.</param>
/// <param name="MetricLift">The guarded metric's relative difference (new side against baseline), when both sides have people.</param>
/// <param name="MetricDecides">Whether the metric has enough data to decide (GrowthBook's minimum sample rule).</param>
public sealed record RolloutReading(int Step, double Percent, long BaselinePeople, long RolloutPeople, long BaselineAnswers, long Answers, double ErrorRate,
    double BaselineErrorRate, double LatencyP99Ms, double BaselineLatencyP99Ms, string Metric, double? MetricLift, double[]? MetricCi, double? MetricPValue,
    bool MetricDecides)
{
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string text = string.Create(c, $"{Answers:N0} answers to {RolloutPeople:N0} people; error rate {ErrorRate:P2}; p99 {LatencyP99Ms:F1} ms");
        if (BaselineAnswers > 0) text += string.Create(c, $" (baseline {BaselineErrorRate:P2}, {BaselineLatencyP99Ms:F1} ms)");
        if (MetricLift is { } lift)
            text += string.Create(c, $"; {Metric} {lift:+0.0%;-0.0%}") + (MetricCi is { } ci ? string.Create(c, $" [{ci[0]:+0.0%;-0.0%}, {ci[1]:+0.0%;-0.0%}]") : "")
                + (MetricDecides ? "" : " (too little data to decide)");
        return text;
    }
}

/// <summary>
/// Judges a rollout's current step from its tracked sums: a guardrail breached rolls back at once, whatever the wait; the
/// step passes when its wait is over and the new side served <see cref="RolloutGuardrails.MinAnswers"/> answers.
/// </summary>
/// <remarks>
/// Guardrails: the new side's error rate above <see cref="RolloutGuardrails.MaxErrorRate"/> and significantly above the
/// baseline's (two-proportion test; alone when the baseline has too few answers, as at 100 %); its p99 latency above an
/// absolute cap, or above the baseline's by more than the allowed fraction and tolerance; the guarded metric significantly
/// worse under the sequential test (safe to read at every check), once it has enough data. Errors are read after
/// <see cref="RolloutGuardrails.MinAnswers"/> answers on the new side, latencies after
/// <see cref="RolloutGuardrails.LatencyMinAnswers"/> on each side compared (the cap: on the new side).
/// </remarks>
public static class RolloutJudge
{
    public static RolloutDecision Decide(Rollout rollout, ExperimentSums sums, DateTimeOffset now)
    {
        int number = rollout.Step + 1;
        var phase = ExperimentResults.Compute(rollout.AsExperiment(number), sums).Phases is [var p, ..] ? p : null;
        var reading = Read(rollout, phase);
        var g = rollout.Guardrails;
        if (Breach(rollout, phase, reading) is { } why) return new RolloutDecision(RolloutAction.RollBack, why, reading);
        var run = rollout.History[^1];
        var step = rollout.Steps[rollout.Step];
        var until = run.StartedAt + TimeSpan.FromMinutes(step.WaitMinutes);
        if (now < until)
            return new RolloutDecision(RolloutAction.Hold, string.Create(CultureInfo.InvariantCulture, $"step {number} ({step.Percent:G4} %) waits until {until:u}"), reading);
        if (reading.Answers < g.MinAnswers)
            return new RolloutDecision(RolloutAction.Hold, $"step {number} needs {g.MinAnswers:N0} answers on the new side before it can pass ({reading.Answers:N0} so far)", reading);
        return number == rollout.Steps.Count
            ? new RolloutDecision(RolloutAction.Complete, $"step {number} (100 %) passed its guardrails", reading)
            : new RolloutDecision(RolloutAction.Advance, $"step {number} passed its guardrails", reading);
    }

    private static string? Breach(Rollout rollout, PhaseResult? phase, RolloutReading r)
    {
        var g = rollout.Guardrails;
        if (r.Answers >= g.MinAnswers && r.ErrorRate > g.MaxErrorRate)
        {
            var errorRow = phase?.Metrics.FirstOrDefault(m => m.Id == Metrics.ErrorRate)?.Variants.ElementAtOrDefault(1)?.Difference;
            // No test when neither side varies (no errors at all on one, nothing but errors on the other): above is above.
            bool aboveBaseline = r.BaselineAnswers < g.MinAnswers
                || (errorRow is { PValue: { } pv, ErrorMessage: null } ? pv < g.Alpha && errorRow.Expected > 0 : r.ErrorRate > r.BaselineErrorRate);
            if (aboveBaseline)
                return string.Create(CultureInfo.InvariantCulture, $"error rate {r.ErrorRate:P2} on the new side is above the {g.MaxErrorRate:P2} allowed") +
                    (r.BaselineAnswers >= g.MinAnswers ? string.Create(CultureInfo.InvariantCulture, $" and the baseline's {r.BaselineErrorRate:P2}") : "");
        }
        if (r.Answers >= g.LatencyMinAnswers)
        {
            if (g.MaxLatencyP99Ms is { } cap && r.LatencyP99Ms > cap)
                return string.Create(CultureInfo.InvariantCulture, $"p99 latency {r.LatencyP99Ms:F1} ms on the new side is above the {cap:F1} ms allowed");
            if (r.BaselineAnswers >= g.LatencyMinAnswers && r.LatencyP99Ms > r.BaselineLatencyP99Ms * (1 + g.MaxLatencyIncrease)
                && r.LatencyP99Ms - r.BaselineLatencyP99Ms > g.LatencyToleranceMs)
                return string.Create(CultureInfo.InvariantCulture,
                    $"p99 latency {r.LatencyP99Ms:F1} ms on the new side is more than {g.MaxLatencyIncrease:P0} above the baseline's {r.BaselineLatencyP99Ms:F1} ms");
        }
        if (r.MetricDecides && r.MetricPValue is { } p && p < g.Alpha && r.MetricLift is { } lift && (Metrics.BuiltIn[g.Metric].Inverse ? lift > 0 : lift < 0))
            return string.Create(CultureInfo.InvariantCulture,
                $"{g.Metric} is significantly worse on the new side ({lift:+0.0%;-0.0%}, sequential test p = {p:G3})");
        return null;
    }

    private static RolloutReading Read(Rollout rollout, PhaseResult? phase)
    {
        int number = rollout.Step + 1;
        double percent = rollout.Steps[rollout.Step].Percent;
        if (phase is null) return new RolloutReading(number, percent, 0, 0, 0, 0, 0, 0, 0, 0, rollout.Guardrails.Metric, null, null, null, false);
        var b = phase.Variants[0];
        var n = phase.Variants[1];
        var metric = phase.Metrics.FirstOrDefault(m => m.Role == "primary")?.Variants.ElementAtOrDefault(1)?.Difference;
        return new RolloutReading(number, percent, b.People, n.People, b.Answers, n.Answers,
            n.Answers == 0 ? 0 : (double)n.Errors / n.Answers, b.Answers == 0 ? 0 : (double)b.Errors / b.Answers, n.LatencyP99Ms, b.LatencyP99Ms,
            rollout.Guardrails.Metric, metric?.Expected, metric?.Ci, metric?.PValue, metric is { EnoughData: true, Expected: not null });
    }
}
