using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>The power search against gbstats' tests/test_midexperimentpower.py (scaling factors asserted there to 4 places).</summary>
public sealed class MidExperimentPowerTests
{
    private static readonly SampleMeanStatistic Control = new(500, 499.99999999999994, 1499.999999999999);
    private static readonly SampleMeanStatistic Treatment = new(500, 525.0000000000008, 1551.2499999999998);
    private static readonly GaussianPrior Informative = new(0.05, 0.001, true);

    private static MidExperimentPowerConfig Config(GaussianPrior? prior = null, bool sequential = false) => new()
    {
        TargetPower = 0.8,
        TargetMde = 0.05,
        NumGoalMetrics = 1,
        NumVariations = 2,
        PriorEffect = prior,
        Sequential = sequential,
        SequentialTuningParameter = 5000,
    };

    [Fact]
    public void FrequentistScalingFactorMatchesGbstats()
    {
        var test = new TwoSidedTTest(Control, Treatment, new FrequentistConfig { Alpha = 0.05 });
        var power = new MidExperimentPower(test.MomentsResult, test.ComputeResult(), new BaseConfig { Alpha = 0.05 }, Config());
        var factor = power.CalculateScalingFactor().ScalingFactor!.Value;
        Assert.Equal(25.45703125, factor, 4);
        Assert.Equal(0.8, power.Power(factor), 4);
    }

    [Fact]
    public void SequentialScalingFactorMatchesGbstats()
    {
        var test = new SequentialTwoSidedTTest(Control, Treatment, new SequentialConfig { Alpha = 0.05 });
        var power = new MidExperimentPower(test.MomentsResult, test.ComputeResult(), new BaseConfig { Alpha = 0.05 }, Config(sequential: true));
        var factor = power.CalculateScalingFactor().ScalingFactor!.Value;
        Assert.Equal(55.66796875, factor, 4);
        Assert.Equal(0.8, power.Power(factor), 4);
    }

    [Fact]
    public void BayesianScalingFactorMatchesGbstats()
    {
        var test = new EffectBayesianABTest(Control, Treatment, new EffectBayesianConfig { PriorEffect = Informative, Alpha = 0.05 });
        var power = new MidExperimentPower(test.MomentsResult, test.ComputeResult(), new BaseConfig { Alpha = 0.05 }, Config(Informative));
        Assert.Equal(13.9404296875, power.CalculateScalingFactor().ScalingFactor!.Value, 4);
    }

    [Fact]
    public void SampleSizeSaysHowManyMorePeopleAreNeeded()
    {
        var test = new TwoSidedTTest(Control, Treatment);
        var result = new MidExperimentPower(test.MomentsResult, test.ComputeResult(), null, Config()).CalculateSampleSize();
        Assert.Equal("successful", result.UpdateMessage);
        Assert.Equal(1000 * 25.45703125, result.AdditionalUsers!.Value, 1);
    }

    [Fact]
    public void AFailedTestGivesNoSampleSize()
    {
        var test = new TwoSidedTTest(new SampleMeanStatistic(1, 1, 1), Treatment);
        var result = new MidExperimentPower(test.MomentsResult, test.ComputeResult(), null, Config()).CalculateSampleSize();
        Assert.Equal("unsuccessful", result.UpdateMessage);
        Assert.Equal(Messages.ZeroNegativeVariance, result.Error);
    }
}
