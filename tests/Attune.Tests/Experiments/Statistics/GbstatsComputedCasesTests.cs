using System.Text.Json;
using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>The engine against gbstats' own output on requests beyond the reference file (<see cref="GbstatsComputedCases"/>).</summary>
public sealed class GbstatsComputedCasesTests
{
    public static TheoryData<string> Ids() => [.. GbstatsComputedCases.All.Select(c => c.Id)];

    [Theory]
    [MemberData(nameof(Ids))]
    public void EngineMatchesGbstats(string id)
    {
        var c = GbstatsComputedCases.All.Single(x => x.Id == id);
        var actual = JsonDocument.Parse(StatisticsJson.Analyze(c.Request)).RootElement;
        ResultAssert.Matches(JsonDocument.Parse(c.Expected).RootElement, actual, c.Id);
    }

    [Fact]
    public void PostStratifyingOnePairDropsCupedWhenOneArmHasNoPreVariance()
    {
        // Same input, with and without post_stratify: gbstats' single-stratum path gives the unadjusted answer.
        var with = JsonDocument.Parse(GbstatsComputedCases.All.Single(c => c.Id == "freq_post_stratify_one_arm_without_pre_variance").Expected);
        var without = JsonDocument.Parse(GbstatsComputedCases.All.Single(c => c.Id == "freq_no_post_stratify_same_input").Expected);
        Assert.NotEqual(with.RootElement.GetProperty("expected").GetDouble(), without.RootElement.GetProperty("expected").GetDouble());
    }
}
