using Attune.Decisions.Features;
using Attune.Decisions.Learning;

namespace Attune.Decisions.Simulation;

/// <summary>
/// A seeded audience with hidden preferences, for checking that a decision point learns. Each visitor belongs to one of
/// <c>segments</c> groups (visible as the context feature <c>user.segment</c>, with an age, a device and a time of day beside
/// it that do not matter); each group secretly prefers one of four topics and likes a second one less; each action has a
/// topic (a visible action feature), a style and a quality of its own (hidden), and mobile visitors like "visual" actions a
/// little more. The click probability of every (visitor, action) is known, so the oracle (always the best action) and any
/// policy's expected reward are computed exactly. A learner that crosses context and action features can generalize from
/// one action of a topic to the others; a per-segment table of actions cannot.
/// </summary>
public sealed class SimulatedAudience
{
    private const int Topics = 4;
    private readonly int[] _favourite, _second, _topic;
    private readonly double[] _quality;
    private readonly bool[] _visual;
    private readonly string[] _segmentNames;
    private SplitMix _random;

    public SimulatedAudience(ulong seed, int segments = 20, int actions = 10)
    {
        if (actions < 2) throw new ArgumentOutOfRangeException(nameof(actions), "at least two actions");
        _random = new SplitMix(seed);
        Segments = segments;
        _favourite = new int[segments];
        _second = new int[segments];
        _segmentNames = new string[segments];
        for (int s = 0; s < segments; s++)
        {
            _segmentNames[s] = "s" + s.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _favourite[s] = (int)(_random.Next() % Topics);
            do _second[s] = (int)(_random.Next() % Topics); while (_second[s] == _favourite[s]);
        }
        _visual = new bool[actions];
        _topic = new int[actions];
        _quality = new double[actions];
        Actions = new FeatureSet[actions];
        ActionIds = new string[actions];
        for (int a = 0; a < actions; a++)
        {
            _visual[a] = a % 3 == 0;
            _topic[a] = a % Topics;
            _quality[a] = 0.08 * _random.NextDouble();
            ActionIds[a] = "action-" + a.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var f = new FeatureSet();
            Featurizer.AddIndicator(f, "_id", ActionIds[a]);
            Featurizer.AddIndicator(f, "style", _visual[a] ? "visual" : "text");
            Featurizer.AddIndicator(f, "topic", "t" + _topic[a].ToString(System.Globalization.CultureInfo.InvariantCulture));
            Actions[a] = f;
        }
    }

    public int Segments { get; }

    /// <summary>Every action's features (its id, style and topic).</summary>
    public FeatureSet[] Actions { get; }

    public string[] ActionIds { get; }

    /// <summary>One visitor: their context features (written into <paramref name="context"/>) and each action's click probability.</summary>
    public void Next(FeatureSet context, Span<double> clickProbability)
    {
        context.Clear();
        int segment = (int)(_random.Next() % (ulong)Segments);
        bool mobile = _random.NextDouble() < 0.5;
        Featurizer.AddIndicator(context, "user.segment", _segmentNames[segment]);
        context.Add(FeatureHash.Of("user.age"), (float)_random.NextDouble());
        if (mobile) context.Add(FeatureHash.Of("device.mobile"), 1f);
        Featurizer.AddIndicator(context, "time.part", (_random.Next() % 4) switch { 0 => "morning", 1 => "day", 2 => "evening", _ => "night" });
        for (int a = 0; a < Actions.Length; a++)
        {
            double p = 0.03 + _quality[a];
            if (_topic[a] == _favourite[segment]) p += 0.30;
            else if (_topic[a] == _second[segment]) p += 0.10;
            if (mobile && _visual[a]) p += 0.05;
            clickProbability[a] = p;
        }
    }

    /// <summary>A click (1) or not (0) with probability <paramref name="p"/>.</summary>
    public double Reward(double p) => _random.NextDouble() < p ? 1 : 0;
}

/// <summary>What one simulated run earned, in expected reward (the click probability of each chosen action, summed).</summary>
public sealed record SimulationOutcome(string Policy, int Decisions, double Reward, double Oracle, double Uniform)
{
    /// <summary>The policy's reward as a share of the oracle's.</summary>
    public double ShareOfOracle => Oracle == 0 ? 0 : Reward / Oracle;
}

/// <summary>Runs policies against a <see cref="SimulatedAudience"/>: each decision is rewarded and learned from at once.</summary>
public static class BanditSimulation
{
    /// <summary>
    /// Runs <paramref name="decisions"/> decisions of <paramref name="policy"/> (seeded), learning from every click.
    /// <paramref name="useContext"/> false hides the context from the policy (a context-free bandit).
    /// </summary>
    public static SimulationOutcome Run(string name, DecisionPolicy policy, ulong seed, int decisions = 20_000, bool useContext = true,
        int segments = 20, int actions = 10)
    {
        var audience = new SimulatedAudience(seed, segments, actions);
        var context = new FeatureSet();
        var empty = new FeatureSet();
        var p = new double[actions];
        double reward = 0, oracle = 0, uniform = 0;
        var draws = new SplitMix(seed * 31 + 7);
        for (int t = 0; t < decisions; t++)
        {
            audience.Next(context, p);
            var seen = useContext ? context : empty;
            var outcome = policy.Rank(seen, audience.Actions, draws.Next());
            double chosenP = p[outcome.Chosen];
            reward += chosenP;
            double best = 0, mean = 0;
            for (int a = 0; a < actions; a++)
            {
                best = Math.Max(best, p[a]);
                mean += p[a] / actions;
            }
            oracle += best;
            uniform += mean;
            policy.Learn(seen, audience.Actions[outcome.Chosen], audience.Reward(chosenP), outcome.Probabilities[outcome.Chosen]);
        }
        return new SimulationOutcome(name, decisions, reward, oracle, uniform);
    }
}
