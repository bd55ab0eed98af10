using Attune.Decisions.Evaluation;
using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Decisions.Simulation;

namespace Attune.Tests.Decisions;

/// <summary>Off-policy evaluation of a decision point's candidate settings, against a simulation whose true values are known.</summary>
public sealed class PolicyEvaluationTests(ITestOutputHelper output)
{
    /// <summary>A uniformly random log of <paramref name="rounds"/> decisions of the audience, with the click probabilities of each.</summary>
    private static (List<LoggedRound> Log, List<double[]> Truth) UniformLog(SimulatedAudience audience, int rounds, ulong seed)
    {
        var log = new List<LoggedRound>(rounds);
        var truth = new List<double[]>(rounds);
        var random = new SplitMix(seed);
        int k = audience.Actions.Length;
        var available = Enumerable.Repeat(true, k).ToArray();
        for (int i = 0; i < rounds; i++)
        {
            var context = new FeatureSet();
            var p = new double[k];
            audience.Next(context, p);
            int chosen = (int)(random.Next() % (ulong)k);
            log.Add(new LoggedRound(context, audience.Actions, available, chosen, 1.0 / k, audience.Reward(p[chosen]), random.Next()));
            truth.Add(p);
        }
        return (log, truth);
    }

    [Fact]
    public void TheIntervalOfAFrozenCandidateCoversItsTrueValueInAtLeast90PercentOf200SeededRuns()
    {
        int covered = 0, weak = 0;
        var exploration = new ExplorationSettings { Algorithm = ExplorationAlgorithm.EpsilonGreedy, Epsilon = 0.1 };
        for (ulong seed = 1; seed <= 200; seed++)
        {
            // A learner trained online on the audience, then frozen: the policy whose value the log must tell.
            var policy = new DecisionPolicy(new CbLearner(LearningSettings.Default), ExplorationSettings.Default);
            BanditSimulation.Run("warm", policy, seed, decisions: 3_000);
            var audience = new SimulatedAudience(seed);
            var (log, truth) = UniformLog(audience, 2_000, seed * 977);

            var report = PolicyEvaluator.Evaluate(log, [new CandidatePolicy("frozen", exploration, LearningSettings.Default, Learn: false)], policy.Learner,
                estimator: "dr", bootstrapSamples: 500, seed: (int)seed);
            double trueValue = 0;
            for (int i = 0; i < log.Count; i++)
            {
                var pi = PolicyEvaluator.Probabilities(policy.Learner, exploration, log[i]);
                for (int a = 0; a < pi.Length; a++) trueValue += pi[a] * truth[i][a];
            }
            trueValue /= log.Count;
            var estimate = report.Candidates[0];
            if (estimate.Lower <= trueValue && trueValue <= estimate.Upper) covered++;
            if (estimate.WeakSupport) weak++;
            if (seed <= 3)
                output.WriteLine($"seed {seed}: true {trueValue:F4}, DR {estimate.Value:F4} [{estimate.Lower:F4}, {estimate.Upper:F4}], logged {report.Logged.Value:F4}, ESS {estimate.EffectiveSampleSize:F0}");
        }
        output.WriteLine($"covered {covered} of 200");
        Assert.True(covered >= 180, $"the interval covered the true value in {covered} of 200 runs");
        Assert.Equal(0, weak);
    }

    [Fact]
    public void AClearlyBetterCandidateIsNamedAndAPolicyTheLogCannotSupportIsFlagged()
    {
        var audience = new SimulatedAudience(5);
        var (log, _) = UniformLog(audience, 4_000, 5);
        var trained = new DecisionPolicy(new CbLearner(LearningSettings.Default), ExplorationSettings.Default);
        BanditSimulation.Run("warm", trained, 5, decisions: 5_000);
        var report = PolicyEvaluator.Evaluate(log,
        [
            new CandidatePolicy("greedy-trained", new ExplorationSettings { Algorithm = ExplorationAlgorithm.EpsilonGreedy, Epsilon = 0 }, LearningSettings.Default, Learn: false),
            new CandidatePolicy("learning", ExplorationSettings.Default, LearningSettings.Default),
        ], trained.Learner);
        output.WriteLine(string.Join("\n", report.Candidates.Select(c => $"{c.Policy}: {c.Value:F4} [{c.Lower:F4}, {c.Upper:F4}] ESS {c.EffectiveSampleSize:F0}")));
        Assert.Equal("greedy-trained", report.Better[0]); // far above the uniform log's 0.15 or so
        Assert.True(report.Candidates[0].Value > report.Logged.Value + 0.1);

        // On a log where one action was almost never tried, a policy that always picks it rests on a handful of rounds.
        var skewed = log.Select((r, i) => r with { Propensity = r.Chosen == 0 ? 0.001 : (1 - 0.001) / 9 }).Where((r, i) => r.Chosen != 0 || i % 100 == 0).ToList();
        var always0 = new CbLearner(LearningSettings.Default);
        for (int i = 0; i < 200; i++) always0.Learn(skewed[0].Context, audience.Actions[0], 1, 1); // learns: action 0 is best everywhere
        var flagged = PolicyEvaluator.Evaluate(skewed,
            [new CandidatePolicy("always-0", new ExplorationSettings { Algorithm = ExplorationAlgorithm.EpsilonGreedy, Epsilon = 0 }, LearningSettings.Default, Learn: false)], always0);
        Assert.True(flagged.Candidates[0].WeakSupport, $"ESS {flagged.Candidates[0].EffectiveSampleSize:F1} of {flagged.Rounds}");
    }
}
