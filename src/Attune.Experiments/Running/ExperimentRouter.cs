using System.Collections.Concurrent;
using Attune.Experiments.Assignment;
using Attune.Experiments.Definitions;
using Experiment = Attune.Experiments.Definitions.Experiment;
using Attune.Storage;

namespace Attune.Experiments.Running;

/// <summary>Which experiment and variant an answer is served under, and with which recipe.</summary>
/// <param name="ExperimentId">The experiment's id, or <see cref="ExperimentRouter.HoldoutId"/>.</param>
/// <param name="Variant">The variant key.</param>
/// <param name="Recipe">The recipe to serve with; null = the default (a personalized holdout member outside any experiment).</param>
/// <param name="Phase">The phase the person entered in.</param>
/// <param name="PersonKey">The id assignment is sticky under.</param>
/// <param name="Interleave">An interleaving experiment: the two recipes whose lists are merged (team draft); <paramref name="Recipe"/> is null.</param>
public sealed record Assignment(string ExperimentId, string Variant, string? Recipe, int Phase, string PersonKey, IReadOnlyList<string>? Interleave = null)
{
    /// <summary>A rollout of a model version: the version this answer is served with (null = the recipe's own).</summary>
    public string? ModelVersion { get; init; }

    /// <summary>The id the answer is counted under: the experiment's, or a rollout's current step.</summary>
    public string TrackedId { get; init; } = ExperimentId;

    /// <summary>On a decision point: null (the point's learner) or <c>control</c> (its control action; also the holdout's).</summary>
    public string? Policy { get; init; }
}

/// <summary>Who asks, for which scenario (or, with <paramref name="Point"/>, which decision point); attributes are built only
/// when a running experiment has targeting.</summary>
public readonly record struct RouteRequest(string? UserId, string? AnonymousId, string Scenario, Func<Attributes> Attributes, string? Point = null);

/// <summary>
/// Assigns people to the global holdout and to running experiments, per answer, following the GrowthBook SDK spec: the
/// hash attribute's value (v2 hash, the experiment id as seed) picks a bucket from the phase's weights and coverage, a
/// namespace (v1 hash) keeps experiments apart, and a targeting condition decides eligibility. A person's first assignment
/// in an experiment is kept (sticky: under the user id and the anonymous id both, so identify keeps it; and across restarts
/// through the store's exposures), also when weights change later: a new phase never re-buckets anyone already in.
/// </summary>
/// <remarks>
/// Each first exposure is handed to <see cref="Exposed"/> (the tracker counts it and the store records it). The holdout is an
/// always-on experiment of its own (<see cref="HoldoutId"/>: variants <c>holdout</c> and <c>personalized</c>), so its
/// results read like any other's; holdout people are never in another experiment. People in no experiment of the scenario
/// go to its running rollout, if any (<see cref="RouteRollout"/>).
/// </remarks>
public sealed partial class ExperimentRouter
{
    public const string HoldoutId = "holdout";

    /// <summary>The policy of a decision point's control: its control action (no offer, a fixed banner).</summary>
    public const string Control = "control";
    /// <summary>The one variant of an interleaving experiment's people.</summary>
    public const string Interleaved = "interleaved";
    private const string HoldoutSeed = "attune-holdout";

    private volatile Compiled _compiled = new([], null);

    /// <summary>A person entered an experiment (first exposure in it).</summary>
    public event Action<Exposure>? Exposed;

    private readonly TimeProvider _time;

    public ExperimentRouter(ExperimentBook book, TimeProvider time, RolloutBook? rollouts = null)
    {
        _time = time;
        Rebuild(book.Current);
        book.Changed += Rebuild;
        if (rollouts is not null)
        {
            RebuildRollouts(rollouts.Current);
            rollouts.Changed += RebuildRollouts;
        }
    }

    /// <summary>Known sticky assignments (start-up: the store's exposures of running experiments).</summary>
    public void Restore(Exposure exposure)
    {
        var compiled = _compiled;
        if (exposure.ExperimentId == HoldoutId) compiled.HoldoutSticky[exposure.PersonId] = new Sticky(exposure.Phase, exposure.Variant);
        else if (compiled.ById.TryGetValue(exposure.ExperimentId, out var e)) e.Sticky.TryAdd(exposure.PersonId, new Sticky(exposure.Phase, exposure.Variant));
    }

    /// <summary>The holdout assignment or the first experiment that takes the person for this scenario; null = default recipe.</summary>
    public Assignment? Route(in RouteRequest request)
    {
        var compiled = _compiled;
        string? key = request.UserId ?? request.AnonymousId;
        if (key is null) return null; // nobody to keep an assignment for
        Assignment? holdout = null;
        if (compiled.Holdout is { } h)
        {
            holdout = RouteHoldout(compiled, h, request, key);
            if (holdout.Recipe is not null) return request.Point is null ? holdout : holdout with { Policy = Control };
        }
        var running = compiled.Running;
        Attributes? attributes = null;
        for (int i = 0; i < running.Length; i++)
        {
            var e = running[i];
            if (request.Point is { } point)
            {
                if (e.Points is null || !e.Points.Contains(point)) continue;
            }
            else if (e.Points is not null && e.Scenarios is null) continue; // a decision-point experiment leaves answers alone
            else if (e.Scenarios is not null && !e.Scenarios.Contains(request.Scenario)) continue;
            if (Route(e, request, ref attributes) is { } assignment) return assignment;
        }
        return request.Point is null ? RouteRollout(request, key) ?? holdout : holdout;
    }

    private Assignment RouteHoldout(Compiled compiled, Holdout h, in RouteRequest request, string key)
    {
        var sticky = compiled.HoldoutSticky;
        if (!(sticky.TryGetValue(key, out var known) || (request.AnonymousId is { } a && a != key && sticky.TryGetValue(a, out known))))
        {
            double n = Hashing.Hash(HoldoutSeed, key, 2) ?? 1;
            known = new Sticky(1, n < h.Share ? "holdout" : "personalized");
            if (sticky.TryAdd(key, known)) Exposed?.Invoke(new Exposure(HoldoutId, key, request.UserId is null, 1, known.Variant, Now));
            if (request.UserId is not null && request.AnonymousId is { } anon) sticky.TryAdd(anon, known);
        }
        return new Assignment(HoldoutId, known.Variant, known.Variant == "holdout" ? h.Recipe : null, 1, key);
    }

    private Assignment? Route(RunningExperiment e, in RouteRequest request, ref Attributes? attributes)
    {
        // The hash attribute's value; an experiment on anonymousId falls back to the user id (and stays sticky across identify).
        string? hashValue = e.OnAnonymousId ? request.AnonymousId ?? request.UserId : request.UserId;
        if (hashValue is null) return null;
        var sticky = e.Sticky;
        if (TryKnown(sticky, request, out var known))
        {
            if (e.Interleaving) return new Assignment(e.Id, Interleaved, null, known.Phase, hashValue, e.Recipes);
            int index = e.IndexOf(known.Variant);
            // A variant dropped by a later phase: the person is out of the experiment now (never moved to another variant).
            return index < 0 ? null : Assign(e, index, known.Phase, hashValue);
        }
        if (e.Namespace is { } ns && !Bucketing.InNamespace(hashValue, ns)) return null;
        if (e.Targeting is { } condition && !condition.Evaluate(attributes ??= request.Attributes())) return null;
        double n = Hashing.Hash(e.Id, hashValue, 2) ?? -1;
        int v = e.Interleaving ? (n >= 0 && n < e.Coverage ? 0 : -1) : Bucketing.ChooseVariation(n, e.Ranges);
        if (v < 0) return null;
        var entry = new Sticky(e.Phase, e.Interleaving ? Interleaved : e.Keys[v]);
        if (!sticky.TryAdd(hashValue, entry))
        {
            // Another request of the same person won the race: serve what it stored.
            known = sticky[hashValue];
            if (e.Interleaving) return new Assignment(e.Id, Interleaved, null, known.Phase, hashValue, e.Recipes);
            int index = e.IndexOf(known.Variant);
            return index < 0 ? null : Assign(e, index, known.Phase, hashValue);
        }
        // Sticky under both ids, so the person keeps the variant after identify and on a device that sends only the user id.
        if (request.UserId is { } user && user != hashValue) sticky.TryAdd(user, entry);
        if (request.AnonymousId is { } anon && anon != hashValue) sticky.TryAdd(anon, entry);
        Exposed?.Invoke(new Exposure(e.Id, hashValue, hashValue == request.AnonymousId && request.UserId is null, e.Phase, entry.Variant, Now));
        return e.Interleaving ? new Assignment(e.Id, Interleaved, null, e.Phase, hashValue, e.Recipes)
            : Assign(e, v, e.Phase, hashValue);
    }

    private static Assignment Assign(RunningExperiment e, int variant, int phase, string personKey) =>
        new(e.Id, e.Keys[variant], e.Recipes[variant], phase, personKey) { Policy = e.Policies[variant] };

    private static bool TryKnown(ConcurrentDictionary<string, Sticky> sticky, in RouteRequest request, out Sticky known)
    {
        known = default;
        return (request.UserId is { } u && sticky.TryGetValue(u, out known)) || (request.AnonymousId is { } a && sticky.TryGetValue(a, out known));
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Rebuild(ExperimentBook.Snapshot snapshot)
    {
        var old = _compiled;
        var running = new List<RunningExperiment>();
        foreach (var e in snapshot.Running)
        {
            // Sticky assignments outlive a change of the definition (a new phase keeps everyone where they are).
            var sticky = old.ById.TryGetValue(e.Id, out var before) ? before.Sticky : new ConcurrentDictionary<string, Sticky>(StringComparer.Ordinal);
            running.Add(new RunningExperiment(e, sticky));
        }
        _compiled = new Compiled([.. running], snapshot.Holdout, old.HoldoutSticky);
    }

    private readonly record struct Sticky(int Phase, string Variant);

    private sealed class Compiled(RunningExperiment[] running, Holdout? holdout, ConcurrentDictionary<string, Sticky>? holdoutSticky = null)
    {
        public RunningExperiment[] Running { get; } = running;
        public Dictionary<string, RunningExperiment> ById { get; } = running.ToDictionary(e => e.Id, StringComparer.Ordinal);
        public Holdout? Holdout { get; } = holdout;
        public ConcurrentDictionary<string, Sticky> HoldoutSticky { get; } = holdoutSticky ?? new(StringComparer.Ordinal);
    }

    /// <summary>A running experiment ready for assignment: its current phase's bucket ranges, compiled targeting, scenarios.</summary>
    private sealed class RunningExperiment
    {
        public RunningExperiment(Experiment e, ConcurrentDictionary<string, Sticky> sticky)
        {
            var phase = e.CurrentPhase!;
            Id = e.Id;
            Phase = phase.Number;
            Keys = [.. phase.Variants.Select(v => v.Key)];
            Recipes = [.. phase.Variants.Select(v => v.Recipe)];
            Ranges = Bucketing.GetBucketRanges(Keys.Length, phase.Coverage, [.. phase.Variants.Select(v => v.Weight)]);
            Scenarios = e.Scenarios.Count == 0 ? null : new HashSet<string>(e.Scenarios, StringComparer.OrdinalIgnoreCase);
            Points = e.Points.Count == 0 ? null : new HashSet<string>(e.Points, StringComparer.Ordinal);
            Policies = [.. phase.Variants.Select(v => v.Policy)];
            Targeting = e.Targeting is { } t ? Condition.Compile(AttributeJson.FromElement(t)) : null;
            Namespace = e.Namespace is { } ns ? new Namespace(ns.Name, ns.Start, ns.End) : null;
            OnAnonymousId = e.HashAttribute == "anonymousId";
            Interleaving = e.Method == ExperimentMethod.Interleaving;
            Coverage = phase.Coverage;
            Sticky = sticky;
        }

        public string Id { get; }
        public int Phase { get; }
        public string[] Keys { get; }
        public string[] Recipes { get; }
        public BucketRange[] Ranges { get; }
        public HashSet<string>? Scenarios { get; }
        public HashSet<string>? Points { get; }
        public string?[] Policies { get; }
        public Condition? Targeting { get; }
        public Namespace? Namespace { get; }
        public bool OnAnonymousId { get; }
        public bool Interleaving { get; }
        public double Coverage { get; }
        public ConcurrentDictionary<string, Sticky> Sticky { get; }

        public int IndexOf(string key) => Array.IndexOf(Keys, key);
    }
}
