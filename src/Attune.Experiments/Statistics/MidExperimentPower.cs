namespace Attune.Experiments.Statistics;

/// <summary>
/// Mid-experiment power: how many more units the experiment needs to detect <see cref="MidExperimentPowerConfig.TargetMde"/>
/// with the target power, given the variance seen so far (gbstats <c>power/midexperimentpower.py</c> <c>MidExperimentPower</c>).
/// </summary>
/// <remarks>
/// Adding a multiple s of the current sample divides the effect's variance by 1 + s. Power at s is
/// P(reject | effect = MDE) + P(reject the other way), from the normal approximation: z-test halfwidth, the sequential
/// halfwidth, or the posterior with a proper prior. s doubles from 1 until the power is reached (at most 2²⁷), then a bisection
/// finds it to 1e-5 in power.
/// </remarks>
public sealed class MidExperimentPower
{
    private const int MaxIterations = 100;
    private const int MaxIterationsScalingFactor = 27;
    private readonly EffectMomentsResult _moments;
    private readonly TestResult _testResult;
    private readonly double _alpha;
    private readonly int _numTests;
    private readonly double _multiplier;
    private readonly double _targetPower;
    private readonly double _adjustedPower;
    private readonly double _targetMde;
    private readonly GaussianPrior? _prior;
    private readonly bool _sequential;
    private readonly double _sequentialTuningParameter;

    /// <param name="moments">The test's <see cref="ABTest.MomentsResult"/>.</param>
    /// <param name="testResult">The test's result; an error there is passed on.</param>
    /// <param name="config">The test's config (alpha).</param>
    /// <param name="powerConfig">Target power and MDE.</param>
    public MidExperimentPower(EffectMomentsResult moments, TestResult testResult, BaseConfig? config = null,
        MidExperimentPowerConfig? powerConfig = null)
    {
        config ??= new BaseConfig();
        powerConfig ??= new MidExperimentPowerConfig();
        _moments = moments;
        _testResult = testResult;
        _alpha = config.Alpha;
        _numTests = powerConfig.PValueCorrected ? (powerConfig.NumVariations - 1) * powerConfig.NumGoalMetrics : 1;
        _multiplier = NormalDistribution.Quantile(1 - _alpha / (2 * _numTests));
        _targetPower = powerConfig.TargetPower;
        _adjustedPower = Math.Pow(_targetPower, 1.0 / powerConfig.NumGoalMetrics);
        _targetMde = Math.Abs(powerConfig.TargetMde);
        _prior = powerConfig.PriorEffect;
        _sequential = powerConfig.Sequential;
        _sequentialTuningParameter = powerConfig.SequentialTuningParameter;
    }

    /// <summary>Units in both arms so far.</summary>
    public long PairwiseSampleSize => _moments.PairwiseSampleSize;

    /// <summary>The effect's variance so far (0 when the test failed).</summary>
    public double SigmaHat2Delta => _testResult.ErrorMessage is not null ? 0 : Math.Pow(_moments.StandardError, 2);

    /// <summary>The power if <paramref name="scalingFactor"/> times the current sample were added.</summary>
    public double Power(double scalingFactor)
    {
        double nTPrime = scalingFactor * PairwiseSampleSize;
        double adjustedVariance = SigmaHat2Delta / (1 + scalingFactor);
        double partPositive, partNegative;
        if (_prior is { Proper: true } prior)
        {
            double posteriorPrecision = 1 / prior.Variance + 1 / adjustedVariance;
            double num1 = adjustedVariance * Math.Pow(posteriorPrecision, 0.5) * _multiplier;
            double num2 = adjustedVariance * prior.Mean / prior.Variance;
            double num3 = _targetMde;
            double den = Math.Pow(adjustedVariance, 0.5);
            partPositive = 1 - NormalDistribution.Cdf((num1 - num2 - num3) / den);
            partNegative = NormalDistribution.Cdf(-(num1 + num2 + num3) / den);
        }
        else
        {
            double halfwidth;
            if (_sequential)
            {
                double s2 = PairwiseSampleSize * SigmaHat2Delta;
                double nTotal = PairwiseSampleSize + nTPrime;
                double alpha = _alpha / _numTests;
                halfwidth = ConfidenceSequence.TwoSidedHalfwidth(s2, nTotal, alpha,
                    ConfidenceSequence.Rho(alpha, _sequentialTuningParameter, twoSided: true));
            }
            else
            {
                halfwidth = _multiplier * Math.Pow(adjustedVariance, 0.5);
            }
            partPositive = 1 - NormalDistribution.Cdf((halfwidth - _targetMde) / Math.Pow(adjustedVariance, 0.5));
            partNegative = NormalDistribution.Cdf(-(halfwidth + _targetMde) / Math.Pow(adjustedVariance, 0.5));
        }
        return partPositive + partNegative;
    }

    /// <summary>The additional units needed (gbstats <c>calculate_sample_size</c>).</summary>
    /// <exception cref="InvalidOperationException">The bisection did not converge (gbstats raises there too).</exception>
    public AdditionalSampleSizeNeededResult CalculateSampleSize()
    {
        if (_testResult.ErrorMessage is { } error)
            return new AdditionalSampleSizeNeededResult(0, null, false, "unsuccessful", error, _targetPower);
        var (scalingFactor, upperBoundAchieved, converged, scalingError) = CalculateScalingFactor();
        double? additionalUsers = scalingFactor is { } s && s != 0 ? PairwiseSampleSize * s : null;
        if (upperBoundAchieved && scalingFactor is not null)
            return new AdditionalSampleSizeNeededResult(additionalUsers, scalingFactor, true, "successful, upper bound hit", null, _targetPower);
        if (converged && scalingFactor is not null)
            return new AdditionalSampleSizeNeededResult(additionalUsers, scalingFactor, false, "successful", null, _targetPower);
        return new AdditionalSampleSizeNeededResult(null, null, true, "unsuccessful", scalingError, _targetPower);
    }

    /// <summary>The multiple of the current sample still needed (gbstats <c>calculate_scaling_factor</c>).</summary>
    public (double? ScalingFactor, bool UpperBoundAchieved, bool Converged, string? Error) CalculateScalingFactor()
    {
        if (Power(0) > _adjustedPower) return (0, false, true, "");
        double scalingFactor = 1;
        double currentPower = Power(scalingFactor);
        for (int i = 0; i < MaxIterationsScalingFactor; i++)
        {
            if (currentPower >= _adjustedPower) break;
            scalingFactor *= 2;
            currentPower = Power(scalingFactor);
        }
        if (currentPower < _adjustedPower) return (null, true, false, "could not find upper bound for scaling factor");

        double lower = 0, upper = scalingFactor;
        double diff = currentPower - _adjustedPower;
        const double tolerance = 1e-5;
        int iteration = 0;
        for (iteration = 0; iteration < MaxIterations; iteration++)
        {
            if (diff > 0) upper = scalingFactor;
            else lower = scalingFactor;
            scalingFactor = 0.5 * (lower + upper);
            currentPower = Power(scalingFactor);
            diff = currentPower - _adjustedPower;
            if (Math.Abs(diff) < tolerance) break;
        }
        bool converged = iteration < MaxIterations - 1;
        if (!converged)
            throw new InvalidOperationException($"bisection search did not converge: power {currentPower}, target {_adjustedPower}, factor {scalingFactor}");
        return (scalingFactor, false, true, "");
    }
}
