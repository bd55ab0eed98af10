namespace Attune.Experiments.Statistics;

/// <summary>
/// Asymptotic confidence sequences (Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas, "Time-uniform central limit theory and
/// asymptotic confidence sequences", arXiv 2103.06476v7): intervals that stay valid however often the results are looked at.
/// Mirrors gbstats <c>sequential_rho</c>, <c>sequential_interval_halfwidth</c> and <c>sequential_interval_halfwidth_one_sided</c>.
/// </summary>
public static class ConfidenceSequence
{
    /// <summary>
    /// ρ = √((−2 ln α′ + ln(−2 ln α′ + 1)) / N*), α′ = α (two-sided) or 2α (one-sided): the mixing parameter that makes the
    /// sequence tightest at N* units (eq. 161).
    /// </summary>
    public static double Rho(double alpha, double tuningParameter, bool twoSided)
    {
        double a = twoSided ? alpha : 2 * alpha;
        return Math.Sqrt((-2 * Math.Log(a) + Math.Log(-2 * Math.Log(a) + 1)) / tuningParameter);
    }

    /// <summary>
    /// Two-sided halfwidth at n units (eq. 9): √s² · √(2(nρ² + 1)·ln(√(nρ² + 1)/α) / (nρ)²), where s² = se²·n.
    /// </summary>
    public static double TwoSidedHalfwidth(double s2, double n, double alpha, double rho)
    {
        double nRho2 = n * Math.Pow(rho, 2);
        return Math.Sqrt(s2) * Math.Sqrt(2 * (nRho2 + 1) * Math.Log(Math.Sqrt(nRho2 + 1) / alpha) / Math.Pow(n * rho, 2));
    }

    /// <summary>One-sided halfwidth at n units (eq. 134): √(s² · 2(nρ² + 1)/(nρ)² · ln(1 + √(nρ² + 1)/(2α))).</summary>
    public static double OneSidedHalfwidth(double s2, double n, double alpha, double rho)
    {
        double nRho2 = n * Math.Pow(rho, 2);
        double part2 = 2 * (nRho2 + 1) / Math.Pow(n * rho, 2);
        double part3 = Math.Log(1 + Math.Sqrt(nRho2 + 1) / (2 * alpha));
        return Math.Sqrt(s2 * part2 * part3);
    }
}
