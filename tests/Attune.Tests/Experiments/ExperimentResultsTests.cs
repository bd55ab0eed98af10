using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Tests.Experiments;

/// <summary>Verdicts from tracked sums: a metric decides nothing until it has GrowthBook's minimum sample size.</summary>
public sealed class ExperimentResultsTests
{
    private static readonly ExperimentVariant[] Variants = [new("control", "non-personal", 0.5), new("treatment", "default", 0.5)];

    private static readonly Experiment Definition = new()
    {
        Id = "e",
        Variants = Variants,
        Metrics = new ExperimentMetrics(Metrics.Conversion, [], []),
        Status = ExperimentStatus.Running,
        Phases = [new ExperimentPhase(1, DateTimeOffset.UnixEpoch, null, Variants, 1, "started")],
    };

    private static PhaseResult Read(long controlPeople, double controlBuyers, long treatmentPeople, double treatmentBuyers)
    {
        static VariantSnapshot Variant(long people, double buyers) =>
            new(people, [new MetricSums { Sum = buyers, SumSquares = buyers }], 0, 0, 0, 0);
        var phase = new Dictionary<string, VariantSnapshot>
        {
            ["control"] = Variant(controlPeople, controlBuyers), ["treatment"] = Variant(treatmentPeople, treatmentBuyers),
        };
        var sums = new ExperimentSums([Metrics.BuiltIn[Metrics.Conversion]], [phase]);
        return ExperimentResults.Compute(Definition, sums).Phases[0];
    }

    [Fact]
    public void NineConversionsAgainstOneDecideNothingYet()
    {
        // Day 2 of a simulated A/A experiment (experiment-aa): the relative lift's delta method calls 9 against 1 "p < 0.0001"
        // even with the sequential test, which said stop: worse before the minimum sample size was checked.
        var phase = Read(307, 9, 285, 1);

        var difference = phase.Metrics[0].Variants[1].Difference!;
        Assert.True(difference.PValue < 0.001);
        Assert.False(difference.EnoughData);
        Assert.Equal("keep running", phase.Verdict.Decision);
        Assert.Contains("too little data in conversion", phase.Verdict.Reason);
    }

    [Fact]
    public void AClearDifferenceWithEnoughConversionsIsJudged()
    {
        var worse = Read(3000, 180, 3000, 120);
        Assert.True(worse.Metrics[0].Variants[1].Difference!.EnoughData);
        Assert.Equal(("stop: worse", "treatment"), (worse.Verdict.Decision, worse.Verdict.Variant));

        // 150 in the larger variant is enough (GrowthBook's rule), however few the other has.
        var better = Read(3000, 60, 3000, 150);
        Assert.True(better.Metrics[0].Variants[1].Difference!.EnoughData);
        Assert.Equal(("ship", "treatment"), (better.Verdict.Decision, better.Verdict.Variant));
        Assert.False(Read(3000, 60, 3000, 149).Metrics[0].Variants[1].Difference!.EnoughData);
    }
}
