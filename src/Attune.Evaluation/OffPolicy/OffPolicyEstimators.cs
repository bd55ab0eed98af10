namespace Attune.Evaluation.OffPolicy;

/// <summary>
/// Off-policy estimators of an evaluation policy's value from a log of another policy, with Open Bandit Pipeline's
/// definitions (Saito et al. 2021). Per round i at logged position k_i, with w_i = π(a_i, k_i) / p_i and a reward model
/// q(a, k): IPW = mean(w r); SNIPW = Σ w r / Σ w; DM = mean Σ_a π(a, k_i) q(a, k_i); DR = DM_i + w (r − q(a_i, k_i));
/// SNDR: DR with w / mean(w); Switch-DR(λ): DR with w·1[w ≤ λ]; DRos(λ): DR with w·λ / (w² + λ).
/// </summary>
public static class OffPolicyEstimators
{
    /// <summary>The estimators by name, as <c>attune ope --estimators</c> takes them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ipw", "snipw", "dm", "dr", "sndr", "switch-dr", "dr-os"];

    /// <summary>The value of <paramref name="policy"/> by estimator <paramref name="name"/>: the mean of <see cref="RoundValues"/>.</summary>
    /// <param name="lambda">Switch-DR's weight threshold and DRos's shrinkage (OBP's <c>lambda_</c>).</param>
    /// <exception cref="ArgumentException">An unknown estimator, or a policy over other actions or positions than the log's.</exception>
    public static double Estimate(string name, BanditLog log, ActionDistribution policy, RewardModel rewards, double lambda) =>
        Mean(RoundValues(name, log, policy, rewards, lambda));

    /// <summary>
    /// Each round's contribution to the estimate (OBP's <c>_estimate_round_rewards</c>): their mean is the estimate, and
    /// resampling them gives its bootstrap interval. The self-normalized estimators divide by the whole log's mean weight.
    /// </summary>
    public static double[] RoundValues(string name, BanditLog log, ActionDistribution policy, RewardModel rewards, double lambda)
    {
        if (policy.Actions < log.Actions || policy.Positions < log.Positions)
            throw new ArgumentException($"the policy covers {policy.Actions} actions × {policy.Positions} positions, the log {log.Actions} × {log.Positions}");
        int n = log.Rounds;
        // The policy's value under the reward model depends on the position only: once per position, not per round.
        var byPosition = new double[log.Positions];
        for (int k = 0; k < byPosition.Length; k++) byPosition[k] = Direct(policy, rewards, k);
        var rounds = new Rounds(new double[n], log.Reward, new double[n], new double[n]);
        for (int i = 0; i < n; i++)
        {
            rounds.Weight[i] = Weight(log, policy, i);
            rounds.Modelled[i] = rewards[log.Action[i], log.Position[i]];
            rounds.Direct[i] = byPosition[log.Position[i]];
        }
        return RoundValues(name, rounds, lambda);
    }

    /// <summary>
    /// What every estimator needs of each round, whatever the policy and the reward model: a context-dependent policy (a
    /// decision point's candidate settings) is evaluated through this form.
    /// </summary>
    /// <param name="Weight">π(logged action | context) / logged propensity.</param>
    /// <param name="Reward">The logged reward.</param>
    /// <param name="Modelled">The reward model's value of the logged action in the round's context.</param>
    /// <param name="Direct">The reward model's value of the policy in the round's context: Σ_a π(a | x) q(x, a).</param>
    public sealed record Rounds(double[] Weight, double[] Reward, double[] Modelled, double[] Direct)
    {
        public int Count => Weight.Length;
    }

    /// <summary>Each round's contribution to the estimate, from the rounds' weights, rewards and reward-model values.</summary>
    public static double[] RoundValues(string name, Rounds rounds, double lambda)
    {
        int n = rounds.Count;
        var values = new double[n];
        double meanWeight = 0;
        for (int i = 0; i < n; i++) meanWeight += rounds.Weight[i];
        meanWeight /= n;
        Func<double, double>? doubly = null;
        switch (name)
        {
            case "ipw":
                for (int i = 0; i < n; i++) values[i] = rounds.Weight[i] * rounds.Reward[i];
                return values;
            case "snipw":
                for (int i = 0; i < n; i++) values[i] = rounds.Weight[i] / meanWeight * rounds.Reward[i];
                return values;
            case "dm":
                for (int i = 0; i < n; i++) values[i] = rounds.Direct[i];
                return values;
            case "dr":
                doubly = w => w;
                break;
            case "sndr":
                doubly = w => w / meanWeight;
                break;
            case "switch-dr":
                if (!(lambda >= 0)) throw new ArgumentException("lambda must be 0 or more");
                doubly = w => w <= lambda ? w : 0;
                break;
            case "dr-os":
                if (!(lambda >= 0)) throw new ArgumentException("lambda must be 0 or more");
                doubly = w => lambda * w / (w * w + lambda);
                break;
            default:
                throw new ArgumentException($"unknown estimator '{name}'; known: {string.Join(", ", Names)}");
        }
        for (int i = 0; i < n; i++)
            values[i] = rounds.Direct[i] + doubly(rounds.Weight[i]) * (rounds.Reward[i] - rounds.Modelled[i]);
        return values;
    }

    /// <summary>Kish's effective sample size of the rounds' importance weights, (Σw)² / Σw².</summary>
    public static double EffectiveSampleSize(double[] weights)
    {
        double sum = 0, squares = 0;
        foreach (double w in weights)
        {
            sum += w;
            squares += w * w;
        }
        return squares > 0 ? sum * sum / squares : 0;
    }

    /// <summary>
    /// The percentile bootstrap interval of the mean of <paramref name="values"/> (OBP's
    /// <c>estimate_confidence_interval_by_bootstrap</c>): <paramref name="samples"/> resamples with replacement, seeded.
    /// </summary>
    public static (double Lower, double Upper) BootstrapInterval(double[] values, double alpha = 0.05, int samples = 1000, int seed = 12345)
    {
        var random = new Random(seed);
        var means = new double[samples];
        int n = values.Length;
        for (int b = 0; b < samples; b++)
        {
            double sum = 0;
            for (int k = 0; k < n; k++) sum += values[random.Next(n)];
            means[b] = sum / n;
        }
        Array.Sort(means);
        return (Quantile(means, alpha / 2), Quantile(means, 1 - alpha / 2));
    }

    /// <summary>Kish's effective sample size of the importance weights, (Σw)² / Σw²: how many rounds the estimate rests on.</summary>
    public static double EffectiveSampleSize(BanditLog log, ActionDistribution policy)
    {
        double sum = 0, squares = 0;
        for (int i = 0; i < log.Rounds; i++)
        {
            double w = Weight(log, policy, i);
            sum += w;
            squares += w * w;
        }
        return squares > 0 ? sum * sum / squares : 0;
    }

    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    private static double Mean(double[] values)
    {
        double sum = 0;
        foreach (double v in values) sum += v;
        return sum / values.Length;
    }

    private static double Weight(BanditLog log, ActionDistribution policy, int i) =>
        policy[log.Action[i], log.Position[i]] / log.Propensity[i];

    /// <summary>
    /// The reward model's value of the policy at position k: Σ_a π(a, k) q(a, k) / Σ_a π(a, k) (OBP's <c>np.average</c>
    /// with the policy as weights: the same for a distribution that sums to 1 at each position).
    /// </summary>
    private static double Direct(ActionDistribution policy, RewardModel rewards, int k)
    {
        double value = 0, mass = 0;
        for (int a = 0; a < policy.Actions; a++)
        {
            value += policy[a, k] * rewards[a, k];
            mass += policy[a, k];
        }
        return mass > 0 ? value / mass : 0;
    }
}

/// <summary>A reward model q(action, position), the same for every round (no context).</summary>
public sealed class RewardModel(double[,] expected)
{
    public double this[int action, int position] => action < expected.GetLength(0) && position < expected.GetLength(1) ? expected[action, position] : 0;

    /// <summary>
    /// The click-rate table: q(a, k) = the mean reward of the log's rounds with action a at position k, the log's mean reward
    /// where it has none (<c>--reward-model ctr-table</c>): deterministic, so estimates can be checked exactly.
    /// </summary>
    public static RewardModel CtrTable(BanditLog log, int actions, int positions)
    {
        var sums = new double[actions, positions];
        var counts = new int[actions, positions];
        double total = 0;
        for (int i = 0; i < log.Rounds; i++)
        {
            sums[log.Action[i], log.Position[i]] += log.Reward[i];
            counts[log.Action[i], log.Position[i]]++;
            total += log.Reward[i];
        }
        double mean = total / log.Rounds;
        var q = new double[actions, positions];
        for (int a = 0; a < actions; a++)
            for (int k = 0; k < positions; k++) q[a, k] = counts[a, k] > 0 ? sums[a, k] / counts[a, k] : mean;
        return new RewardModel(q);
    }
}
