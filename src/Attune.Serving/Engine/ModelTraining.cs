using System.Diagnostics;
using Attune.Serving.Models;
using Attune.Serving.Training;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Trains model versions from the store, saves them, makes one active (new, or a stored one: rollback) and refills live state
/// with the events stored after its watermark. One training at a time; requests keep being answered by the current version.
/// On a shared store (<paramref name="shared"/>), only the elected trainer trains: it publishes each version into the store
/// and names the active one there, which every node follows (<see cref="FollowAsync"/>).
/// </summary>
internal sealed class ModelTraining(IAttuneStore store, ServingOptions options, ServingModels models, LiveUpdates live, ChangeFeed feed,
    Func<IReadOnlyCollection<string>> pinnedByRecipes, BlendTuning blend, SharedModels? shared, Leadership leadership, TimeProvider time, ILogger log)
{
    private readonly BundleTrainer _trainer = new(options.Models, time);
    private readonly SemaphoreSlim _training = new(1, 1);
    private volatile string? _status;

    /// <summary>A version was trained (and saved).</summary>
    public event Action<ModelInfo>? Trained;

    /// <summary>What training is doing now (null when idle).</summary>
    public string? Status => _status;

    public bool IsIdle => _training.CurrentCount > 0;

    public DateTimeOffset LastTrainedAt { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>The tunings whose parameters trainings use: the active version's (null: the configured parameters).</summary>
    private List<TuningInfo>? _tunings;

    /// <summary>When the parameters in force were tuned, or when this engine started without any.</summary>
    private DateTimeOffset _tunedAt = time.GetUtcNow();

    /// <summary>Trains a new version from the store, saves it and makes it active. A second call waits for the first.</summary>
    /// <param name="activate">False: only save it (a rollout ramps it up); the retraining triggers count from now all the same.</param>
    public async Task<ModelInfo> TrainAsync(string reason, CancellationToken ct = default, int threads = 0, bool activate = true)
    {
        await _training.WaitAsync(ct).ConfigureAwait(false);
        using var activity = ServingTracing.Source.StartActivity("attune.train");
        activity?.SetTag(ServingTracing.TrainingReason, reason);
        try
        {
            var repository = models.Repository;
            string version;
            if (shared is not null)
            {
                if (!leadership.IsLeader) throw new InvalidOperationException($"this node ({options.NodeName}) is not the trainer");
                // Numbers are unique across nodes: the next one is above every version stored, copied here or not.
                _status = "copying stored versions";
                version = repository.NextVersion(await shared.SyncAsync(Serving(), ct).ConfigureAwait(false));
                await shared.TrainingStartedAsync(reason, ct).ConfigureAwait(false);
            }
            else version = repository.NextVersion();
            activity?.SetTag(ServingTracing.ModelVersion, version);
            var bundle = await ReadAndTrainAsync(version, reason, threads, ct).ConfigureAwait(false);
            activity?.SetTag(ServingTracing.TrainingEvents, bundle.Info.Events);
            _status = "saving";
            repository.Save(bundle);
            if (shared is not null)
            {
                // A node that lost the role (the store unreachable from here for a while) may have been replaced: its version
                // stays on its own disk, unpublished.
                if (!await leadership.ConfirmAsync(ct).ConfigureAwait(false))
                    throw new InvalidOperationException($"this node ({options.NodeName}) is no longer the trainer; {version} is not published");
                _status = "publishing";
                await shared.PublishAsync(bundle.Info, ct).ConfigureAwait(false);
            }
            if (activate)
            {
                await ActivateAsync(bundle, rollback: false, ct).ConfigureAwait(false);
                var pinned = pinnedByRecipes();
                repository.SetActive(version, pinned);
                if (shared is not null)
                {
                    await shared.SetActiveAsync(version, ct).ConfigureAwait(false);
                    await shared.PruneAsync(version, pinned, ct).ConfigureAwait(false);
                }
            }
            else live.ResetEventCount();
            LastTrainedAt = time.GetUtcNow();
            log.LogInformation("Model {Version} trained in {Seconds:F1} s from {Events:N0} events ({Reason})", version,
                bundle.Info.TrainingSeconds, bundle.Info.Events, reason);
            Trained?.Invoke(bundle.Info);
            // Training's arrays are garbage now. Before the first model nothing is served, so a blocking compacting collection
            // hands the memory back to the system at once; later, requests are flowing: a background collection, no pause.
            if (reason == "startup") GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            else GC.Collect(2, GCCollectionMode.Optimized, blocking: false);
            return bundle.Info;
        }
        catch (Exception e)
        {
            ServingTracing.Failed(activity, e);
            throw;
        }
        finally
        {
            if (shared is not null && leadership.IsLeader)
            {
                try { await shared.TrainingEndedAsync(CancellationToken.None).ConfigureAwait(false); }
                catch (Exception e) { log.LogWarning("Could not record the training's end ({Error}); the next trainer may train again", e.Message); }
            }
            _status = null;
            _training.Release();
        }
    }

    /// <summary>The versions this node serves or recipes name: never deleted as stale copies.</summary>
    private HashSet<string> Serving() => [.. pinnedByRecipes(), .. models.Loaded];

    /// <summary>Reads the store and trains; the snapshot (the biggest allocation of all) is garbage once this returns.</summary>
    private async Task<ModelBundle> ReadAndTrainAsync(string version, string reason, int threads, CancellationToken ct)
    {
        _status = "reading the store";
        var read = Stopwatch.StartNew();
        var snapshot = await StoreTrainingData.LoadSnapshotAsync(store,
            new SnapshotOptions { Threads = threads > 0 ? threads : options.TrainingThreads, Time = time, Now = time.GetUtcNow(), ImpressionWindow = TimeSpan.FromHours(options.FrequencyCapWindowHours) }, ct)
            .ConfigureAwait(false);
        double readSeconds = Math.Round(read.Elapsed.TotalSeconds, 3);
        log.LogInformation("Read {Events:N0} events of {Users:N0} people in {Seconds:F1} s", snapshot.Data.Events?.Count ?? 0, snapshot.Data.Users, readSeconds);
        _status = reason == Tuning ? "tuning" : "training";
        // A tuning made for other configured parameters no longer applies: the configuration is where to start again.
        TuningInfo? InForce(string component, string configured) =>
            _tunings?.Find(t => t.Component == component && t.Defaults == configured);
        var als = InForce("als", options.Models.Als);
        var sequence = InForce("sequence", options.Models.Sequence);
        var forYou = blend.Defaults is { } weights ? InForce(BlendTuning.Scenario, weights) : null;
        var plan = new BundleTrainingPlan(als?.Parameters, reason == Tuning ? TimeSpan.FromSeconds(options.TuningBudgetSeconds) : null,
            sequence?.Parameters, options.TuningPeople, reason == Tuning && options.TuneBlend ? blend : null);
        var trained = await Task.Run(() => _trainer.Train(snapshot, version, reason, ct, plan), ct).ConfigureAwait(false);
        // A version trained with tuned parameters carries those tunings forward (what they chose, when, and the gain measured).
        var carried = new[] { als, sequence, forYou }.OfType<TuningInfo>().ToList();
        List<TuningInfo>? inForce = carried.Count == 0 ? null : carried;
        return trained.WithInfo(trained.Info with
        {
            ReadSeconds = readSeconds,
            Node = options.NodeName,
            Tuning = trained.Info.Tuning ?? (trained.Info.Tunings is null ? als : null),
            Tunings = trained.Info.Tunings ?? inForce,
        });
    }

    /// <summary>Makes a version on disk the active one (rollback); live state is rebuilt from the events after its snapshot.
    /// On a shared store every node switches to it (the store names it the active version).</summary>
    public async Task<ModelInfo> ActivateAsync(string version, CancellationToken ct = default)
    {
        var repository = models.Repository;
        if (shared is not null && !repository.Exists(version)) await shared.SyncAsync(Serving(), ct).ConfigureAwait(false);
        if (!repository.Exists(version)) throw new FileNotFoundException($"no model version '{version}'");
        var bundle = await Task.Run(() => repository.Load(version), ct).ConfigureAwait(false);
        await ActivateAsync(bundle, rollback: true, ct).ConfigureAwait(false);
        repository.SetActive(version, pinnedByRecipes());
        if (shared is not null) await shared.SetActiveAsync(version, ct).ConfigureAwait(false);
        if (LastTrainedAt == DateTimeOffset.MinValue) LastTrainedAt = bundle.Info.TrainedAt;
        return bundle.Info;
    }

    /// <summary>
    /// Serves the version the shared store names active (another node trained it, or rolled back to it): a new version keeps
    /// the live events already applied, like one trained here; an older one rebuilds live state like a rollback.
    /// </summary>
    public async Task<ModelInfo> FollowAsync(string version, CancellationToken ct)
    {
        var repository = models.Repository;
        var bundle = await Task.Run(() => repository.Load(version), ct).ConfigureAwait(false);
        bool newer = models.Active is not { } active || bundle.Info.Watermark >= active.Bundle.Info.Watermark;
        await ActivateAsync(bundle, rollback: !newer, ct).ConfigureAwait(false);
        repository.MarkActive(version);
        LastTrainedAt = bundle.Info.TrainedAt;
        log.LogInformation("Serving model {Version} (trained by {Node})", version, bundle.Info.Node ?? "another node");
        return bundle.Info;
    }

    /// <summary>
    /// Swaps the bundle in and brings live state up to date with the events stored after its watermark, with no change of the
    /// feed applied meanwhile. A new version keeps the live events the feed already applied (received after its snapshot)
    /// and replays only the rest; a rollback rebuilds live state from the older watermark. The new state's trending gets
    /// every event after its watermark either way.
    /// </summary>
    private Task ActivateAsync(ModelBundle bundle, bool rollback, CancellationToken ct) => feed.ExclusiveAsync(async () =>
    {
        var state = models.Activate(bundle, live.Profiles, rollback, pinnedByRecipes());
        _tunings = bundle.Info.Tunings ?? (bundle.Info.Tuning is { } alsOnly ? [alsOnly] : null); // a version from before sequence tuning
        if (_tunings is [{ At: { } at }, ..]) _tunedAt = at;
        live.ResetEventCount();
        long applied = rollback ? 0 : live.EventsAppliedThrough;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long last = await store.GetLastEventSeqAsync(ct).ConfigureAwait(false);
        // Replayed events count as received after the snapshot (they were stored after its watermark).
        long received = Math.Max(now, bundle.Info.SnapshotAt.ToUnixTimeMilliseconds() + 1);
        await foreach (var e in store.ReadEventsAsync(bundle.Info.Watermark, last, ct).ConfigureAwait(false))
        {
            if (e.Seq > applied) live.Replay(e, received, state);
            else LiveUpdates.AddTrending(e, state);
        }
        live.EventsAppliedThrough = Math.Max(applied, last);
    }, ct);

    /// <summary>The reason of a training that tunes first.</summary>
    public const string Tuning = "tuning";

    /// <summary>Why to retrain now, or null: the tuning schedule, enough new events, or the schedule.</summary>
    public string? RetrainReason()
    {
        if (options.TuningIntervalHours > 0 && time.GetUtcNow() - _tunedAt >= TimeSpan.FromHours(options.TuningIntervalHours))
        {
            _tunedAt = time.GetUtcNow(); // due once per interval, even when the tuning keeps the configured parameters
            return Tuning;
        }
        if (options.RetrainAfterEvents > 0 && live.EventsSinceModel >= options.RetrainAfterEvents) return "new-events";
        if (options.RetrainIntervalMinutes > 0 && time.GetUtcNow() - LastTrainedAt >= TimeSpan.FromMinutes(options.RetrainIntervalMinutes)) return "schedule";
        return null;
    }
}
