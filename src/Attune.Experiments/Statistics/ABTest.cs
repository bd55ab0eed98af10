namespace Attune.Experiments.Statistics;

/// <summary>
/// A comparison of one treatment with control on one metric (gbstats <c>models/tests.py</c> <c>BaseABTest</c>). The constructor
/// does what gbstats' does: set the pooled CUPED θ (<see cref="Cuped.CreateThetaAdjustedStatistics"/>), then compute the effect's
/// moments (<see cref="EffectMoments"/>), which every subclass turns into its own interval and p-value or posterior.
/// </summary>
/// <remarks>
/// gbstats takes a list of (control, treatment) pairs, one per stratum, and sums them; this engine takes one pair, which is what
/// the analysis of an experiment (as opposed to its post-stratification by pre-exposure strata) needs.
/// </remarks>
public abstract class ABTest
{
    protected ABTest(Statistic control, Statistic treatment, BaseConfig config)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(treatment);
        ArgumentNullException.ThrowIfNull(config);
        (Control, Treatment) = Cuped.CreateThetaAdjustedStatistics(control, treatment);
        Config = config;
        Alpha = config.Alpha;
        Relative = config.DifferenceType == DifferenceType.Relative;
        Scaled = config.DifferenceType == DifferenceType.Scaled;
        MomentsResult = config.PostStratify
            ? PostStratification.ComputeMoments(control, treatment, Control, Treatment, MomentsDifferenceType)
            : new EffectMoments(Control, Treatment, MomentsDifferenceType).ComputeResult();
    }

    /// <summary>Control's statistic after the θ adjustment (gbstats <c>stat_a</c>).</summary>
    public Statistic Control { get; }

    /// <summary>Treatment's statistic after the θ adjustment (gbstats <c>stat_b</c>).</summary>
    public Statistic Treatment { get; }

    public BaseConfig Config { get; }
    public double Alpha { get; }
    public bool Relative { get; }
    public bool Scaled { get; }

    /// <summary>The effect's estimate and standard error (what <see cref="MidExperimentPower"/> works from).</summary>
    public EffectMomentsResult MomentsResult { get; }

    /// <summary>Units in both arms.</summary>
    public long N => Control.N + Treatment.N;

    /// <summary>Moments are computed on the absolute scale for <see cref="DifferenceType.Scaled"/>.</summary>
    protected DifferenceType MomentsDifferenceType => Relative ? DifferenceType.Relative : DifferenceType.Absolute;

    /// <summary>Scaled impact needs per-user metrics: proportions, means and CUPED means, not ratios or quantiles.</summary>
    public bool ScaledImpactEligible => IsScaledImpactStatistic(Control) && IsScaledImpactStatistic(Treatment);

    private static bool IsScaledImpactStatistic(Statistic s) => s is SumStatistic or RegressionAdjustedStatistic;

    /// <summary>Runs the test; never throws for bad statistics, which give <see cref="TestResult.ErrorMessage"/> instead.</summary>
    public abstract TestResult ComputeResult();

    /// <summary>Users per day in the experiment's traffic: the factor of scaled impact, or null when there is nothing to scale by.</summary>
    protected double? DailyUsers => Config.TotalUsers is { } total && total != 0
        ? total / (Config.TrafficPercentage * Config.PhaseLengthDays)
        : null;
}
