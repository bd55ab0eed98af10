using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>
/// The hand-written Student t against 40-digit values (mpmath 1.2.1: betainc and findroot), and the MathNet-backed normal and
/// chi-square against scipy 1.10.
/// </summary>
public sealed class DistributionTests
{
    [Theory]
    [InlineData(-1.96, 30, 0.029671156448025238157, 1e-12)]
    [InlineData(-40, 10.3, 6.1048469487137723916e-13, 1e-12)]
    [InlineData(1.0, 30, 0.83734569228698505438, 1e-13)]
    [InlineData(-5, 6866.2, 2.9375864346449818751e-7, 1e-12)]
    [InlineData(-1.96, 100000, 0.024999281597150819017, 1e-13)]
    [InlineData(2.3, 100000, 0.98927486544533989087, 1e-12)]
    [InlineData(-1.96, 1e7, 0.024997909012657096147, 1e-13)]
    [InlineData(-5, 1e8, 2.8665205506336430084e-7, 1e-13)]
    [InlineData(-3, 1e9, 0.0013498980648689578339, 1e-13)]
    [InlineData(-35.570364790801975, 52223170.62869546, 2.0280615674269705135e-277, 1e-12)]
    [InlineData(-2.5, 1, 0.12111894159084342, 1e-13)] // Cauchy: ½ + atan(x)/π
    public void StudentTCdfMatchesHighPrecision(double t, double dof, double expected, double relative) =>
        AssertRelative(expected, StudentTDistribution.Cdf(t, dof), relative);

    [Theory]
    [InlineData(0.975, 5, 2.5705818356363147828, 1e-13)] // scipy 1.10 says 2.5705818366147395: its cdflib search stops at 4e-10
    [InlineData(0.9995, 1.5, 82.847446703663695734, 1e-12)]
    [InlineData(1e-07, 2.7, -368.11461638235830235, 1e-12)]
    [InlineData(1e-07, 5, -39.341819616899587839, 1e-12)]
    [InlineData(0.95, 30, 1.6972608865939573837, 1e-13)]
    [InlineData(0.975, 100000, 1.9599877075346092587, 1e-13)]
    [InlineData(0.05, 1e7, -1.6448537793284016474, 1e-13)]
    [InlineData(0.975, 1e9, 1.9599639869123250887, 1e-13)]
    [InlineData(0.99999, 1.5, 1124.5001233846193508, 1e-11)] // past MathNet's ±800 search range
    public void StudentTQuantileMatchesHighPrecision(double p, double dof, double expected, double relative) =>
        AssertRelative(expected, StudentTDistribution.Quantile(p, dof), relative);

    [Fact]
    public void StudentTQuantileInvertsTheCdf()
    {
        foreach (double dof in new[] { 1.0, 2.5, 17, 3000, 250_000 })
        {
            foreach (double p in new[] { 1e-9, 0.001, 0.2, 0.5, 0.8, 0.975, 1 - 1e-6 })
                AssertRelative(p, StudentTDistribution.Cdf(StudentTDistribution.Quantile(p, dof), dof), 1e-11);
        }
    }

    [Fact]
    public void StudentTEdgesAreDefined()
    {
        Assert.Equal(double.PositiveInfinity, StudentTDistribution.Quantile(1, 10));
        Assert.Equal(double.NegativeInfinity, StudentTDistribution.Quantile(0, 10));
        Assert.Equal(0, StudentTDistribution.Quantile(0.5, 10));
        Assert.Equal(1, StudentTDistribution.Cdf(double.PositiveInfinity, 10));
        Assert.True(double.IsNaN(StudentTDistribution.Cdf(1, 0)));
        Assert.True(double.IsNaN(StudentTDistribution.Quantile(0.9, double.NaN)));
        Assert.Equal(NormalDistribution.Quantile(0.975), StudentTDistribution.Quantile(0.975, double.PositiveInfinity));
    }

    [Theory]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(1e-12, -7.034483825301132)]
    [InlineData(0.3, -0.5244005127080407)]
    public void NormalQuantileMatchesScipy(double p, double expected) =>
        AssertRelative(expected, NormalDistribution.Quantile(p), 1e-14);

    [Theory]
    [InlineData(-8, 6.22096057427178e-16)]
    [InlineData(1.5, 0.9331927987311419)]
    public void NormalCdfMatchesScipy(double x, double expected) => AssertRelative(expected, NormalDistribution.Cdf(x), 1e-13);

    [Fact]
    public void SrmPValueIsTheChiSquareUpperTailNotOneMinusTheCdf()
    {
        // 1000 vs 1250 at 50/50: χ² = 27.78 on 1 degree of freedom, p = erfc(√(χ²/2)) = 1.3608022911357306e-07 (mpmath).
        AssertRelative(1.3608022911357306e-07, SampleRatioMismatch.PValue([1000, 1250], [0.5, 0.5]), 1e-12);
    }

    private static void AssertRelative(double expected, double actual, double relative) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{actual:R}, expected {expected:R} (relative {relative:G2})");
}
