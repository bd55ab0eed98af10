namespace Attune.Experiments.Statistics;

/// <summary>
/// The always-valid t-tests: intervals from <see cref="ConfidenceSequence"/> instead of the t distribution, so an experiment
/// may be stopped at any look (gbstats <c>SequentialTTest</c>).
/// </summary>
public abstract class SequentialTTest : TTest
{
    private readonly double? _rho;

    protected SequentialTTest(Statistic control, Statistic treatment, SequentialConfig config) : base(control, treatment, config)
    {
        SequentialTuningParameter = config.SequentialTuningParameter;
        _rho = config.Rho;
    }

    /// <summary>N*, where the sequence is tightest.</summary>
    public double SequentialTuningParameter { get; }

    /// <summary>ρ as given, or from N* and alpha for this test's sides (<see cref="ConfidenceSequence.Rho"/>).</summary>
    public double Rho => _rho ?? ConfidenceSequence.Rho(Alpha, SequentialTuningParameter, twoSided: !SequentialOneSidedTest);

    /// <summary>s² = se²·n, the per-unit variance the sequence's halfwidth scales with.</summary>
    protected static double UnitVariance(EffectMomentsResult moments, long n) => Math.Pow(moments.StandardError, 2) * n;
}
