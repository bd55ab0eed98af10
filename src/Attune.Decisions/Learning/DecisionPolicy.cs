using Attune.Decisions.Features;

namespace Attune.Decisions.Learning;

/// <summary>One ranking: the chosen action, each action's probability and predicted reward, and the order to show them in.</summary>
/// <param name="Chosen">Index of the chosen action (the one a reward is about).</param>
/// <param name="Probabilities">Probability each action had of being chosen (they sum to 1).</param>
/// <param name="Scores">The learner's predicted reward of each action.</param>
/// <param name="Order">Action indices: the chosen first, then by predicted reward, highest first.</param>
public sealed record RankOutcome(int Chosen, double[] Probabilities, float[] Scores, int[] Order);

/// <summary>A learner and an exploration rule: ranks actions for a context (<see cref="Rank"/>) and learns from rewards.</summary>
public sealed class DecisionPolicy(CbLearner learner, ExplorationSettings exploration)
{
    public CbLearner Learner { get; } = learner;

    public ExplorationSettings Exploration { get; } = exploration;

    /// <summary>Ranks <paramref name="actions"/> in <paramref name="context"/>; the draw is decided by <paramref name="seed"/>.</summary>
    public RankOutcome Rank(FeatureSet context, ReadOnlySpan<FeatureSet> actions, ulong seed)
    {
        int k = actions.Length;
        if (k == 0) throw new ArgumentException("no action to rank", nameof(actions));
        var scores = new float[k];
        var probabilities = new double[k];
        bool thompson = Exploration.Algorithm == ExplorationAlgorithm.Thompson;
        Span<float> deviations = thompson ? new float[k] : default;
        Learner.Score(context, actions, scores, deviations);
        Explorer.Probabilities(Exploration, scores, deviations, Learner.Examples, seed, probabilities);
        int chosen = Explorer.Draw(probabilities, seed);
        return new RankOutcome(chosen, probabilities, scores, OrderOf(scores, chosen));
    }

    /// <summary>The same ranking with <paramref name="chosen"/> shown for certain (an experiment's control): probability 1,
    /// first in the order, the others after it by predicted reward.</summary>
    public static RankOutcome Fixed(RankOutcome learned, int chosen)
    {
        var probabilities = new double[learned.Probabilities.Length];
        probabilities[chosen] = 1;
        return new RankOutcome(chosen, probabilities, learned.Scores, OrderOf(learned.Scores, chosen));
    }

    /// <summary>Learns from a reward for the action chosen with <paramref name="probability"/>.</summary>
    public float Learn(FeatureSet context, FeatureSet action, double reward, double probability) =>
        Learner.Learn(context, action, (float)reward, (float)probability);

    private static int[] OrderOf(float[] scores, int chosen)
    {
        var order = new int[scores.Length];
        order[0] = chosen;
        int n = 1;
        for (int a = 0; a < scores.Length; a++) if (a != chosen) order[n++] = a;
        // Insertion sort of the rest by score, highest first (K is small: tens of actions).
        for (int i = 2; i < order.Length; i++)
        {
            int v = order[i];
            int j = i - 1;
            while (j >= 1 && scores[order[j]] < scores[v])
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = v;
        }
        return order;
    }
}
