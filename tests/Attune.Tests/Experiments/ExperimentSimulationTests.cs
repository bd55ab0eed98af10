using Attune.Experiments.Definitions;
using Attune.Tests.Experiments.Simulation;

namespace Attune.Tests.Experiments;

/// <summary>
/// Small, seeded versions of the harness's <c>experiment-aa</c> and <c>experiment-ab</c> (docs/benchmarks.md, "Experiments:
/// simulated A/B and A/A"): quality floors with generous bands, not the benchmark figures.
/// </summary>
public sealed class ExperimentSimulationTests
{
    [Fact]
    public void AaExperimentsReadOnceAtTheEndAreFalsePositivesAboutFivePercentOfTheTime()
    {
        // Act
        var report = AaSimulation.Run(new AaSimulation.Options { Experiments = 200, Seed = 11, Peeking = false });

        // Assert: 5 % expected; 200 experiments give a standard deviation of 1.5 points.
        Assert.Equal(200, report.Judged);
        Assert.InRange(report.FixedHorizon, 2, 22);
    }

    [Fact]
    public async Task DemoShoppersBuyMoreFromTheDefaultRecipeAndTheExperimentSeesIt()
    {
        using var dir = TestPaths.NewTempDirectory();

        // Act
        var report = await AbSimulation.RunAsync(new AbSimulation.Options
        {
            Users = 4000, Items = 1000, HistoryDays = 30, Shoppers = 4000, Days = 7, Seed = 3,
        }, dir.Path);

        // Assert
        Assert.Equal(4000, report.Phase.Variants.Sum(v => v.People));
        Assert.True(report.TruthOf(Metrics.Conversion).Lift > 0.1, $"true lift {report.TruthOf(Metrics.Conversion).Lift:P1}");
        Assert.True(report.Metric(Metrics.Conversion).Variants[1].Difference!.Expected > 0);
        Assert.NotEqual("stop: worse", report.Phase.Verdict.Decision);
        Assert.False(report.Phase.SampleRatioMismatch);
    }
}
