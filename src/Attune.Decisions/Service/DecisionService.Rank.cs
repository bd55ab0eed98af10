using System.Globalization;
using System.Text;
using System.Text.Json;
using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Decisions.Points;
using Attune.Experiments.Assignment;
using Attune.Experiments.Running;
using Attune.Storage;
using FeatureSet = Attune.Decisions.Features.FeatureSet;

namespace Attune.Decisions.Service;

/// <summary>Ranking: features, eligibility, one draw per slot (no action twice on a page), and the durable log.</summary>
public sealed partial class DecisionService
{
    private static readonly IReadOnlySet<string> s_none = new HashSet<string>();

    /// <summary>
    /// Ranks the actions (the request's own, else the point's approved and eligible ones, minus the excluded) for the context,
    /// chooses one per slot by the point's exploration, and logs the decision (durable when this returns).
    /// </summary>
    /// <exception cref="DecisionException">An unknown point (404), no eligible action (400), an event id already used (409).</exception>
    public async Task<RankResult> RankAsync(RankInput input, CancellationToken ct = default)
    {
        if (!_points.TryGetValue(input.Point, out var state)) throw new DecisionException("point", $"no decision point '{input.Point}'", 404);
        string eventId = input.EventId ?? NewEventId();
        IReadOnlyDictionary<string, string>? profile = null, known = null;
        bool collect = true, personalize = true;
        if (input.UserId is { } user && People is { } read && await _people.FactsAsync(user, read, ct).ConfigureAwait(false) is { } facts)
        {
            known = facts.Attributes;
            personalize = facts.Personalize;
            if (facts.Personalize)
                profile = input.Protected is { Count: > 0 } hidden
                    ? facts.Attributes.Where(a => !hidden.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal)
                    : facts.Attributes;
            collect = facts.Collect;
        }
        // Tastes (top categories and brands of what the person did) join with the same consent as the record's attributes.
        Taste[] tastes = TastesJoin && personalize && (input.UserId ?? input.AnonymousId) is { } someone
            ? await _people.TastesAsync(someone, input.UserId is null, ct).ConfigureAwait(false)
            : [];
        Prediction[] predictions = Predictions is { } predict && personalize && (input.UserId ?? input.AnonymousId) is { } predicted
            ? await _people.PredictionsAsync(predicted, input.UserId is null, predict, ct).ConfigureAwait(false)
            : [];

        // The reader featurized the context while checking it; the profile joins a copy.
        var shared = input.ContextFeatures ?? new FeatureSet();
        if (input.ContextFeatures is null && Featurizer.Add(input.Context, shared, "context") is { } bad) throw new DecisionException(bad.Field, bad.Message);
        if (profile is { Count: > 0 } || tastes.Length > 0 || predictions.Length > 0)
        {
            var joined = new FeatureSet(shared.Count + (profile?.Count ?? 0) + tastes.Length + predictions.Length);
            joined.AddAll(shared);
            if (profile is not null) foreach (var (name, value) in profile) Featurizer.AddIndicator(joined, "profile." + name, value);
            PreparedDecision.AddTastes(joined, tastes);
            PreparedDecision.AddPredictions(joined, predictions);
            shared = joined;
        }

        var prepared = input.Actions is { } own ? PreparedActions.Of([.. own]) : state.Actions;
        var (actions, features, eligibility, setJson, setKey) = (prepared.Actions, prepared.Features, prepared.Eligibility, prepared.SetJson, prepared.SetKey);
        if (actions.Length == 0)
            throw new DecisionException("actions", $"decision point '{input.Point}' has no approved actions: send actions, or store some with PUT /v1/decisions/{input.Point}");

        int n = actions.Length;
        var allowed = new bool[n];
        AttributeValue? attributes = null;
        for (int i = 0; i < n; i++)
        {
            if (input.Excluded.Contains(actions[i].Id)) continue;
            if (eligibility[i] is { } condition)
            {
                attributes ??= Attributes(input, profile, predictions);
                if (!condition.Evaluate(attributes.Value)) continue;
            }
            allowed[i] = true;
        }

        // An experiment on the point (or the global holdout) may put the person on the control: its control action, shown
        // with probability 1 wherever it can be (eligible, not excluded, not shown in an earlier slot).
        Assignment? assignment = Route is { } route && (input.UserId ?? input.AnonymousId) is not null
            ? route(new RouteRequest(input.UserId, input.AnonymousId, "decision", () => TargetingAttributes(input, known, predictions), input.Point))
            : null;
        int controlIndex = assignment?.Policy == ExperimentRouter.Control && (input.ControlAction ?? state.Definition.Settings.ControlAction) is { } control
            ? Array.FindIndex(actions, a => a.Id == control)
            : -1;

        var slots = input.Slots ?? [new SlotInput("", default, s_none, null)];
        var used = new bool[n];
        var outcomes = new SlotOutcome[slots.Count];
        var slotContexts = new FeatureSet[slots.Count];
        var chosenFeatures = new FeatureSet[slots.Count];
        var chosenProbabilities = new double[slots.Count];
        using var slotLog = new MemoryStream();
        using var w = new Utf8JsonWriter(slotLog);
        w.WriteStartArray();
        ulong seed = SplitMix.SeedOf(eventId);
        var candidates = new List<int>(n);
        for (int s = 0; s < slots.Count; s++)
        {
            var slot = slots[s];
            var context = shared;
            if (slot.Features.ValueKind != JsonValueKind.Undefined)
            {
                context = new FeatureSet(shared.Count + 8);
                context.AddAll(shared);
                if (Featurizer.Add(slot.Features, context, $"slots[{s}].features") is { } badSlot) throw new DecisionException(badSlot.Field, badSlot.Message);
            }
            candidates.Clear();
            for (int i = 0; i < n; i++)
                if (allowed[i] && !used[i] && !slot.Excluded.Contains(actions[i].Id)) candidates.Add(i);
            if (candidates.Count == 0)
                throw new DecisionException(input.Slots is null ? "actions" : $"slots[{s}]",
                    input.Slots is null ? "no eligible action: every action is excluded or not eligible for this person and context"
                        : $"no eligible action left for slot '{slot.Id}': every action is excluded, not eligible, or shown in an earlier slot");
            var pool = new FeatureSet[candidates.Count];
            for (int c = 0; c < pool.Length; c++) pool[c] = features[candidates[c]];
            var outcome = state.Policy.Rank(context, pool, seed + (ulong)s * 0x9E3779B97F4A7C15UL);
            if (controlIndex >= 0 && candidates.IndexOf(controlIndex) is int fixedAt and >= 0) outcome = DecisionPolicy.Fixed(outcome, fixedAt);
            int chosen = candidates[outcome.Chosen];
            used[chosen] = true;

            var probabilities = new double[n];
            var inPool = new bool[n];
            for (int c = 0; c < pool.Length; c++)
            {
                probabilities[candidates[c]] = outcome.Probabilities[c];
                inPool[candidates[c]] = true;
            }
            var ranking = new List<RankedAction>(n);
            foreach (int c in outcome.Order) ranking.Add(new RankedAction(actions[candidates[c]].Id, outcome.Probabilities[c], outcome.Scores[c]));
            for (int i = 0; i < n; i++) if (!inPool[i]) ranking.Add(new RankedAction(actions[i].Id, 0, 0));
            outcomes[s] = new SlotOutcome(slot.Id, actions[chosen].Id, ranking, slot.BaselineAction);
            slotContexts[s] = context;
            chosenFeatures[s] = features[chosen];
            chosenProbabilities[s] = (float)probabilities[chosen]; // as logged, so a replay from the log learns the same

            w.WriteStartObject();
            w.WriteString("id", slot.Id);
            if (slot.Features.ValueKind != JsonValueKind.Undefined)
            {
                w.WritePropertyName("features");
                slot.Features.WriteTo(w);
            }
            if (slot.BaselineAction is { } baseline) w.WriteString("baselineAction", baseline);
            w.WriteNumber("chosen", chosen);
            // Single precision (9 significant digits) is ample for a propensity and halves the row.
            w.WriteStartArray("probabilities");
            foreach (double p in probabilities) w.WriteNumberValue((float)p);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Flush();

        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var settings = state.Definition.Settings;
        string policy = controlIndex >= 0
            ? $"control {actions[controlIndex].Id}"
            : string.Create(CultureInfo.InvariantCulture, $"{state.PolicyName} n={state.Policy.Learner.Examples}");
        string? person = collect ? input.UserId ?? input.AnonymousId : null;
        var record = new DecisionRecord(eventId, input.Point, person, person is not null && input.UserId is null, now,
            LoggedContext(input.Context, profile, tastes, predictions, assignment), setKey, setJson, Encoding.UTF8.GetString(slotLog.GetBuffer(), 0, (int)slotLog.Length),
            [.. slots.Select(x => x.Id)], input.DeferActivation ? null : now, (long)(settings.RewardWaitSeconds * 1000), settings.DefaultReward, policy);
        var logged = await store.LogDecisionsAsync([record], ct).ConfigureAwait(false);
        if (!logged[0]) throw new DecisionException("eventId", $"event id '{eventId}' was already used by another decision", 409);
        if (Volatile.Read(ref _pendingCount) >= MaxPending)
        {
            _pending.Clear();
            Volatile.Write(ref _pendingCount, 0);
        }
        if (_pending.TryAdd(eventId, new PreparedDecision(input.Point, [.. slots.Select(x => x.Id)], slotContexts, chosenFeatures, chosenProbabilities)))
            Interlocked.Increment(ref _pendingCount);
        return new RankResult(eventId, input.Point, outcomes, !input.DeferActivation, policy)
        {
            Experiment = assignment?.ExperimentId,
            Variant = assignment?.Variant,
        };
    }

    /// <summary>The context as logged: <c>{"context": …, "profile": {…}, "tastes": [{kind, name, weight}], "experiment": {"id",
    /// "variant", "phase"}}</c> (what <see cref="PreparedDecision.AddContext"/> reads back as features: context, profile and
    /// tastes; the experiment is for results).</summary>
    private static string LoggedContext(JsonElement context, IReadOnlyDictionary<string, string>? profile, Taste[] tastes, Prediction[] predictions,
        Assignment? assignment)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (context.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                w.WritePropertyName("context");
                context.WriteTo(w);
            }
            if (profile is { Count: > 0 })
            {
                w.WriteStartObject("profile");
                foreach (var (name, value) in profile) w.WriteString(name, value);
                w.WriteEndObject();
            }
            if (tastes.Length > 0)
            {
                w.WriteStartArray("tastes");
                foreach (var t in tastes)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", t.Kind);
                    w.WriteString("name", t.Name);
                    w.WriteNumber("weight", t.Weight);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (predictions.Length > 0)
            {
                w.WriteStartObject("predictions");
                foreach (var p in predictions) w.WriteNumber(p.Name, p.Value);
                w.WriteEndObject();
            }
            if (assignment is not null)
            {
                w.WriteStartObject("experiment");
                w.WriteString("id", assignment.ExperimentId);
                w.WriteString("variant", assignment.Variant);
                w.WriteNumber("phase", assignment.Phase);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>What an experiment's targeting sees, as for recommendations: the user record's attributes, <c>userId</c>,
    /// <c>anonymousId</c>, <c>id</c> and the rank's <c>context</c>.</summary>
    private static Attributes TargetingAttributes(RankInput input, IReadOnlyDictionary<string, string>? user, Prediction[] predictions)
    {
        var a = new Attributes(8);
        AddPredictions(a, predictions);
        if (user is not null) foreach (var (name, value) in user) a.Set(name, value);
        if (input.UserId is { } id) a.Set("userId", id);
        if (input.AnonymousId is { } anonymous) a.Set("anonymousId", anonymous);
        a.Set("id", input.UserId ?? input.AnonymousId);
        a.Set("context", ContextAttributes(input));
        return a;
    }

    /// <summary>What an action's eligibility sees: <c>userId</c>, <c>anonymousId</c>, <c>user</c> (the record's attributes) and
    /// <c>context</c> (the context features as one object; Personalizer's list is merged).</summary>
    private static AttributeValue Attributes(RankInput input, IReadOnlyDictionary<string, string>? profile, Prediction[] predictions)
    {
        var a = new Attributes(6);
        AddPredictions(a, predictions);
        if (input.UserId is { } user) a.Set("userId", user);
        if (input.AnonymousId is { } anonymous) a.Set("anonymousId", anonymous);
        var userAttributes = new Attributes();
        if (profile is not null) foreach (var (name, value) in profile) userAttributes.Set(name, value);
        a.Set("user", userAttributes);
        a.Set("context", ContextAttributes(input));
        return AttributeValue.FromObject(a);
    }

    /// <summary>
    /// The person's segments as <c>segments</c> (ids) and the propensity models' probabilities as <c>predictions.NAME</c>, for
    /// eligibility and targeting conditions (<c>{"segments": {"$in": ["vip"]}}</c>, <c>{"predictions.churn": {"$gt": 0.5}}</c>).
    /// </summary>
    private static void AddPredictions(Attributes a, Prediction[] predictions)
    {
        if (predictions.Length == 0) return;
        List<AttributeValue>? segments = null;
        Attributes? scores = null;
        foreach (var p in predictions)
        {
            if (p.Name.StartsWith("segment.", StringComparison.Ordinal)) (segments ??= []).Add(AttributeValue.FromString(p.Name["segment.".Length..]));
            else if (p.Name.StartsWith("predictions.", StringComparison.Ordinal)) (scores ??= new Attributes()).Set(p.Name["predictions.".Length..], p.Value);
        }
        if (segments is not null) a.Set("segments", AttributeValue.FromArray(segments));
        if (scores is not null) a.Set("predictions", AttributeValue.FromObject(scores));
    }

    /// <summary>The rank's context as one object (Personalizer's list of objects merged).</summary>
    private static Attributes ContextAttributes(RankInput input)
    {
        var context = new Attributes();
        if (input.Context.ValueKind == JsonValueKind.Object)
            foreach (var p in input.Context.EnumerateObject()) context.Set(p.Name, AttributeJson.FromElement(p.Value));
        else if (input.Context.ValueKind == JsonValueKind.Array)
            foreach (var part in input.Context.EnumerateArray())
                if (part.ValueKind == JsonValueKind.Object)
                    foreach (var p in part.EnumerateObject()) context.Set(p.Name, AttributeJson.FromElement(p.Value));
        return context;
    }
}
