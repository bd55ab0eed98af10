using System.Text.Json;
using Attune.Model;
using Attune.Storage;

namespace Attune.Experiments.Definitions;

/// <summary>
/// The progressive rollouts of a store: started, stepped, completed and rolled back here, stored as documents
/// (<see cref="Kind"/> by id), read back by every node when the change feed reports a change. Reads take one immutable
/// snapshot; writes are serialized. A step change names the step it moves from, so a second caller (another node's runner)
/// that judged the same step finds it already moved and changes nothing.
/// </summary>
public sealed class RolloutBook(IAttuneStore store, TimeProvider time)
{
    public const string Kind = "rollout";

    private readonly SemaphoreSlim _writes = new(1, 1);
    private volatile IReadOnlyDictionary<string, Rollout> _rollouts = new Dictionary<string, Rollout>();

    /// <summary>Every rollout, by id.</summary>
    public IReadOnlyDictionary<string, Rollout> Current => _rollouts;

    /// <summary>The running rollouts, oldest first.</summary>
    public IReadOnlyList<Rollout> Running => [.. _rollouts.Values.Where(r => r.Status == RolloutStatus.Running).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)];

    public event Action<IReadOnlyDictionary<string, Rollout>>? Changed;

    public async Task LoadAsync(CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var rollouts = new Dictionary<string, Rollout>(StringComparer.Ordinal);
            foreach (var doc in await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false))
            {
                if (JsonSerializer.Deserialize<Rollout>(doc.Json, AttuneJson.Options) is { } r) rollouts[r.Id] = r;
            }
            Publish(rollouts);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Starts a rollout at its first step. Throws <see cref="ExperimentException"/> (conflict) when the id is taken or a
    /// running rollout already covers one of its scenarios.</summary>
    public async Task<Rollout> StartAsync(Rollout rollout, CancellationToken ct = default)
    {
        long eventSeq = await store.GetLastEventSeqAsync(ct).ConfigureAwait(false);
        return await WriteAsync(all =>
        {
            if (all.ContainsKey(rollout.Id))
                throw new ExperimentException("id", $"rollout '{rollout.Id}' exists (rollouts keep their history; use another id)", conflict: true);
            foreach (var other in all.Values)
            {
                if (other.Status != RolloutStatus.Running || !Overlap(other.Scenarios, rollout.Scenarios)) continue;
                throw new ExperimentException("scenarios", $"rollout '{other.Id}' is running on {Describe(other.Scenarios)}; one rollout per scenario at a time", conflict: true);
            }
            var now = time.GetUtcNow();
            return rollout with
            {
                Status = RolloutStatus.Running, Step = 0, Reason = null, CreatedAt = now, UpdatedAt = now,
                History = [new RolloutStepRun(1, rollout.Steps[0].Percent, now, null, eventSeq)],
            };
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Moves from step index <paramref name="fromStep"/> to the next, recording how the step ended. No-op (returns the
    /// rollout as it is) when it is no longer running at that step.</summary>
    public async Task<Rollout> AdvanceAsync(string id, int fromStep, string outcome, CancellationToken ct = default)
    {
        long eventSeq = await store.GetLastEventSeqAsync(ct).ConfigureAwait(false);
        return await WriteAsync(all =>
        {
            var r = Get(all, id);
            if (r.Status != RolloutStatus.Running || r.Step != fromStep || fromStep + 1 >= r.Steps.Count) return r;
            var now = time.GetUtcNow();
            int next = fromStep + 1;
            return r with
            {
                Step = next, UpdatedAt = now,
                History = [.. Ended(r, now, outcome), new RolloutStepRun(next + 1, r.Steps[next].Percent, now, null, eventSeq)],
            };
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The last step passed: the rollout is complete (whoever calls this has made the new side the baseline's).</summary>
    public Task<Rollout> CompleteAsync(string id, int fromStep, string outcome, string reason, CancellationToken ct = default) => WriteAsync(all =>
    {
        var r = Get(all, id);
        if (r.Status != RolloutStatus.Running || r.Step != fromStep) return r;
        var now = time.GetUtcNow();
        return r with { Status = RolloutStatus.Completed, Reason = reason, UpdatedAt = now, History = Ended(r, now, outcome) };
    }, ct);

    /// <summary>Rolls back: everyone gets the baseline again; <paramref name="reason"/> says why (kept with the rollout).</summary>
    /// <param name="fromStep">The step judged; null = whatever step it is at (a rollback by hand).</param>
    public Task<Rollout> RollBackAsync(string id, int? fromStep, string reason, CancellationToken ct = default) => WriteAsync(all =>
    {
        var r = Get(all, id);
        if (r.Status != RolloutStatus.Running)
        {
            if (fromStep is null) throw new ExperimentException("status", $"the rollout is {Name(r.Status)}, not running", conflict: true);
            return r;
        }
        if (fromStep is { } s && r.Step != s) return r;
        var now = time.GetUtcNow();
        return r with { Status = RolloutStatus.RolledBack, Reason = reason, UpdatedAt = now, History = Ended(r, now, "rolled back: " + reason) };
    }, ct);

    public static string Name(RolloutStatus status) => status switch
    {
        RolloutStatus.Running => "running",
        RolloutStatus.Completed => "completed",
        _ => "rolled back",
    };

    private static Rollout Get(IReadOnlyDictionary<string, Rollout> all, string id) =>
        all.TryGetValue(id, out var r) ? r : throw new ExperimentException("id", $"no rollout '{id}'", notFound: true);

    private static List<RolloutStepRun> Ended(Rollout r, DateTimeOffset now, string outcome) =>
        [.. r.History.Take(r.History.Count - 1), r.History[^1] with { EndedAt = now, Outcome = outcome }];

    private static bool Overlap(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == 0 || b.Count == 0 || a.Any(x => b.Contains(x, StringComparer.OrdinalIgnoreCase));

    private static string Describe(IReadOnlyList<string> scenarios) => scenarios.Count == 0 ? "every scenario" : string.Join(", ", scenarios);

    private async Task<Rollout> WriteAsync(Func<IReadOnlyDictionary<string, Rollout>, Rollout> change, CancellationToken ct)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var all = _rollouts;
            var next = change(all);
            if (all.TryGetValue(next.Id, out var old) && ReferenceEquals(old, next)) return next;
            await store.PutDocumentAsync(Kind, next.Id, JsonSerializer.Serialize(next, AttuneJson.Options), ct).ConfigureAwait(false);
            Publish(new Dictionary<string, Rollout>(all, StringComparer.Ordinal) { [next.Id] = next });
            return next;
        }
        finally
        {
            _writes.Release();
        }
    }

    private void Publish(IReadOnlyDictionary<string, Rollout> rollouts)
    {
        _rollouts = rollouts;
        Changed?.Invoke(rollouts);
    }
}
