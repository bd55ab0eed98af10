namespace Attune.Experiments.Statistics;

/// <summary>
/// What the Bayesian tests share (gbstats <c>bayesian/tests.py</c> <c>BayesianABTest</c>): chance to win, the uninformative
/// output and scaled impact.
/// </summary>
public abstract class BayesianABTest : ABTest
{
    protected BayesianABTest(Statistic control, Statistic treatment, BayesianConfig config) : base(control, treatment, config) =>
        Inverse = config.Inverse;

    /// <summary>Lower is better for this metric.</summary>
    public bool Inverse { get; }

    /// <inheritdoc/>
    public abstract override BayesianTestResult ComputeResult();

    /// <summary>P(effect &gt; 0) for effect ~ N(mean, std²), or P(effect &lt; 0) when <see cref="Inverse"/>.</summary>
    public double ChanceToWin(double meanDiff, double stdDiff)
    {
        double sf = NormalDistribution.Cdf(meanDiff / stdDiff); // scipy norm.sf(0, mean, std)
        return Inverse ? 1 - sf : sf;
    }

    /// <summary>gbstats' uninformative output: chance to win ½, effect 0, interval (0, 0), risk (0, 0).</summary>
    protected BayesianTestResult DefaultOutput(string? errorMessage) =>
        new(0, new Interval(0, 0), Uplift.Normal(0, 0), errorMessage, 0.5, new Risk(0, 0), RiskType);

    /// <summary><c>"relative"</c> or <c>"absolute"</c> (scaled impact counts as absolute).</summary>
    protected string RiskType => Relative ? "relative" : "absolute";

    /// <summary>Multiplies effect, interval and uplift by daily users (gbstats <c>scale_result</c>); chance to win and risk stay.</summary>
    protected BayesianTestResult ScaleResult(BayesianTestResult result)
    {
        if (Config.PhaseLengthDays == 0 || Config.TrafficPercentage == 0) return DefaultOutput(Messages.ZeroScaledVariation);
        if (!ScaledImpactEligible) return DefaultOutput(Messages.BayesianScaledImpactIneligible);
        if (DailyUsers is not { } k) return DefaultOutput(Messages.NoUnitsInVariation);
        return result with
        {
            Expected = result.Expected * k,
            Ci = new Interval(result.Ci.Lower * k, result.Ci.Upper * k),
            Uplift = result.Uplift with { Mean = result.Uplift.Mean * k, StdDev = result.Uplift.StdDev * k },
            ErrorMessage = null,
        };
    }
}
