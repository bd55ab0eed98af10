using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Evaluation.OffPolicy;

namespace Attune.Decisions.Evaluation;

/// <summary>Other settings to try on a point's log.</summary>
/// <param name="Learn">True: a fresh learner with these settings learns through the log as it goes (what the settings would
/// have done from the start). False: the point's current learner, frozen, with this exploration (what it would do now).</param>
public sealed record CandidatePolicy(string Name, ExplorationSettings Exploration, LearningSettings Learning, bool Learn = true);

/// <summary>One logged decision (one slot) with its reward, as the evaluator reads it.</summary>
/// <param name="Available">Which actions the logging policy could choose (probability above 0): the candidates choose among the same.</param>
public sealed record LoggedRound(FeatureSet Context, FeatureSet[] Actions, bool[] Available, int Chosen, double Propensity, double Reward, ulong Seed);

/// <summary>A policy's estimated value: the primary estimator's value and bootstrap interval, every estimator, the support.</summary>
/// <param name="EffectiveSampleSize">Kish's effective sample size of the importance weights.</param>
/// <param name="WeakSupport">The effective sample size is under 1 % of the log: the log says little about this policy.</param>
public sealed record PolicyEstimate(string Policy, double Value, double Lower, double Upper, double EffectiveSampleSize, bool WeakSupport,
    IReadOnlyDictionary<string, double> Estimates);

/// <summary>The logged policy's value, each candidate's, and which would have done better.</summary>
/// <param name="Better">Candidates whose interval's lower end is above the logged policy's value, best first.</param>
public sealed record EvaluationReport(int Rounds, string Estimator, PolicyEstimate Logged, IReadOnlyList<PolicyEstimate> Candidates, IReadOnlyList<string> Better);

/// <summary>
/// Off-policy evaluation of a decision point's settings on its own log: each candidate's probabilities in every logged
/// context, weighed against the logged propensities by OBP's estimators (<see cref="OffPolicyEstimators"/>). The reward
/// model is a learner trained through the log progressively (each round predicted before it is learned from), so the
/// doubly robust estimators stay unbiased.
/// </summary>
public static class PolicyEvaluator
{
    /// <summary>Under this share of the log, an effective sample size is weak support.</summary>
    public const double WeakSupportShare = 0.01;

    public static EvaluationReport Evaluate(IReadOnlyList<LoggedRound> rounds, IReadOnlyList<CandidatePolicy> candidates, CbLearner? current,
        string estimator = "dr", double lambda = 100, int bootstrapSamples = 1000, int seed = 12345)
    {
        if (rounds.Count == 0) throw new ArgumentException("no rewarded decision to evaluate on", nameof(rounds));
        if (!OffPolicyEstimators.Names.Contains(estimator)) throw new ArgumentException($"unknown estimator '{estimator}'", nameof(estimator));
        int n = rounds.Count;
        var modelled = RewardModel(rounds);

        var reward = new double[n];
        for (int i = 0; i < n; i++) reward[i] = rounds[i].Reward;
        // The logged policy's own value is the mean logged reward (on-policy: every weight is 1).
        var (loggedLower, loggedUpper) = OffPolicyEstimators.BootstrapInterval(reward, samples: bootstrapSamples, seed: seed);
        double mean = reward.Average();
        var logged = new PolicyEstimate("logged", mean, loggedLower, loggedUpper, n, false,
            OffPolicyEstimators.Names.ToDictionary(e => e, _ => mean, StringComparer.Ordinal));

        var estimates = new List<PolicyEstimate>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var learner = candidate.Learn ? new CbLearner(candidate.Learning) : current ?? throw new ArgumentException(
                $"candidate '{candidate.Name}' evaluates the current learner, and the point has none", nameof(candidates));
            var weights = new double[n];
            var direct = new double[n];
            for (int i = 0; i < n; i++)
            {
                var round = rounds[i];
                var pi = Probabilities(learner, candidate.Exploration, round);
                weights[i] = pi[round.Chosen] / round.Propensity;
                direct[i] = Dot(pi, modelled[i]);
                if (candidate.Learn) learner.Learn(round.Context, round.Actions[round.Chosen], (float)round.Reward, (float)round.Propensity);
            }
            estimates.Add(Estimate(candidate.Name, new OffPolicyEstimators.Rounds(weights, reward, Chosen(rounds, modelled), direct), estimator, lambda, bootstrapSamples, seed));
        }
        var better = estimates.Where(e => e.Lower > logged.Value).OrderByDescending(e => e.Value).Select(e => e.Policy).ToList();
        return new EvaluationReport(n, estimator, logged, estimates, better);
    }

    /// <summary>The candidate's probability of each action in the round (0 for actions the logging policy could not choose).</summary>
    public static double[] Probabilities(CbLearner learner, ExplorationSettings exploration, LoggedRound round)
    {
        int available = 0;
        foreach (bool a in round.Available) if (a) available++;
        var pool = new FeatureSet[available];
        var index = new int[available];
        for (int a = 0, k = 0; a < round.Actions.Length; a++)
        {
            if (!round.Available[a]) continue;
            pool[k] = round.Actions[a];
            index[k++] = a;
        }
        var scores = new float[available];
        bool thompson = exploration.Algorithm == ExplorationAlgorithm.Thompson;
        var deviations = thompson ? new float[available] : [];
        learner.Score(round.Context, pool, scores, deviations);
        var p = new double[available];
        Explorer.Probabilities(exploration, scores, deviations, learner.Examples, round.Seed, p);
        var full = new double[round.Actions.Length];
        for (int k = 0; k < available; k++) full[index[k]] = p[k];
        return full;
    }

    private static PolicyEstimate Estimate(string name, OffPolicyEstimators.Rounds r, string estimator, double lambda, int samples, int seed)
    {
        var all = new Dictionary<string, double>(StringComparer.Ordinal);
        double[] primary = [];
        foreach (var e in OffPolicyEstimators.Names)
        {
            var values = OffPolicyEstimators.RoundValues(e, r, lambda);
            all[e] = values.Average();
            if (e == estimator) primary = values;
        }
        var (lower, upper) = OffPolicyEstimators.BootstrapInterval(primary, samples: samples, seed: seed);
        double ess = OffPolicyEstimators.EffectiveSampleSize(r.Weight);
        return new PolicyEstimate(name, all[estimator], lower, upper, ess, ess < WeakSupportShare * r.Count, all);
    }

    /// <summary>The reward model's value of every action in every round, predicted before that round is learned from.</summary>
    private static double[][] RewardModel(IReadOnlyList<LoggedRound> rounds)
    {
        var model = new CbLearner(LearningSettings.Default with { ImportanceWeightCap = 1 });
        var values = new double[rounds.Count][];
        for (int i = 0; i < rounds.Count; i++)
        {
            var round = rounds[i];
            var scores = new float[round.Actions.Length];
            model.Score(round.Context, round.Actions, scores);
            values[i] = new double[scores.Length];
            for (int a = 0; a < scores.Length; a++) values[i][a] = Math.Clamp(scores[a], 0, 1);
            model.Learn(round.Context, round.Actions[round.Chosen], (float)round.Reward, 1f);
        }
        return values;
    }

    private static double[] Chosen(IReadOnlyList<LoggedRound> rounds, double[][] modelled)
    {
        var q = new double[rounds.Count];
        for (int i = 0; i < q.Length; i++) q[i] = modelled[i][rounds[i].Chosen];
        return q;
    }

    private static double Dot(double[] p, double[] q)
    {
        double s = 0;
        for (int a = 0; a < p.Length; a++) s += p[a] * q[a];
        return s;
    }
}
