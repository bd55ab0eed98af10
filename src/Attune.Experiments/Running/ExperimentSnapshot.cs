namespace Attune.Experiments.Running;

/// <summary>
/// An experiment's cumulative results at one moment (its current phase): per metric and variant the people, the value and
/// the lift with its interval. Kept at intervals while it runs, they draw the lift over time.
/// </summary>
public sealed record ExperimentSnapshot(string ExperimentId, DateTimeOffset At, int Phase, IReadOnlyList<SnapshotMetric> Metrics)
{
    /// <summary>The last phase of <paramref name="results"/>; null when it has none yet.</summary>
    public static ExperimentSnapshot? From(ResultsOutput results, DateTimeOffset at)
    {
        if (results.Phases.Count == 0) return null;
        var phase = results.Phases[^1];
        var metrics = new List<SnapshotMetric>();
        foreach (var metric in phase.Metrics)
        {
            foreach (var row in metric.Variants)
            {
                var d = row.Difference;
                metrics.Add(new SnapshotMetric(metric.Id, metric.Role, row.Key, row.People, row.Value, d?.Expected,
                    d?.Ci is [var lo, _] ? lo : null, d?.Ci is [_, var hi] ? hi : null));
            }
        }
        return new ExperimentSnapshot(results.Id, at, phase.Number, metrics);
    }
}

/// <param name="Role">primary, secondary or guardrail.</param>
/// <param name="Lift">Against the control (null for the control itself, or before a test can be made).</param>
/// <param name="Low">The interval's low end.</param>
/// <param name="High">The interval's high end.</param>
public sealed record SnapshotMetric(string Metric, string Role, string Variant, long People, double Value, double? Lift, double? Low, double? High);
