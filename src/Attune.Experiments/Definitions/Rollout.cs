using System.Text.Json.Serialization;

namespace Attune.Experiments.Definitions;

/// <summary>
/// A progressive rollout: a recipe, or a model version served with the baseline recipe, ramps by steps (1 → 5 → 25 → 50 →
/// 100 % of people by default) against the baseline. A person's bucket is a stable hash, so each step only adds people to
/// the new side (sticky, monotone). Each step waits its time and its guardrails; a breach rolls back and records why; the
/// last step passing completes it (a model version becomes the active one; a recipe's scenarios become the baseline's).
/// </summary>
/// <remarks>
/// Each step is measured as an experiment of its own (<see cref="AsExperiment"/>, tracked as <see cref="TrackedId"/>): the
/// people first served in that step, <c>baseline</c> against <c>rollout</c>, so a step's guardrails never mix in what
/// people did under an earlier split.
/// </remarks>
public sealed record Rollout
{
    public required string Id { get; init; }
    public string? Name { get; init; }

    /// <summary>The recipe ramped up (null when a model version is).</summary>
    public string? Recipe { get; init; }

    /// <summary>The model version ramped up, served with the baseline recipe (null when a recipe is).</summary>
    public string? ModelVersion { get; init; }

    /// <summary>The recipe everyone else gets, and the control of every step.</summary>
    public string Baseline { get; init; } = Definitions.Recipes.Default;

    /// <summary>The scenarios the rollout applies to; empty = every scenario.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    public IReadOnlyList<RolloutStep> Steps { get; init; } = RolloutStep.Defaults;
    public RolloutGuardrails Guardrails { get; init; } = new();

    /// <summary>Who started it: <c>api</c>, or <c>retraining</c> (a new model version going out through a rollout).</summary>
    public string Origin { get; init; } = "api";

    // ---- kept by the server ------------------------------------------------------------------------------------------------

    public RolloutStatus Status { get; init; } = RolloutStatus.Running;

    /// <summary>The current step's index into <see cref="Steps"/> (0-based; the step number is one more).</summary>
    public int Step { get; init; }

    /// <summary>Every step entered so far, the current one last.</summary>
    public IReadOnlyList<RolloutStepRun> History { get; init; } = [];

    /// <summary>Why it ended: the guardrail that rolled it back, or how it completed.</summary>
    public string? Reason { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The share of people on the new side now (0 once rolled back).</summary>
    [JsonIgnore]
    public double Share => Status == RolloutStatus.Running ? Steps[Step].Percent / 100 : Status == RolloutStatus.Completed ? 1 : 0;

    /// <summary>What an answer under the rollout names as its experiment.</summary>
    [JsonIgnore]
    public string ServedId => "rollout:" + Id;

    /// <summary>The id a step is tracked (and its exposures stored) under; never an experiment's (those have no ':').</summary>
    public string TrackedId(int number) => $"rollout:{Id}:{number}";

    /// <summary>Step <paramref name="number"/> (1-based, an entry of <see cref="History"/>) as a two-variant experiment.</summary>
    public Experiment AsExperiment(int number)
    {
        var run = History[number - 1];
        double share = run.Percent / 100;
        IReadOnlyList<ExperimentVariant> variants =
            [new ExperimentVariant("baseline", Baseline, 1 - share), new ExperimentVariant("rollout", Recipe ?? Baseline, share)];
        bool current = Status == RolloutStatus.Running && number == Step + 1;
        return new Experiment
        {
            Id = TrackedId(number),
            Name = $"{Name ?? Id}: step {number} ({run.Percent:G4} %)",
            Variants = variants,
            Scenarios = Scenarios,
            Metrics = new ExperimentMetrics(Guardrails.Metric, [], [Metrics.ErrorRate, Metrics.LatencyP99]),
            // The sequential test: a rollout is read every few seconds.
            Analysis = new ExperimentAnalysis { Sequential = true, Cuped = false, PrePeriodDays = 0, Correction = "none", Alpha = Guardrails.Alpha },
            Status = current ? ExperimentStatus.Running : ExperimentStatus.Stopped,
            Phases = [new ExperimentPhase(1, run.StartedAt, run.EndedAt, variants, 1, $"step {number}", run.EventSeq)],
            CreatedAt = run.StartedAt,
            UpdatedAt = run.EndedAt ?? run.StartedAt,
        };
    }
}

/// <param name="Percent">The share of people on the new side during the step, in (0, 100].</param>
/// <param name="WaitMinutes">How long the step lasts at least (it also waits for <see cref="RolloutGuardrails.MinAnswers"/>).</param>
public sealed record RolloutStep(double Percent, double WaitMinutes)
{
    public const double DefaultWaitMinutes = 60;

    public static IReadOnlyList<RolloutStep> Defaults { get; } = Of([1, 5, 25, 50, 100], DefaultWaitMinutes);

    public static IReadOnlyList<RolloutStep> Of(IEnumerable<double> percents, double waitMinutes) => [.. percents.Select(p => new RolloutStep(p, waitMinutes))];
}

/// <summary>One step as it ran.</summary>
/// <param name="Number">1, 2, …</param>
/// <param name="EventSeq">The store's newest event seq when the step began: its results are rebuilt from the events after it.</param>
/// <param name="Outcome">How it ended (<c>passed</c>, <c>rolled back</c>, <c>stopped</c>) with what its guardrails read; null while it runs.</param>
public sealed record RolloutStepRun(int Number, double Percent, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long EventSeq, string? Outcome = null);

/// <summary>What rolls a step back. Checked continuously; a step passes only when none breached once its wait is over.</summary>
public sealed record RolloutGuardrails
{
    /// <summary>The new side's error rate may not pass this (and be significantly above the baseline's). <value>Default 0.01.</value></summary>
    public double MaxErrorRate { get; init; } = 0.01;

    /// <summary>An absolute cap on the new side's p99 latency in ms; null = none. <value>Default null.</value></summary>
    public double? MaxLatencyP99Ms { get; init; }

    /// <summary>The new side's p99 may exceed the baseline's by this fraction at most… <value>Default 0.5 (+50 %).</value></summary>
    public double MaxLatencyIncrease { get; init; } = 0.5;

    /// <summary>…and a breach must also be this many ms above the baseline's p99 (sub-millisecond noise is not a regression).
    /// <value>Default 2 ms.</value></summary>
    public double LatencyToleranceMs { get; init; } = 2;

    /// <summary>The metric that may not be significantly worse under the sequential test. <value>Default conversion.</value></summary>
    public string Metric { get; init; } = Metrics.Conversion;

    /// <summary>Answers the new side must serve in a step before its error rate is read, and before the step may pass.
    /// <value>Default 100.</value></summary>
    public int MinAnswers { get; init; } = 100;

    /// <summary>Answers each side must serve in a step before p99 latencies are compared (a p99 of 100 answers is their
    /// maximum, one pause of the collector). <value>Default 1,000.</value></summary>
    public int LatencyMinAnswers { get; init; } = 1000;

    /// <summary>The significance level of the metric and error-rate tests. <value>Default 0.05.</value></summary>
    public double Alpha { get; init; } = 0.05;
}

[JsonConverter(typeof(JsonStringEnumConverter<RolloutStatus>))]
public enum RolloutStatus
{
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("rolled-back")] RolledBack,
}
