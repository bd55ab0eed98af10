namespace Attune.Experiments.Statistics;

/// <summary>
/// The one-sided always-valid tests (gbstats <c>SequentialOneSidedTreatmentLesserTTest</c>, whose Greater twin only flips
/// <see cref="Lesser"/>): CI from the eq. 134 halfwidth; the p-value has no closed form, so it is the alpha at which the
/// interval's finite end touches 0, found by bisection on [1e-5, 0.4999] to 1e-6 (gbstats <c>compute_p_value</c>).
/// </summary>
public abstract class SequentialOneSidedTTest(Statistic control, Statistic treatment, SequentialConfig? config)
    : SequentialTTest(control, treatment, config ?? new SequentialConfig())
{
    /// <summary>True for "treatment is lesser": the interval is (−∞, estimate + halfwidth).</summary>
    protected abstract bool Lesser { get; }

    /// <inheritdoc/>
    protected override bool SequentialOneSidedTest => true;

    /// <summary>The eq. 134 halfwidth at this test's n and alpha.</summary>
    public double Halfwidth => HalfwidthAt(MomentsResult, Alpha);

    /// <inheritdoc/>
    public override Interval ConfidenceInterval => OneSided(MomentsResult.PointEstimate, Halfwidth, Lesser);

    /// <summary>Null: see <see cref="ComputePValue"/>.</summary>
    public override double? PValue => null;

    private double HalfwidthAt(EffectMomentsResult moments, double alpha) =>
        ConfidenceSequence.OneSidedHalfwidth(UnitVariance(moments, N), N, alpha, Rho);

    /// <inheritdoc/>
    protected override (double? PValue, string? Error) ComputePValue()
    {
        const double tolerance = 1e-6;
        const int maxIterations = 100;
        double minAlpha = 1e-5, maxAlpha = 0.4999;
        // gbstats builds a fresh test per alpha with the same ρ and difference type but default settings otherwise, so its
        // moments are the plain (never post-stratified) ones of the θ-adjusted pair.
        var moments = Config.PostStratify
            ? new EffectMoments(Control, Treatment, MomentsDifferenceType).ComputeResult()
            : MomentsResult;

        double smallEnd = FiniteEnd(moments, minAlpha);
        if (Lesser)
        {
            if (smallEnd < 0) return (minAlpha, null);
            if (FiniteEnd(moments, maxAlpha) > 0) return (maxAlpha, null);
        }
        else
        {
            if (smallEnd > 0) return (minAlpha, null);
            if (FiniteEnd(moments, maxAlpha) < 0) return (maxAlpha, null);
        }
        double alpha = 0.5 * (minAlpha + maxAlpha);
        double diff = 0;
        for (int i = 0; i < maxIterations; i++)
        {
            diff = FiniteEnd(moments, alpha);
            // A smaller alpha widens the interval.
            if (Lesser ? diff > 0 : diff < 0) minAlpha = alpha;
            else maxAlpha = alpha;
            alpha = 0.5 * (minAlpha + maxAlpha);
            if (Math.Abs(diff) < tolerance) break;
        }
        return Math.Abs(diff) < tolerance ? (alpha, null) : (null, Messages.NumericalPValueNotConverged);
    }

    /// <summary>The interval's finite end at <paramref name="alpha"/>.</summary>
    private double FiniteEnd(EffectMomentsResult moments, double alpha)
    {
        var ci = OneSided(moments.PointEstimate, HalfwidthAt(moments, alpha), Lesser);
        return Lesser ? ci.Upper : ci.Lower;
    }
}
