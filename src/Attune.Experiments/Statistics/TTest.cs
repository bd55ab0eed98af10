namespace Attune.Experiments.Statistics;

/// <summary>
/// Welch's unequal-variance t-test on the effect (gbstats <c>frequentist/tests.py</c> <c>TTest</c>): t = (estimate − test value)/se
/// with Welch–Satterthwaite degrees of freedom; the subclasses choose the sides.
/// </summary>
public abstract class TTest : ABTest
{
    protected TTest(Statistic control, Statistic treatment, FrequentistConfig config) : base(control, treatment, config) =>
        TestValue = config.TestValue;

    /// <summary>The effect under the null hypothesis.</summary>
    public double TestValue { get; }

    /// <summary>The t statistic, (estimate − test value)/se.</summary>
    public double CriticalValue => (MomentsResult.PointEstimate - TestValue) / MomentsResult.StandardError;

    /// <summary>Welch–Satterthwaite: (s_b²/n_b + s_a²/n_a)² / (s_b⁴/(n_b²(n_b − 1)) + s_a⁴/(n_a²(n_a − 1))).</summary>
    public double Dof
    {
        get
        {
            double va = Control.Variance, vb = Treatment.Variance;
            long na = Control.N, nb = Treatment.N;
            return Math.Pow(vb / nb + va / na, 2) / (Math.Pow(vb, 2) / SquareTimesPredecessor(nb) + Math.Pow(va, 2) / SquareTimesPredecessor(na));
        }
    }

    /// <summary>n²(n − 1), exact before the one rounding to double, as gbstats' Python integers are.</summary>
    private static double SquareTimesPredecessor(long n) => (double)((Int128)n * n * (n - 1));

    /// <summary>The p-value of the test's side(s); null where it has to be searched for (<see cref="ComputePValue"/>).</summary>
    public abstract double? PValue { get; }

    /// <summary>The confidence interval at <see cref="ABTest.Alpha"/>.</summary>
    public abstract Interval ConfidenceInterval { get; }

    /// <summary>True for the sequential one-sided tests, which need alpha &lt; 0.5.</summary>
    protected virtual bool SequentialOneSidedTest => false;

    /// <summary>The p-value and, when it could not be computed, why.</summary>
    protected virtual (double? PValue, string? Error) ComputePValue() => (PValue, null);

    /// <inheritdoc/>
    public override FrequentistTestResult ComputeResult()
    {
        if (MomentsResult.ErrorMessage is { } error) return DefaultOutput(error);
        if (SequentialOneSidedTest && Alpha >= 0.5) return DefaultOutput(null, Messages.SequentialOneSidedAlphaTooBig);
        var (pValue, pValueError) = ComputePValue();
        var result = new FrequentistTestResult(MomentsResult.PointEstimate, ConfidenceInterval,
            Uplift.Normal(MomentsResult.PointEstimate, MomentsResult.StandardError), null, pValue, pValueError);
        return Scaled ? ScaleResult(result) : result;
    }

    /// <summary>gbstats' uninformative output: effect 0, interval (0, 0), p-value 1.</summary>
    protected static FrequentistTestResult DefaultOutput(string? errorMessage, string? pValueErrorMessage = null) =>
        new(0, new Interval(0, 0), Uplift.Normal(0, 0), errorMessage, 1, pValueErrorMessage);

    private FrequentistTestResult ScaleResult(FrequentistTestResult result)
    {
        if (Config.PhaseLengthDays == 0 || Config.TrafficPercentage == 0) return DefaultOutput(Messages.ZeroScaledVariation);
        if (!ScaledImpactEligible) return DefaultOutput(Messages.FrequentistScaledImpactIneligible);
        if (DailyUsers is not { } k) return DefaultOutput(Messages.NoUnitsInVariation);
        return result with
        {
            Expected = result.Expected * k,
            Ci = new Interval(result.Ci.Lower * k, result.Ci.Upper * k),
            Uplift = result.Uplift with { Mean = result.Uplift.Mean * k, StdDev = result.Uplift.StdDev * k },
            ErrorMessage = null,
        };
    }

    /// <summary>(estimate − halfwidth, estimate + halfwidth).</summary>
    protected static Interval TwoSided(double estimate, double halfwidth) => new(estimate - halfwidth, estimate + halfwidth);

    /// <summary>(−∞, estimate + halfwidth) for "lesser", (estimate − halfwidth, ∞) for "greater".</summary>
    protected static Interval OneSided(double estimate, double halfwidth, bool lesser) =>
        lesser ? new Interval(double.NegativeInfinity, estimate + halfwidth) : new Interval(estimate - halfwidth, double.PositiveInfinity);
}
