using MathNet.Numerics.Distributions;

namespace Attune.Experiments.Statistics;

/// <summary>
/// The standard normal distribution as gbstats uses it (<c>scipy.stats.norm</c>), plus the mean of a half-truncated normal
/// (gbstats <c>utils.truncated_normal_mean</c>, for Bayesian risk).
/// </summary>
/// <remarks>MathNet.Numerics computes Φ through erfc and Φ⁻¹ through erfc⁻¹: both agree with scipy to about 1e-15 in our tests.</remarks>
public static class NormalDistribution
{
    private static readonly double InverseSqrt2Pi = 1 / Math.Sqrt(2 * Math.PI);

    /// <summary>Φ(x) = P(Z ≤ x).</summary>
    public static double Cdf(double x) => Normal.CDF(0, 1, x);

    /// <summary>Φ⁻¹(p), the quantile; scipy's <c>norm.ppf(p, loc, scale)</c> is <c>Quantile(p) * scale + loc</c>.</summary>
    public static double Quantile(double p) => Normal.InvCDF(0, 1, p);

    /// <summary>φ(x), the density.</summary>
    public static double Pdf(double x) => Math.Exp(-0.5 * x * x) * InverseSqrt2Pi;

    /// <summary>
    /// E[X | a &lt; X &lt; b] for X ~ N(mu, sigma²) where one bound is infinite: gbstats <c>truncated_normal_mean</c>, including its
    /// first-order Mills-ratio shortcut once the finite bound is 1,000 standard deviations out (where scipy's truncnorm fails).
    /// </summary>
    public static double TruncatedMean(double mu, double sigma, double a, double b)
    {
        double alpha = (a - mu) / sigma, beta = (b - mu) / sigma;
        const double threshold = 1e3;
        if (double.IsNegativeInfinity(a) && beta <= -threshold) return b + sigma / beta;
        if (double.IsPositiveInfinity(b) && alpha >= threshold) return a + sigma / alpha;
        if (double.IsNegativeInfinity(a) && double.IsPositiveInfinity(b)) return mu;
        // X < b: mu − sigma φ(β)/Φ(β).  X > a: mu + sigma φ(α)/Φ(−α).
        if (double.IsNegativeInfinity(a)) return mu - sigma * Pdf(beta) / Cdf(beta);
        if (double.IsPositiveInfinity(b)) return mu + sigma * Pdf(alpha) / Cdf(-alpha);
        throw new ArgumentException("one bound must be infinite: gbstats only truncates at zero on one side");
    }
}
