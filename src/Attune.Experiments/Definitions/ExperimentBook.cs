using System.Text.Json;
using Attune.Model;
using Attune.Storage;

namespace Attune.Experiments.Definitions;

/// <summary>
/// The experiments of a store and the global holdout: created, changed, started and stopped here, stored as documents
/// (<see cref="Kind"/> by id, <see cref="HoldoutKind"/>), read back by every node when the change feed reports a change
/// (<see cref="LoadAsync"/>). Reads take one immutable snapshot; writes are serialized.
/// </summary>
public sealed class ExperimentBook(IAttuneStore store, TimeProvider time)
{
    public const string Kind = "experiment";
    public const string HoldoutKind = "holdout";
    private const string HoldoutId = "global";

    private readonly SemaphoreSlim _writes = new(1, 1);
    private volatile Snapshot _snapshot = new(new Dictionary<string, Experiment>(), null);

    /// <summary>Every experiment, by id, and the holdout (null = none).</summary>
    public sealed record Snapshot(IReadOnlyDictionary<string, Experiment> Experiments, Holdout? Holdout)
    {
        /// <summary>The running experiments, oldest start first (the first that takes a person for a scenario serves them).</summary>
        public IReadOnlyList<Experiment> Running { get; } = [.. Experiments.Values
            .Where(e => e.Status == ExperimentStatus.Running)
            .OrderBy(e => e.Phases[0].StartedAt).ThenBy(e => e.Id, StringComparer.Ordinal)];
    }

    public Snapshot Current => _snapshot;

    public event Action<Snapshot>? Changed;

    public async Task LoadAsync(CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var experiments = new Dictionary<string, Experiment>(StringComparer.Ordinal);
            foreach (var doc in await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false))
            {
                if (JsonSerializer.Deserialize<Experiment>(doc.Json, AttuneJson.Options) is { } e) experiments[e.Id] = e;
            }
            Holdout? holdout = null;
            foreach (var doc in await store.ListDocumentsAsync(HoldoutKind, ct).ConfigureAwait(false))
            {
                if (doc.Id == HoldoutId) holdout = JsonSerializer.Deserialize<Holdout>(doc.Json, AttuneJson.Options);
            }
            Publish(new Snapshot(experiments, holdout is { Share: > 0 } ? holdout : null));
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Stores a new experiment as a draft. Throws <see cref="ExperimentException"/> when the id is taken.</summary>
    public Task<Experiment> CreateAsync(Experiment experiment, CancellationToken ct = default) => WriteAsync(snapshot =>
    {
        if (snapshot.Experiments.ContainsKey(experiment.Id))
            throw new ExperimentException("id", $"experiment '{experiment.Id}' exists; change it with PUT /v1/experiments/{experiment.Id}", conflict: true);
        CheckNamespace(snapshot, experiment);
        var now = time.GetUtcNow();
        return experiment with { Status = ExperimentStatus.Draft, Phases = [], CreatedAt = now, UpdatedAt = now };
    }, ct);

    /// <summary>
    /// Replaces an experiment's definition. A running experiment whose variants, weights or coverage change starts a new
    /// phase (results are per phase; people keep the variant they had in the phase they were exposed in).
    /// </summary>
    public Task<Experiment> UpdateAsync(Experiment experiment, CancellationToken ct = default) => WriteAsync(snapshot =>
    {
        if (!snapshot.Experiments.TryGetValue(experiment.Id, out var old)) throw new ExperimentException("id", $"no experiment '{experiment.Id}'", notFound: true);
        if (old.Status == ExperimentStatus.Stopped) throw new ExperimentException("status", "a stopped experiment cannot be changed; create a new one");
        CheckNamespace(snapshot, experiment);
        var now = time.GetUtcNow();
        var phases = old.Phases;
        if (old.Status == ExperimentStatus.Running && experiment.SplitDiffers(old))
        {
            var current = phases[^1];
            phases = [.. phases.Take(phases.Count - 1), current with { EndedAt = now },
                new ExperimentPhase(current.Number + 1, now, null, experiment.Variants, experiment.Coverage, "variants, weights or coverage changed")];
        }
        return experiment with { Status = old.Status, Phases = phases, CreatedAt = old.CreatedAt, UpdatedAt = now };
    }, ct);

    public async Task<Experiment> StartAsync(string id, CancellationToken ct = default)
    {
        long eventSeq = await store.GetLastEventSeqAsync(ct).ConfigureAwait(false);
        return await WriteAsync(snapshot => Start(snapshot, id, eventSeq), ct).ConfigureAwait(false);
    }

    private Experiment Start(Snapshot snapshot, string id, long eventSeq)
    {
        if (!snapshot.Experiments.TryGetValue(id, out var e)) throw new ExperimentException("id", $"no experiment '{id}'", notFound: true);
        if (e.Status == ExperimentStatus.Running) throw new ExperimentException("status", "the experiment is already running", conflict: true);
        if (e.Status == ExperimentStatus.Stopped)
            throw new ExperimentException("status", "a stopped experiment cannot be started again (its people were already told apart); create a new one");
        CheckNamespace(snapshot, e);
        var now = time.GetUtcNow();
        return e with { Status = ExperimentStatus.Running, Phases = [new ExperimentPhase(1, now, null, e.Variants, e.Coverage, "started", eventSeq)], UpdatedAt = now };
    }

    public Task<Experiment> StopAsync(string id, CancellationToken ct = default) => WriteAsync(snapshot =>
    {
        if (!snapshot.Experiments.TryGetValue(id, out var e)) throw new ExperimentException("id", $"no experiment '{id}'", notFound: true);
        if (e.Status != ExperimentStatus.Running) throw new ExperimentException("status", $"the experiment is {e.Status.ToString().ToLowerInvariant()}, not running", conflict: true);
        var now = time.GetUtcNow();
        return e with { Status = ExperimentStatus.Stopped, Phases = [.. e.Phases.Take(e.Phases.Count - 1), e.Phases[^1] with { EndedAt = now }], UpdatedAt = now };
    }, ct);

    /// <summary>Sets (or with a share of 0, removes) the global holdout.</summary>
    public async Task<Holdout?> PutHoldoutAsync(Holdout holdout, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var previous = _snapshot.Holdout;
            // Changing only the recipe or the share keeps the holdout's start (and its results); a new holdout starts now.
            var stored = previous is not null && holdout.Share > 0
                ? holdout with { UpdatedAt = previous.UpdatedAt, EventSeq = previous.EventSeq }
                : holdout with { UpdatedAt = time.GetUtcNow(), EventSeq = await store.GetLastEventSeqAsync(ct).ConfigureAwait(false) };
            if (holdout.Share > 0) await store.PutDocumentAsync(HoldoutKind, HoldoutId, JsonSerializer.Serialize(stored, AttuneJson.Options), ct).ConfigureAwait(false);
            else await store.DeleteDocumentAsync(HoldoutKind, HoldoutId, ct).ConfigureAwait(false);
            var result = holdout.Share > 0 ? stored : null;
            Publish(_snapshot with { Holdout = result });
            return result;
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task<Experiment> WriteAsync(Func<Snapshot, Experiment> change, CancellationToken ct)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var snapshot = _snapshot;
            var next = change(snapshot);
            await store.PutDocumentAsync(Kind, next.Id, JsonSerializer.Serialize(next, AttuneJson.Options), ct).ConfigureAwait(false);
            Publish(new Snapshot(new Dictionary<string, Experiment>(snapshot.Experiments, StringComparer.Ordinal) { [next.Id] = next }, snapshot.Holdout));
            return next;
        }
        finally
        {
            _writes.Release();
        }
    }

    private void Publish(Snapshot snapshot)
    {
        _snapshot = snapshot;
        Changed?.Invoke(snapshot);
    }

    /// <summary>Two experiments that are not stopped may share a namespace only with disjoint ranges.</summary>
    private static void CheckNamespace(Snapshot snapshot, Experiment e)
    {
        if (e.Namespace is not { } ns) return;
        foreach (var other in snapshot.Experiments.Values)
        {
            if (other.Id == e.Id || other.Status == ExperimentStatus.Stopped || other.Namespace is not { } theirs) continue;
            if (ns.Overlaps(theirs))
                throw new ExperimentException("namespace",
                    $"[{ns.Start}, {ns.End}) of namespace '{ns.Name}' overlaps experiment '{other.Id}' ([{theirs.Start}, {theirs.End}))");
        }
    }
}

/// <summary>
/// The global holdout: a share of people who always get <see cref="Recipe"/> (non-personal) in every scenario, so the uplift
/// of personalization as a whole is measured all the time. They are never in an experiment.
/// </summary>
public sealed record Holdout(double Share, string Recipe = Holdout.DefaultRecipe)
{
    /// <summary>The shipped non-personal recipe (popularity in the request's context; item pages keep item-to-item lists).</summary>
    public const string DefaultRecipe = "non-personal";

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The store's newest event seq when the holdout was set: its results are rebuilt from the events after it.</summary>
    public long EventSeq { get; init; }

    /// <summary>The holdout as an experiment (for results): <c>holdout</c> is the control, <c>personalized</c> the treatment.</summary>
    public Experiment AsExperiment() => new()
    {
        Id = "holdout",
        Name = "Global holdout: personalization against the non-personal recipe",
        Variants = [new ExperimentVariant("holdout", Recipe, Share), new ExperimentVariant("personalized", Definitions.Recipes.Default, 1 - Share)],
        Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue, Metrics.AddToCart, Metrics.ClickThrough], []),
        Status = ExperimentStatus.Running,
        Phases = [new ExperimentPhase(1, UpdatedAt, null,
            [new ExperimentVariant("holdout", Recipe, Share), new ExperimentVariant("personalized", Definitions.Recipes.Default, 1 - Share)], 1, "holdout set", EventSeq)],
        CreatedAt = UpdatedAt,
        UpdatedAt = UpdatedAt,
    };
}

/// <summary>Recipe names the experiments layer refers to.</summary>
public static class Recipes
{
    public const string Default = "default";
}

/// <summary>A change that cannot be made: 400 naming <see cref="Field"/> (404 or 409 when flagged).</summary>
public sealed class ExperimentException(string field, string reason, bool notFound = false, bool conflict = false) : InvalidOperationException($"{field}: {reason}")
{
    public string Field { get; } = field;
    public string Reason { get; } = reason;
    public bool NotFound { get; } = notFound;
    public bool Conflict { get; } = conflict;
}
