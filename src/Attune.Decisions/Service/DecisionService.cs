using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Decisions.Points;
using Attune.Experiments.Assignment;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Storage;
using Microsoft.Extensions.Logging;
using FeatureSet = Attune.Decisions.Features.FeatureSet;

namespace Attune.Decisions.Service;

/// <summary>
/// The decision service: ranks a point's actions for a context (<see cref="RankAsync"/>), logs every decision with its
/// probabilities, and learns from the rewards the store's change feed brings (whoever recorded them: this node's API, another
/// node, the default reward given after the wait). Points are documents (<see cref="DecisionPoint.DocumentKind"/>), followed
/// the same way. Learners are checkpointed to <c>{data}/decisions/{point}/vN.cb</c> and, at start, resumed from the newest
/// checkpoint plus the rewards logged after it.
/// </summary>
public sealed partial class DecisionService(IAttuneStore store, string checkpointDirectory, TimeProvider time, ILogger log) : IAsyncDisposable
{
    /// <summary>The point Personalizer's paths rank with (created with default settings on first use).</summary>
    public const string PersonalizerPoint = "personalizer";

    /// <summary>Checkpoints kept per point (older ones are deleted).</summary>
    public const int CheckpointsKept = 5;

    /// <summary>Decisions kept featurized in memory while they await their reward (beyond it they are rebuilt from the log).</summary>
    private const int MaxPending = 200_000;

    private readonly ConcurrentDictionary<string, PointState> _points = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PreparedDecision> _pending = new(StringComparer.Ordinal);
    /// <summary>About <c>_pending.Count</c> (which takes every lock of the dictionary: too dear for each rank).</summary>
    private int _pendingCount;
    private readonly SemaphoreSlim _learn = new(1, 1);
    /// <summary>Featurized action sets of logged decisions (used under <see cref="_learn"/> only).</summary>
    private readonly Dictionary<string, FeatureSet[]> _learnedActionSets = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _follow, _settle;
    private long _appliedChange;

    /// <summary>What is known of a user: their record's attributes (joined to the context as <c>profile.*</c> features when they
    /// allow personalization) and whether their decisions may be logged under their id. Null: nothing is known.</summary>
    public Func<string, CancellationToken, Task<PersonFacts?>>? People { get; set; }

    /// <summary>Whether people's tastes (top categories and brands, <see cref="PersonCache"/>) join the context as
    /// <c>profile.taste.*</c> features (when their consent allows personalization). <value>True.</value></summary>
    public bool TastesJoin { get; set; } = true;

    private PersonCache? _peopleCache;
    private PersonCache _people => _peopleCache ??= new PersonCache(store, time);

    /// <summary>Predictions about a person that join the context as numeric <c>profile.*</c> features with their consent
    /// (customer value: <c>clv.purchases90d</c>, <c>clv.palive</c>…). Null: none.</summary>
    public Func<string, bool, CancellationToken, Task<IReadOnlyList<Prediction>?>>? Predictions { get; set; }

    /// <summary>The experiments' router: which experiment and variant (or the holdout) a person is in at a point. Null: none.</summary>
    public Func<RouteRequest, Assignment?>? Route { get; set; }

    /// <summary>Called (on the learning thread) with every reward once it is learned: what follows rewards besides the
    /// learners (the offers' budgets) listens here.</summary>
    public event Action<RewardedDecision>? RewardLearned;

    /// <summary>How often overdue decisions get their default reward.</summary>
    public TimeSpan SettleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often learners that learned something are checkpointed.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Every point, by name.</summary>
    public IReadOnlyList<DecisionPoint> Points => [.. _points.Values.Select(p => p.Definition).OrderBy(p => p.Id, StringComparer.Ordinal)];

    public bool TryGet(string name, out DecisionPoint point)
    {
        point = _points.TryGetValue(name, out var state) ? state.Definition : null!;
        return point is not null;
    }

    /// <summary>The learner's state of a point (examples learned, the reward log position, its checkpoint).</summary>
    public LearnerStatus? Status(string name) =>
        _points.TryGetValue(name, out var s)
            ? new LearnerStatus(s.Policy.Learner.Examples, Volatile.Read(ref s.AppliedRewardSeq), s.CheckpointVersion, s.CheckpointedAt)
            : null;

    // ---------------------------------------------------------------- start, follow, stop

    /// <summary>Loads the points and their learners (checkpoint + the rewards after it), then follows the store.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        _appliedChange = await store.GetLastChangeSeqAsync(ct).ConfigureAwait(false);
        long lastReward = await store.GetLastRewardSeqAsync(ct).ConfigureAwait(false);
        await LoadPointsAsync(ct).ConfigureAwait(false);
        long from = long.MaxValue;
        foreach (var s in _points.Values) from = Math.Min(from, Volatile.Read(ref s.AppliedRewardSeq));
        if (from < lastReward) await LearnAsync(from, lastReward, ct).ConfigureAwait(false);
        _follow = Task.Run(() => FollowAsync(_stop.Token), CancellationToken.None);
        _settle = Task.Run(() => SettleAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>(Re)reads the point documents: new points get a learner (from their newest checkpoint), changed ones new settings.</summary>
    public async Task LoadPointsAsync(CancellationToken ct = default)
    {
        var docs = await store.ListDocumentsAsync(DecisionPoint.DocumentKind, ct).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            DecisionPoint? point;
            try { point = JsonSerializer.Deserialize<DecisionPoint>(doc.Json, AttuneJson.Options); }
            catch (JsonException e)
            {
                log.LogError(e, "Decision point {Point} is not readable; it is skipped", doc.Id);
                continue;
            }
            if (point is null) continue;
            seen.Add(point.Id);
            if (_points.TryGetValue(point.Id, out var known) && known.Definition.Version == point.Version) continue;
            await InstallAsync(point, known, ct).ConfigureAwait(false);
        }
        foreach (var name in _points.Keys)
            if (!seen.Contains(name)) _points.TryRemove(name, out _);
    }

    private async Task InstallAsync(DecisionPoint point, PointState? known, CancellationToken ct)
    {
        if (known is not null && known.Policy.Learner.Settings == point.Settings.Learning)
        {
            _points[point.Id] = known.With(point);
            return;
        }
        // A new point, or new learning settings: the newest checkpoint made with these settings, else a fresh learner
        // that replays every logged reward of the point.
        var (learner, seq, version, at) = LoadCheckpoint(point) ?? (new CbLearner(point.Settings.Learning), 0L, 0, (DateTimeOffset?)null);
        var state = new PointState(point, new DecisionPolicy(learner, point.Settings.Exploration)) { CheckpointVersion = version, CheckpointedAt = at };
        Volatile.Write(ref state.AppliedRewardSeq, seq);
        _points[point.Id] = state;
        if (known is not null && _follow is not null)
        {
            long last = await store.GetLastRewardSeqAsync(ct).ConfigureAwait(false);
            if (seq < last) await LearnAsync(seq, last, ct).ConfigureAwait(false);
        }
    }

    private async Task FollowAsync(CancellationToken ct)
    {
        var lastCheckpoint = time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await store.WaitForChangesAsync(_appliedChange, ct).WaitAsync(CheckpointInterval, time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException) { }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; } // the store closed first: the host is stopping
            try
            {
                await CatchUpAsync(ct).ConfigureAwait(false);
                if (time.GetUtcNow() - lastCheckpoint >= CheckpointInterval)
                {
                    await CheckpointAsync(ct).ConfigureAwait(false);
                    lastCheckpoint = time.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (ObjectDisposedException) { return; }
            catch (Exception e)
            {
                log.LogError(e, "Decision learning failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Applies every change committed so far: rewards are learned, changed points reloaded.</summary>
    public async Task CatchUpAsync(CancellationToken ct = default)
    {
        long applied = _appliedChange;
        bool reload = false;
        var rewards = new List<(long From, long To)>();
        await foreach (var change in store.ReadChangesAsync(applied, ct).ConfigureAwait(false))
        {
            if (change.Kind == ChangeKind.DecisionRewards) rewards.Add((change.FromEventSeq, change.ToEventSeq));
            else if (change.Kind is ChangeKind.UserUpserted or ChangeKind.UserDeleted or ChangeKind.VisitorDeleted or ChangeKind.IdentityLinked)
                ForgetPeople(change);
            else if (change.Kind is ChangeKind.DocumentPut or ChangeKind.DocumentDeleted && change.Other == DecisionPoint.DocumentKind) reload = true;
            applied = change.Seq;
        }
        if (reload) await LoadPointsAsync(ct).ConfigureAwait(false);
        foreach (var (from, to) in rewards) await LearnAsync(from, to, ct).ConfigureAwait(false);
        _appliedChange = applied;
    }

    /// <summary>Drops what ranks cached of a person (their record's facts and tastes).</summary>
    public void ForgetPerson(string id) => _peopleCache?.Forget(id);

    /// <summary>A person changed, was erased or identified: what was cached of them goes.</summary>
    private void ForgetPeople(StoreChange change)
    {
        if (_peopleCache is not { } people) return;
        if (change.Id is { } id) people.Forget(id);
        if (change.Other is { } other)
            foreach (var line in other.Split('\n', StringSplitOptions.RemoveEmptyEntries)) people.Forget(line);
    }

    /// <summary>Learns from the rewards with <paramref name="after"/> &lt; seq ≤ <paramref name="to"/> (each once per point).</summary>
    private async Task LearnAsync(long after, long to, CancellationToken ct)
    {
        await _learn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await foreach (var r in store.ReadRewardsAsync(after, to, ct).ConfigureAwait(false))
            {
                if (!_points.TryGetValue(r.Decision.Point, out var state) || r.Seq <= Volatile.Read(ref state.AppliedRewardSeq)) continue;
                var prepared = _pending.TryGetValue(r.Decision.EventId, out var p) ? p : PreparedDecision.FromRecord(r.Decision, _learnedActionSets);
                int slot = Array.IndexOf(prepared.SlotIds, r.Slot);
                if (slot >= 0)
                    state.Policy.Learn(prepared.SlotContexts[slot], prepared.Chosen[slot], r.Value, prepared.Probabilities[slot]);
                if (prepared.SlotIds.Length == 1 && _pending.TryRemove(r.Decision.EventId, out _)) Interlocked.Decrement(ref _pendingCount);
                Volatile.Write(ref state.AppliedRewardSeq, r.Seq);
                state.Dirty = true;
                RewardLearned?.Invoke(r);
            }
        }
        finally { _learn.Release(); }
    }

    private async Task SettleAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(SettleInterval, time, ct).ConfigureAwait(false);
                await SettleDueAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (ObjectDisposedException) { return; }
            catch (Exception e) { log.LogError(e, "Giving default rewards failed; retrying"); }
        }
    }

    /// <summary>Gives the default reward to every decision whose wait ended without one.</summary>
    public async Task<int> SettleDueAsync(CancellationToken ct = default)
    {
        int total = 0, n;
        do total += n = await store.SettleDecisionsAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), 1000, ct).ConfigureAwait(false);
        while (n == 1000);
        return total;
    }

    /// <summary>Stops following the store and giving defaults (the host calls it when it begins to stop, before the store closes).</summary>
    public void Stop()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        foreach (var t in new[] { _follow, _settle })
        {
            if (t is null) continue;
            try { await t.ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
        }
        try { await CheckpointAsync(CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { log.LogWarning(e, "Decision checkpoints not written at shutdown"); }
        _stop.Dispose();
    }

    // ---------------------------------------------------------------- points

    /// <summary>Creates or replaces a point (a new version; its learner carries on unless the learning settings changed).</summary>
    public async Task<DecisionPoint> PutAsync(DecisionPoint point, CancellationToken ct = default)
    {
        var previous = await store.ListDocumentsAsync(DecisionPoint.DocumentKind, ct).ConfigureAwait(false);
        int version = 1;
        foreach (var doc in previous)
        {
            if (doc.Id != point.Id) continue;
            version = (JsonSerializer.Deserialize<DecisionPoint>(doc.Json, AttuneJson.Options)?.Version ?? 0) + 1;
        }
        var stored = point with { Version = version, UpdatedAt = time.GetUtcNow() };
        await store.PutDocumentAsync(DecisionPoint.DocumentKind, point.Id, JsonSerializer.Serialize(stored, AttuneJson.Options), ct).ConfigureAwait(false);
        await LoadPointsAsync(ct).ConfigureAwait(false);
        return stored;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct = default)
    {
        bool deleted = await store.DeleteDocumentAsync(DecisionPoint.DocumentKind, name, ct).ConfigureAwait(false);
        if (deleted) _points.TryRemove(name, out _);
        return deleted;
    }

    /// <summary>The point of that name, created with default settings and no stored actions when missing (Personalizer's paths).</summary>
    public async Task<DecisionPoint> EnsureAsync(string name, CancellationToken ct = default) =>
        TryGet(name, out var point) ? point : await PutAsync(new DecisionPoint { Id = name }, ct).ConfigureAwait(false);

    // ---------------------------------------------------------------- rewards

    /// <summary>Records rewards (durable when it returns); each is learned from within moments, through the change feed.</summary>
    public Task<IReadOnlyList<RewardOutcome>> RewardAsync(IReadOnlyList<DecisionReward> rewards, CancellationToken ct = default) =>
        store.RecordRewardsAsync(rewards, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);

    /// <summary>Marks a deferred decision as shown: its reward wait starts now. False for an unknown event.</summary>
    public Task<bool> ActivateAsync(string eventId, CancellationToken ct = default) =>
        store.ActivateDecisionAsync(eventId, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);

    /// <summary>Combines named rewards by the point's weights: Σ weight · value, at most 1. Null names a reward without a weight.</summary>
    public static double Combine(DecisionSettings settings, IReadOnlyList<(string Name, double Value)> rewards, out string? unknown)
    {
        unknown = null;
        double sum = 0;
        foreach (var (name, value) in rewards)
        {
            if (settings.RewardWeights.Count == 0) sum += value / rewards.Count; // no weights: the mean
            else if (settings.RewardWeights.TryGetValue(name, out double w)) sum += w * value;
            else unknown ??= name;
        }
        return Math.Min(1, sum);
    }

    /// <summary>A new event id in Personalizer's form: 32 hex digits (in time order), a dash, 5 letters or digits.</summary>
    public static string NewEventId()
    {
        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        // The hex part is a version-7 GUID (time first, then random: the log's index grows at its end instead of at random
        // pages), the tail comes from a random version-4 GUID's bytes (unguessable, no extra syscalls).
        Span<byte> bytes = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(bytes);
        Span<char> text = stackalloc char[38];
        Guid.CreateVersion7().TryFormat(text, out _, "N");
        text[32] = '-';
        for (int i = 0; i < 5; i++) text[33 + i] = chars[bytes[i] % chars.Length];
        return new string(text);
    }

    internal static string HashKey(string json)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(json), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>A point's live state: definition, featurized stored actions, compiled eligibility, learner and exploration.</summary>
    private sealed class PointState
    {
        public PointState(DecisionPoint definition, DecisionPolicy policy)
        {
            Definition = definition;
            Policy = policy;
            Actions = PreparedActions.Of(definition.Actions.Where(a => a.Status == ActionStatus.Approved).ToArray());
            PolicyName = $"{JsonNamingPolicy.KebabCaseLower.ConvertName(definition.Settings.Exploration.Algorithm.ToString())} v{definition.Version}";
        }

        /// <summary>What decisions log as their policy (with the learner's example count): exploration and point version.</summary>
        public string PolicyName { get; }

        public DecisionPoint Definition { get; }
        public DecisionPolicy Policy { get; }
        /// <summary>The approved actions, featurized and with their eligibility compiled, once per point version.</summary>
        public PreparedActions Actions { get; }
        public long AppliedRewardSeq;
        public volatile bool Dirty;
        public int CheckpointVersion { get; set; }
        public DateTimeOffset? CheckpointedAt { get; set; }

        /// <summary>The same learner under a new definition (exploration and actions may have changed).</summary>
        public PointState With(DecisionPoint definition)
        {
            var next = new PointState(definition, new DecisionPolicy(Policy.Learner, definition.Settings.Exploration))
            {
                CheckpointVersion = CheckpointVersion,
                CheckpointedAt = CheckpointedAt,
                Dirty = Dirty,
            };
            Volatile.Write(ref next.AppliedRewardSeq, Volatile.Read(ref AppliedRewardSeq));
            return next;
        }
    }

    /// <summary>An action's features: its own and the indicator of its id (so each action can learn a value of its own).</summary>
    internal static FeatureSet Featurize(string id, JsonElement? features, double? worth = null)
    {
        var f = new FeatureSet { Worth = (float)(worth ?? 1) };
        Featurizer.AddIndicator(f, "_id", id);
        if (features is { } json) Featurizer.Add(json, f, "features");
        return f;
    }

    /// <summary>Actions ready to rank: featurized, eligibility compiled, and the action set's JSON and key for the log.</summary>
    internal sealed record PreparedActions(DecisionAction[] Actions, FeatureSet[] Features, Condition?[] Eligibility, string SetJson, string SetKey)
    {
        public static PreparedActions Of(DecisionAction[] actions)
        {
            var features = new FeatureSet[actions.Length];
            var eligibility = new Condition?[actions.Length];
            for (int i = 0; i < actions.Length; i++)
            {
                features[i] = Featurize(actions[i].Id, actions[i].Features, actions[i].Worth);
                if (actions[i].Eligibility is { } e) eligibility[i] = Condition.Compile(AttributeJson.FromElement(e));
            }
            string json = ActionSetOf(actions);
            return new PreparedActions(actions, features, eligibility, json, HashKey(json));
        }
    }

    internal static string ActionSetOf(IReadOnlyList<DecisionAction> actions)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var a in actions)
            {
                w.WriteStartObject();
                w.WriteString("id", a.Id);
                if (a.Features is { } f)
                {
                    w.WritePropertyName("features");
                    f.WriteTo(w);
                }
                if (a.Worth is { } worth) w.WriteNumber("worth", worth);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>What a rank knows of a user (see <see cref="DecisionService.People"/>).</summary>
/// <param name="Personalize">Their consent allows personalization: their attributes join the context.</param>
/// <param name="Collect">Their consent allows analytics: the decision is logged under their id (else under none).</param>
public sealed record PersonFacts(IReadOnlyDictionary<string, string> Attributes, bool Personalize, bool Collect);

/// <summary>One learner checkpoint of a point: its version, when it was written, the reward log position and examples it covers.</summary>
public sealed record CheckpointInfo(int Version, DateTime WrittenAt, long AppliedRewardSeq, long Examples);

/// <summary>A point's learner: examples learned, the last reward applied, and its newest checkpoint.</summary>
public sealed record LearnerStatus(long Examples, long AppliedRewardSeq, int CheckpointVersion, DateTimeOffset? CheckpointedAt);
