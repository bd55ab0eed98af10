using System.Diagnostics;
using Attune.Evaluation.Tuning;
using Attune.Serving.Filtering;
using Attune.Serving.Live;
using Attune.Serving.Models;
using Attune.Serving.Pipeline;
using Attune.Serving.Recipes;
using Attune.Serving.Sources;
using Attune.Serving.Stages;

namespace Attune.Serving.Engine;

/// <summary>
/// Tunes the <c>for-you</c> blend (the default recipe's source weights) on the shop's own data: a bundle trained without each
/// held-out person's last item serves them through the real pipeline (sources, guardrails, rules, diversity), and the answer
/// scores a hit when its first 20 items hold that item; every other person is answered in the middle of a session (their
/// last items as live events, see <see cref="BundleTrainer.TrainSplit"/>), the others from their history. Coordinate ascent over the weights (each scaled by 0, ½ and 2 in turn;
/// SASRec added when the version trains it) on half of the people; the other half confirms: the tuned weights replace the
/// defaults only when better there by a paired z of at least <see cref="ConfirmZ"/>. A stored recipe that sets the
/// scenario's sources is its owner's choice and is not tuned.
/// </summary>
internal sealed class BlendTuning(ServingModels models, RecipeBook recipes, SourceRegistry sources, IReadOnlyList<IRankingStage> stages,
    ServingContext context) : IBlendTuner
{
    /// <summary>The scenario tuned.</summary>
    public const string Scenario = "for-you";

    /// <summary>The metric: the held-out item among the answer's first <see cref="K"/>.</summary>
    public const int K = 20;

    /// <summary>One-sided 95 %: how clearly the confirmation half must prefer the tuned weights.</summary>
    public const double ConfirmZ = 1.645;

    private static readonly float[] s_factors = [0f, 0.5f, 2f];
    private static readonly float[] s_added = [0.3f, 1f];

    /// <summary>The default recipe's scenario when its weights are the shipped or configured ones (null: a stored recipe sets them).</summary>
    public CompiledScenario? Tunable =>
        recipes.Default.Scenarios.TryGetValue(Scenario, out var s) && s.FollowsTuning ? s : null;

    /// <summary>The weights a tuning starts from now, as <see cref="TunedBlend.Format"/> writes them (null: not tunable).</summary>
    public string? Defaults => Tunable is { } s ? TunedBlend.Format(s.Weights) : null;

    public TuningInfo? Tune(ModelBundle split, IReadOnlyList<HeldOutPerson> people, TimeSpan budget, int seed, CancellationToken ct)
    {
        if (Tunable is not { } scenario) return null;
        var clock = Stopwatch.StartNew();
        var state = models.Detached(split);
        // People who turned personalization off are answered without their history: nothing to learn from them.
        var who = new List<HeldOutPerson>(people.Count);
        foreach (var p in people)
            if (context.ConsentOf(p.UserId).Personalization && state.Catalog.IndexOf(p.ItemId) >= 0) who.Add(p);
        if (who.Count < 20) return null;
        var order = who.ToArray();
        new Random(seed).Shuffle(order);
        var search = order[..(order.Length / 2)];
        var confirm = order[(order.Length / 2)..];
        long nowMs = Math.Max(split.Info.DataUntil?.ToUnixTimeMilliseconds() ?? 0, split.Info.SnapshotAt.ToUnixTimeMilliseconds()) + 60_000;
        // The current sessions: views received after the split's snapshot, a second apart, the newest just before the answer.
        var live = new LiveProfiles();
        foreach (var p in who)
        {
            for (int s = 0; s < p.Session.Count; s++)
            {
                long at = nowMs - (p.Session.Count - s) * 1_000L;
                live.Observe(p.UserId, p.Session[s], (int)Attune.Model.EventType.View, at, at);
            }
        }
        var filterContext = new FilterContext(new Dictionary<string, object?>(), DateTimeOffset.FromUnixTimeMilliseconds(nowMs));
        long windowStart = nowMs - (long)(context.Options.FrequencyCapWindowHours * 3_600_000);
        var threads = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.Options.TrainingThreads), CancellationToken = ct };

        float[] Hits(Dictionary<string, float> weights, HeldOutPerson[] group)
        {
            var compiled = RecipeCompiler.Compile(Scenario, scenario.Options.Clone(o =>
            {
                o.Sources = new Dictionary<string, float>(weights, StringComparer.OrdinalIgnoreCase);
                o.ShippedSources = false;
            }), sources, "scenarios." + Scenario);
            var hits = new float[group.Length];
            Parallel.For(0, group.Length, threads, k =>
            {
                var (user, item, _) = group[k];
                var request = new RecommendationRequest { UserId = user, Scenario = Scenario, Count = K, Explain = false, Context = filterContext };
                var pipeline = RecommendationPipeline.Current;
                pipeline.Person.Load(state, live, user, anonymous: false, personalized: true, windowStart);
                foreach (var shown in pipeline.Run(state, context, sources, stages, compiled, request, K))
                {
                    if (shown.Id == item) { hits[k] = 1; break; }
                }
            });
            return hits;
        }
        static double Mean(float[] values) => values.Length == 0 ? 0 : values.Sum() / values.Length;

        var defaults = new Dictionary<string, float>(scenario.Weights, StringComparer.OrdinalIgnoreCase);
        var names = defaults.Keys.Order(StringComparer.Ordinal).ToList();
        if (split.SasRec is not null && sources.IndexOf("sasrec") >= 0 && !defaults.ContainsKey("sasrec")) names.Add("sasrec");
        var best = defaults;
        double bestValue = Mean(Hits(best, search));
        var tried = new HashSet<string>(StringComparer.Ordinal) { TunedBlend.Format(best) };
        int trials = 1;
        for (int round = 0; round < 3 && clock.Elapsed < budget; round++)
        {
            bool moved = false;
            foreach (string name in names)
            {
                float current = best.GetValueOrDefault(name);
                foreach (float value in current > 0 ? s_factors.Select(f => current * f) : s_added)
                {
                    if (clock.Elapsed >= budget) break;
                    var candidate = new Dictionary<string, float>(best, StringComparer.OrdinalIgnoreCase) { [name] = value };
                    if (value <= 0) candidate.Remove(name);
                    if (candidate.Count == 0 || !tried.Add(TunedBlend.Format(candidate))) continue;
                    double v = Mean(Hits(candidate, search));
                    trials++;
                    if (v > bestValue * (1 + ModelSearch.RefineMargin))
                    {
                        (best, bestValue, moved) = (candidate, v, true);
                        break; // the next source, from the new best
                    }
                }
            }
            if (!moved) break;
        }
        // The other half decides, on people the search never saw.
        var confirmDefaults = Hits(defaults, confirm);
        double defaultValue = Mean(confirmDefaults), tunedValue = defaultValue;
        var chosen = defaults;
        if (!ReferenceEquals(best, defaults))
        {
            var confirmBest = Hits(best, confirm);
            trials++;
            if (ModelSearch.PairedZ(confirmBest, confirmDefaults) >= ConfirmZ)
            {
                chosen = best;
                tunedValue = Mean(confirmBest);
            }
        }
        return new TuningInfo(Scenario, TunedBlend.Format(chosen), TunedBlend.Format(defaults), $"hitRate@{K}", Math.Round(defaultValue, 4),
            Math.Round(tunedValue, 4), trials, Math.Round(clock.Elapsed.TotalSeconds, 1));
    }
}
