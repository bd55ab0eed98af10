using System.Text.Json;
using Attune.Evaluation.OffPolicy;

namespace Attune.Tests.Evaluation;

/// <summary>Off-policy estimators with Open Bandit Pipeline's definitions: by hand on a small log, and exactly on the OBD files.</summary>
public sealed class OffPolicyTests
{
    // Two actions, one position; the logging policy showed action 0 with probability 0.8, action 1 with 0.2.
    private static BanditLog Small() => new([0, 0, 1, 0, 1], [0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0.8, 0.8, 0.2, 0.8, 0.2], 2, 1);

    // The evaluation policy: action 1 with probability 0.6.
    private static ActionDistribution Policy() => new(new double[,] { { 0.4 }, { 0.6 } });

    [Fact]
    public void EachEstimatorMatchesItsDefinitionOnASmallLog()
    {
        var log = Small();
        var q = RewardModel.CtrTable(log, 2, 1);
        Assert.Equal(1.0 / 3, q[0, 0], 12); // one click in three rounds of action 0
        Assert.Equal(0.5, q[1, 0], 12);
        // Weights: action 0 → 0.4 / 0.8 = 0.5, action 1 → 0.6 / 0.2 = 3.
        double[] w = [0.5, 0.5, 3, 0.5, 3];
        double[] r = [1, 0, 1, 0, 0];
        double[] qa = [1.0 / 3, 1.0 / 3, 0.5, 1.0 / 3, 0.5];
        double dm = 0.4 * (1.0 / 3) + 0.6 * 0.5;
        Assert.Equal(w.Zip(r, (a, b) => a * b).Average(), OffPolicyEstimators.Estimate("ipw", log, Policy(), q, 100), 12);
        Assert.Equal(w.Zip(r, (a, b) => a * b).Sum() / w.Sum(), OffPolicyEstimators.Estimate("snipw", log, Policy(), q, 100), 12);
        Assert.Equal(dm, OffPolicyEstimators.Estimate("dm", log, Policy(), q, 100), 12);
        double Dr(Func<double, double> f) => Enumerable.Range(0, 5).Average(i => dm + f(w[i]) * (r[i] - qa[i]));
        Assert.Equal(Dr(x => x), OffPolicyEstimators.Estimate("dr", log, Policy(), q, 100), 12);
        Assert.Equal(Dr(x => x / w.Average()), OffPolicyEstimators.Estimate("sndr", log, Policy(), q, 100), 12);
        Assert.Equal(Dr(x => x <= 1 ? x : 0), OffPolicyEstimators.Estimate("switch-dr", log, Policy(), q, 1), 12);
        Assert.Equal(Dr(x => 2 * x / (x * x + 2)), OffPolicyEstimators.Estimate("dr-os", log, Policy(), q, 2), 12);
        // λ = 0 switches every weight off (and shrinks it to 0): the direct method.
        Assert.Equal(dm, OffPolicyEstimators.Estimate("switch-dr", log, Policy(), q, 0), 12);
        Assert.Equal(dm, OffPolicyEstimators.Estimate("dr-os", log, Policy(), q, 0), 12);
        Assert.Throws<ArgumentException>(() => OffPolicyEstimators.Estimate("magic", log, Policy(), q, 1));
    }

    [Fact]
    public void TheIntervalResamplesTheRoundsAndTheEffectiveSampleSizeCountsTheWeights()
    {
        var log = Small();
        // (Σw)² / Σw² with weights 0.5, 0.5, 3, 0.5, 3: 7.5² / 18.75.
        Assert.Equal(3.0, OffPolicyEstimators.EffectiveSampleSize(log, Policy()), 12);
        var rounds = OffPolicyEstimators.RoundValues("ipw", log, Policy(), RewardModel.CtrTable(log, 2, 1), 100);
        Assert.Equal(OffPolicyEstimators.Estimate("ipw", log, Policy(), RewardModel.CtrTable(log, 2, 1), 100), rounds.Average(), 12);
        var (lower, upper) = OffPolicyEstimators.BootstrapInterval(rounds);
        Assert.True(lower < rounds.Average() && rounds.Average() < upper, $"[{lower}, {upper}]");
        Assert.True(lower >= rounds.Min() && upper <= rounds.Max());
        Assert.Equal((lower, upper), OffPolicyEstimators.BootstrapInterval(rounds)); // seeded
        Assert.Equal((0.25, 0.25), OffPolicyEstimators.BootstrapInterval([0.25, 0.25, 0.25]));
    }

    [Fact]
    public void OnTheOpenBanditDatasetEveryEstimateMatchesTheReferenceTo1e10()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "shared datasets (../shared/datasets) not present");
        string dir = Path.Combine(TestPaths.SharedDatasets!, "bandits-obd-men");
        var setting = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference.json"))).RootElement.GetProperty("settings")[0];
        Assert.Equal("random", setting.GetProperty("behavior_policy").GetString());
        var log = BanditLog.ReadObd(Path.Combine(dir, "random_men.csv"));
        var policy = ActionDistribution.ReadCsv(Path.Combine(dir, "action_dist_bts_men.csv"));
        Assert.Equal(setting.GetProperty("n_rounds").GetInt32(), log.Rounds);
        Assert.Equal(setting.GetProperty("n_actions").GetInt32(), policy.Actions);
        Assert.Equal(setting.GetProperty("len_list").GetInt32(), policy.Positions);
        Assert.Equal(setting.GetProperty("clicks_in_log").GetInt32(), (int)log.Reward.Sum());

        var q = RewardModel.CtrTable(log, policy.Actions, policy.Positions);
        var table = setting.GetProperty("reward_model_ctr_table");
        for (int a = 0; a < policy.Actions; a++)
            for (int k = 0; k < policy.Positions; k++) Assert.Equal(table[a][k].GetDouble(), q[a, k], 12);
        foreach (var expected in setting.GetProperty("estimates_with_ctr_table_reward_model").EnumerateObject())
        {
            double value = OffPolicyEstimators.Estimate(expected.Name, log, policy, q, lambda: 100);
            Assert.True(Math.Abs(value - expected.Value.GetDouble()) <= 1e-10, $"{expected.Name}: {value:R} against {expected.Value.GetDouble():R}");
        }
    }
}
