using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>The corrections against GrowthBook's own tests (packages/shared/test/experiments.test.ts, "pvalue correction method").</summary>
public sealed class MultipleTestingCorrectionTests
{
    [Fact]
    public void HolmBonferroniMatchesGrowthBook()
    {
        var result = MultipleTestingCorrection.Adjust([0.01, 0.04, 0.03, 0.005, 0.55, 0.6], PValueCorrection.HolmBonferroni);
        // GrowthBook lists them sorted: 0.03 (index 3), 0.05 (0), 0.12 (2), 0.12 (1), 1 (4), 1 (5).
        AssertValues([0.05, 0.12, 0.12, 0.03, 1, 1], result.Values);
        Assert.Equal("holm-bonferroni", result.MethodName);
    }

    [Fact]
    public void BenjaminiHochbergMatchesGrowthBook()
    {
        var result = MultipleTestingCorrection.Adjust([0.898, 0.138, 0.007, 0.964, 0.538, 0.006, 0.138], PValueCorrection.BenjaminiHochberg);
        AssertValues([0.964, 0.2415, 0.0245, 0.964, 0.7532, 0.0245, 0.2415], result.Values);
        Assert.Equal("benjamini-hochberg", result.MethodName);
    }

    [Fact]
    public void TwoMetricsOfOneVariationAsInGrowthBooksResultsTest()
    {
        AssertValues([0.05, 0.05], MultipleTestingCorrection.Adjust([0.025, 0.03], PValueCorrection.HolmBonferroni).Values);
        AssertValues([0.03, 0.03], MultipleTestingCorrection.Adjust([0.025, 0.03], PValueCorrection.BenjaminiHochberg).Values);
    }

    [Fact]
    public void MissingPValuesStayOutOfTheFamily()
    {
        var result = MultipleTestingCorrection.Adjust([0.01, null, 0.02], PValueCorrection.HolmBonferroni);
        AssertValues([0.02, null, 0.02], result.Values);
    }

    [Fact]
    public void AdjustedIntervalMatchesGrowthBook()
    {
        // adjustedCI(0.049999999, 0.1, 0.05) rounds to [0, 0.2]; an adjusted p of 1 means no interval at all.
        var ci = MultipleTestingCorrection.AdjustedConfidenceInterval(0.049999999, 0.1, 0.05, new Interval(0.05, 0.15));
        Assert.Equal(0, Math.Round(ci.Lower, 8));
        Assert.Equal(0.2, Math.Round(ci.Upper, 8));
        Assert.True(ci.Lower > 0 && ci.Upper < 0.2);
        Assert.Equal(new Interval(double.NegativeInfinity, double.PositiveInfinity),
            MultipleTestingCorrection.AdjustedConfidenceInterval(1, 0.1, 0.05, new Interval(0.05, 0.15)));
        // Never narrower than the unadjusted interval.
        Assert.Equal(new Interval(-1, 1), MultipleTestingCorrection.AdjustedConfidenceInterval(0.04, 0.1, 0.05, new Interval(-1, 1)));
    }

    private static void AssertValues(double?[] expected, IReadOnlyList<double?> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] is null) Assert.Null(actual[i]);
            else Assert.Equal(expected[i]!.Value, Math.Round(actual[i]!.Value, 8), 10);
        }
    }
}
