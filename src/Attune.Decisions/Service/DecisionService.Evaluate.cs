using System.Text.Json;
using Attune.Decisions.Evaluation;
using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Decisions.Points;
using Attune.Validation;
using FeatureSet = Attune.Decisions.Features.FeatureSet;

namespace Attune.Decisions.Service;

/// <summary>Off-policy evaluation of other settings on a point's own log (<c>POST /v1/decisions/{point}/evaluate</c>).</summary>
public sealed partial class DecisionService
{
    /// <summary>Most rewarded decisions one evaluation reads (the oldest beyond it are left out).</summary>
    public const int MaxEvaluationRounds = 200_000;

    /// <summary>
    /// Estimates, on the point's rewarded decisions between <paramref name="fromMs"/> and <paramref name="toMs"/>, the value of
    /// the logged policy and of each candidate (by default: the point's settings replayed, ε-greedy 5 % and 20 %, softmax,
    /// Thompson sampling, and the current learner without exploration).
    /// </summary>
    public async Task<EvaluationReport> EvaluateAsync(string point, long fromMs, long toMs, IReadOnlyList<CandidatePolicy>? candidates,
        string estimator = "dr", double lambda = 100, CancellationToken ct = default)
    {
        if (!_points.TryGetValue(point, out var state)) throw new DecisionException("point", $"no decision point '{point}'", 404);
        var rounds = new List<LoggedRound>();
        var actionSets = new Dictionary<string, FeatureSet[]>(StringComparer.Ordinal);
        await foreach (var logged in store.ReadDecisionsAsync(point, fromMs, toMs, ct).ConfigureAwait(false))
        {
            if (logged.Rewards.Count == 0) continue;
            var d = logged.Decision;
            if (!actionSets.TryGetValue(d.ActionSetKey, out var actions))
            {
                using var set = JsonDocument.Parse(d.ActionSet);
                actions = [.. set.RootElement.EnumerateArray().Select(PreparedDecision.ActionFeatures)];
                actionSets[d.ActionSetKey] = actions;
            }
            var shared = new FeatureSet();
            using (var context = JsonDocument.Parse(d.Context)) PreparedDecision.AddContext(context.RootElement, shared);
            using var slots = JsonDocument.Parse(d.Slots);
            ulong seed = SplitMix.SeedOf(d.EventId);
            int s = 0;
            foreach (var slot in slots.RootElement.EnumerateArray())
            {
                string id = slot.GetProperty("id").GetString()!;
                if (logged.Rewards.TryGetValue(id, out var reward))
                {
                    var ctx = shared;
                    if (slot.TryGetProperty("features", out var sf))
                    {
                        ctx = new FeatureSet(shared.Count + 8);
                        ctx.AddAll(shared);
                        Featurizer.Add(sf, ctx, "slot");
                    }
                    var probabilities = slot.GetProperty("probabilities");
                    var available = new bool[actions.Length];
                    for (int a = 0; a < available.Length; a++) available[a] = probabilities[a].GetDouble() > 0;
                    int chosen = slot.GetProperty("chosen").GetInt32();
                    rounds.Add(new LoggedRound(ctx, actions, available, chosen, probabilities[chosen].GetDouble(), reward.Value,
                        seed + (ulong)s * 0x9E3779B97F4A7C15UL));
                }
                s++;
            }
        }
        if (rounds.Count == 0) throw new DecisionException("from", $"decision point '{point}' has no rewarded decision in the window");
        if (rounds.Count > MaxEvaluationRounds) rounds.RemoveRange(0, rounds.Count - MaxEvaluationRounds);
        var settings = state.Definition.Settings;
        candidates ??=
        [
            new("as-configured", settings.Exploration, settings.Learning),
            new("epsilon-greedy-0.05", new ExplorationSettings { Algorithm = ExplorationAlgorithm.EpsilonGreedy, Epsilon = 0.05 }, settings.Learning),
            new("epsilon-greedy-0.2", new ExplorationSettings { Algorithm = ExplorationAlgorithm.EpsilonGreedy, Epsilon = 0.2 }, settings.Learning),
            new("softmax", new ExplorationSettings { Algorithm = ExplorationAlgorithm.Softmax }, settings.Learning),
            new("thompson", new ExplorationSettings { Algorithm = ExplorationAlgorithm.Thompson }, settings.Learning),
            new("current-greedy", new ExplorationSettings { Algorithm = ExplorationAlgorithm.EpsilonGreedy, Epsilon = 0 }, settings.Learning, Learn: false),
        ];
        return PolicyEvaluator.Evaluate(rounds, candidates, state.Policy.Learner, estimator, lambda);
    }

    /// <summary>Reads the candidates of an evaluate request: <c>[{"name", "exploration", "learning", "learn"}]</c>.</summary>
    public static List<CandidatePolicy>? ReadCandidates(JsonElement v, DecisionSettings settings, List<FieldError> errors)
    {
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0 || v.GetArrayLength() > 20)
        {
            errors.Add(new("candidates", "must be an array of 1 to 20 candidates"));
            return null;
        }
        var list = new List<CandidatePolicy>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var c in v.EnumerateArray())
        {
            string at = $"candidates[{i++}]";
            if (c.ValueKind != JsonValueKind.Object) { errors.Add(new(at, "must be an object")); continue; }
            string? name = null;
            var exploration = settings.Exploration;
            var learning = settings.Learning;
            bool learn = true;
            foreach (var p in c.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "name":
                        name = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        if (PointReader.CheckName(name ?? "") is { } bad) errors.Add(new($"{at}.name", bad));
                        else if (!names.Add(name!)) errors.Add(new($"{at}.name", $"duplicate candidate '{name}'"));
                        break;
                    case "exploration": exploration = PointReader.ReadExploration(p.Value, $"{at}.exploration", errors); break;
                    case "learning": learning = PointReader.ReadLearning(p.Value, $"{at}.learning", errors); break;
                    case "learn":
                        if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) learn = p.Value.GetBoolean();
                        else errors.Add(new($"{at}.learn", "must be true or false"));
                        break;
                    default: errors.Add(new($"{at}.{p.Name}", "unknown field; known fields: name, exploration, learning, learn")); break;
                }
            }
            if (name is null) { if (!errors.Any(e => e.Field == $"{at}.name")) errors.Add(new($"{at}.name", "is required")); continue; }
            list.Add(new CandidatePolicy(name, exploration, learning, learn));
        }
        return list;
    }
}
