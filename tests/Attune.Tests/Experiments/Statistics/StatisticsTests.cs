using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>Sufficient statistics, CUPED θ, SRM and number formatting on small known answers.</summary>
public sealed class StatisticsTests
{
    [Fact]
    public void ComputeThetaMatchesGbstatsSharedModelsTest()
    {
        // tests/test_shared_models.py: pre (0.3, 0.5, 0.9, 22), post (2, 1, 5, 3) in both arms → θ = 0.01864 (5 places).
        var post = new SampleMeanStatistic(4, 11, 39);
        var pre = new SampleMeanStatistic(4, 23.7, 485.15);
        var arm = new RegressionAdjustedStatistic(4, post, pre, 71.6, null);
        Assert.Equal(0.018637909653276857, Cuped.ComputeTheta(arm, arm), 12);

        // Second half of that test: all pre values 0 → no variance to regress on → θ = 0, and tests fall back to the post metric.
        var flat = new RegressionAdjustedStatistic(4, post, new SampleMeanStatistic(4, 0, 0), 0, null);
        Assert.Equal(0, Cuped.ComputeTheta(flat, flat));
        var (a, b) = Cuped.CreateThetaAdjustedStatistics(flat, flat);
        Assert.Same(post, a);
        Assert.Same(post, b);
    }

    [Fact]
    public void MeansAndVariancesAreGbstats()
    {
        var mean = new SampleMeanStatistic(10, 100, 1002.25);
        Assert.Equal(10, mean.Mean);
        Assert.Equal((1002.25 - 1000) / 9, mean.Variance, 15);
        var proportion = new ProportionStatistic(100, 49);
        Assert.Equal(0.49 * 0.51, proportion.Variance, 15);
        Assert.Equal(0, new SampleMeanStatistic(1, 5, 25).Variance);
        Assert.True(new ProportionStatistic(0, 0).HasZeroVariance);
    }

    [Fact]
    public void CupedStatisticRejectsMixedKinds() =>
        Assert.Throws<ArgumentException>(() => new RegressionAdjustedStatistic(10, new SampleMeanStatistic(10, 1, 1), new ProportionStatistic(10, 1), 0, null));

    [Fact]
    public void SrmIsOneWithoutUsersAndSkipsZeroWeights()
    {
        Assert.Equal(1, SampleRatioMismatch.PValue([0, 0], [0.5, 0.5]));
        // A zero-weight arm adds nothing to χ² but still counts in the degrees of freedom (k − 1 = 2), as in gbstats.
        double p = SampleRatioMismatch.PValue([1000, 1100, 5], [0.5, 0.5, 0]);
        Assert.Equal(0.09243633382665456, p, 12); // gbstats check_srm
        Assert.True(SampleRatioMismatch.IsMismatch(0.0009));
        Assert.False(SampleRatioMismatch.IsMismatch(0.001));
        Assert.Throws<ArgumentException>(() => SampleRatioMismatch.PValue([1, 2], [1.0]));
    }

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(1.0, "1.0")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(0.7073170731707317, "0.7073170731707317")]
    [InlineData(9.61313209064585e-41, "9.61313209064585e-41")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(-2.5e-300, "-2.5e-300")]
    public void NumbersAreWrittenAsPythonReprWritesThem(double value, string expected) => Assert.Equal(expected, PythonFloat.Repr(value));
}
