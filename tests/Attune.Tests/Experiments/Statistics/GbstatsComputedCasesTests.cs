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
        // Control's pre-period is constant: gbstats' single-stratum post-stratification analyses the post-period means alone,
        // while the plain test still regresses on the pooled pre-period (whose variance is positive).
        var request = StatisticsJson.ParseRequest(GbstatsComputedCases.All.Single(c => c.Id == "freq_post_stratify_one_arm_without_pre_variance").Request);
        var control = (RegressionAdjustedStatistic)request.Control;
        var treatment = (RegressionAdjustedStatistic)request.Treatment;
        var stratified = request.Run();
        var postOnly = new TwoSidedTTest(control.PostStatistic, treatment.PostStatistic).ComputeResult();
        var plain = new TwoSidedTTest(control, treatment).ComputeResult();
        Assert.Equal(postOnly.Expected, stratified.Expected);
        Assert.Equal(postOnly.Uplift, stratified.Uplift);
        Assert.NotEqual(plain.Expected, stratified.Expected);
        // The degrees of freedom still come from the θ-adjusted pair, as in gbstats, so the interval is not postOnly's.
        Assert.NotEqual(postOnly.Ci, stratified.Ci);
    }
}
