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

    /// <summary>The value of <paramref name="policy"/> by estimator <paramref name="name"/>.</summary>
    /// <param name="lambda">Switch-DR's weight threshold and DRos's shrinkage (OBP's <c>lambda_</c>).</param>
    /// <exception cref="ArgumentException">An unknown estimator, or a policy over other actions or positions than the log's.</exception>
    public static double Estimate(string name, BanditLog log, ActionDistribution policy, RewardModel rewards, double lambda)
    {
        if (policy.Actions < log.Actions || policy.Positions < log.Positions)
            throw new ArgumentException($"the policy covers {policy.Actions} actions × {policy.Positions} positions, the log {log.Actions} × {log.Positions}");
        int n = log.Rounds;
        double sum = 0, weights = 0;
        switch (name)
        {
            case "ipw":
                for (int i = 0; i < n; i++) sum += Weight(log, policy, i) * log.Reward[i];
                return sum / n;
            case "snipw":
                for (int i = 0; i < n; i++)
                {
                    double w = Weight(log, policy, i);
                    sum += w * log.Reward[i];
                    weights += w;
                }
                return sum / weights;
            case "dm":
                for (int i = 0; i < n; i++) sum += Direct(log, policy, rewards, i);
                return sum / n;
            case "dr":
                return Doubly(log, policy, rewards, w => w);
            case "sndr":
                for (int i = 0; i < n; i++) weights += Weight(log, policy, i);
                double mean = weights / n;
                return Doubly(log, policy, rewards, w => w / mean);
            case "switch-dr":
                if (!(lambda >= 0)) throw new ArgumentException("lambda must be 0 or more");
                return Doubly(log, policy, rewards, w => w <= lambda ? w : 0);
            case "dr-os":
                if (!(lambda >= 0)) throw new ArgumentException("lambda must be 0 or more");
                return Doubly(log, policy, rewards, w => lambda * w / (w * w + lambda));
            default:
                throw new ArgumentException($"unknown estimator '{name}'; known: {string.Join(", ", Names)}");
        }
    }

    private static double Weight(BanditLog log, ActionDistribution policy, int i) =>
        policy[log.Action[i], log.Position[i]] / log.Propensity[i];

    /// <summary>
    /// The reward model's value of the policy at round i's position: Σ_a π(a, k_i) q(a, k_i) / Σ_a π(a, k_i) (OBP's
    /// <c>np.average</c> with the policy as weights: the same for a distribution that sums to 1 at each position).
    /// </summary>
    private static double Direct(BanditLog log, ActionDistribution policy, RewardModel rewards, int i)
    {
        int k = log.Position[i];
        double value = 0, mass = 0;
        for (int a = 0; a < policy.Actions; a++)
        {
            value += policy[a, k] * rewards[a, k];
            mass += policy[a, k];
        }
        return mass > 0 ? value / mass : 0;
    }

    private static double Doubly(BanditLog log, ActionDistribution policy, RewardModel rewards, Func<double, double> weight)
    {
        double sum = 0;
        for (int i = 0; i < log.Rounds; i++)
        {
            double w = weight(Weight(log, policy, i));
            sum += Direct(log, policy, rewards, i) + w * (log.Reward[i] - rewards[log.Action[i], log.Position[i]]);
        }
        return sum / log.Rounds;
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
