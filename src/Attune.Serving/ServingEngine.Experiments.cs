using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Storage;

namespace Attune.Serving;

/// <summary>Experiments at start-up: what each tracked experiment counted, restored from exposures, the checkpoint and events.</summary>
public sealed partial class ServingEngine
{
    private void TrackAll(ExperimentBook.Snapshot snapshot)
    {
        foreach (var e in snapshot.Experiments.Values) if (e.Phases.Count > 0) Tracker.Track(e);
        if (snapshot.Holdout is not null) Tracker.Track(snapshot.Holdout.AsExperiment());
    }

    /// <summary>The id a person's events carry: the user id, or the anonymous id until it is identified.</summary>
    private (string Id, bool Anonymous) OwnerOf(Exposure e) => e.Anonymous ? _live.Profiles.Owner(null, e.PersonId) : (e.PersonId, false);

    /// <summary>
    /// Start-up: the sticky assignments and results of every experiment that ran (running and stopped), rebuilt from the
    /// store's exposures, the experiment checkpoint (people counted before retention purged their events) and the events
    /// after it, or since the experiment began without one (one pass over those events).
    /// </summary>
    private async Task RestoreExperimentsAsync(CancellationToken ct)
    {
        var snapshot = Experiments.Current;
        TrackAll(snapshot);
        RolloutsChanged(Rollouts.Current);
        // Every tracked id with the event seq its results start from: experiments, the holdout, each step of each rollout.
        var tracked = snapshot.Experiments.Values.Where(e => e.Phases.Count > 0).Select(e => (e.Id, e.Phases[0].EventSeq)).ToList();
        if (snapshot.Holdout is { } holdout) tracked.Add((ExperimentRouter.HoldoutId, holdout.EventSeq));
        foreach (var rollout in Rollouts.Current.Values)
            foreach (var run in rollout.History) tracked.Add((rollout.TrackedId(run.Number), run.EventSeq));
        long checkpoint = _checkpoint.Load();
        long from = long.MaxValue;
        foreach (var (id, eventSeq) in tracked)
        {
            await foreach (var exposure in _store.ReadExposuresAsync(id, ct).ConfigureAwait(false))
            {
                Router.Restore(exposure);
                Router.RestoreRollout(exposure);
                var (owner, anonymous) = OwnerOf(exposure);
                // Counted under the anonymous id at the checkpoint, identified since: the person moves to the user.
                if (exposure.Anonymous && owner != exposure.PersonId) Tracker.Link(exposure.PersonId, owner);
                Tracker.Expose(exposure, owner);
                _prePeriods.Add(exposure, owner, anonymous);
            }
            from = Math.Min(from, eventSeq);
        }
        if (from == long.MaxValue) return;
        from = Math.Max(from, checkpoint);
        await foreach (var e in _store.ReadEventsAsync(from, long.MaxValue, ct).ConfigureAwait(false)) Tracker.Observe(e);
    }
}
