using Attune.Serving.Engine;
using Attune.Serving.Models;
using Microsoft.Extensions.Logging;

namespace Attune.Serving;

/// <summary>
/// Model versions: training, rollback and deletion, on the embedded store (this process trains, its data folder holds the
/// versions) or on a shared one (the elected trainer trains; versions are kept in the store and every node serves the one
/// the store names active).
/// </summary>
public sealed partial class ServingEngine
{
    /// <summary>
    /// Trains a new version from the store, saves it and makes it active. One training at a time; a second call waits. On a
    /// shared store a node that is not the trainer asks the trainer, and returns once the version it trained is served here.
    /// </summary>
    public async Task<ModelInfo> TrainAsync(string reason, CancellationToken ct = default, int threads = 0) =>
        _shared is null || _leadership.IsLeader
            ? await _training.TrainAsync(reason, ct, threads).ConfigureAwait(false)
            : (await AskTrainerAsync(reason, ct).ConfigureAwait(false))!;

    /// <summary>Makes a stored version the active one (rollback; on a shared store, on every node); live state is rebuilt
    /// from the events after its snapshot.</summary>
    public Task<ModelInfo> ActivateAsync(string version, CancellationToken ct = default) => _training.ActivateAsync(version, ct);

    /// <summary>Deletes a stored version (not the active one); recipes that named it fall back to the active version.</summary>
    /// <exception cref="InvalidOperationException">It is the active version.</exception>
    public async Task<bool> DeleteVersionAsync(string version, CancellationToken ct = default)
    {
        bool deleted;
        if (_shared is not null)
        {
            if (version == ActiveVersion || (await _shared.GetActiveAsync(ct).ConfigureAwait(false))?.Version == version)
                throw new InvalidOperationException($"{version} is the active version; activate another first");
            deleted = await _shared.DeleteAsync(version, ct).ConfigureAwait(false);
        }
        else deleted = _models.Repository.Delete(version);
        _models.KeepPinned(PinnedVersions());
        return deleted;
    }

    /// <summary>Whether this node trains (always, on the embedded store; on a shared one, the node holding the trainer lease).</summary>
    public bool IsTrainer => _leadership.IsLeader;

    /// <summary>
    /// On a shared store, at start: copies the stored versions, serves the active one, and tries once to become the trainer
    /// (which trains the first version when there is none, after this returns). A node that is not the trainer and finds no
    /// version serves nothing (<c>/ready</c> false) until the trainer publishes one.
    /// </summary>
    private async Task StartSharedAsync(CancellationToken ct)
    {
        try
        {
            await _follower!.FollowOnceAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or EndOfStreamException)
        {
            _log.LogWarning(e, "The active model could not be loaded; waiting for the next one");
        }
        if (await _leadership.TryAcquireAsync(ct).ConfigureAwait(false))
        {
            if (_models.Active is not null) await _follower!.ElectedAsync(ct).ConfigureAwait(false);
        }
        else if (_models.Active is null) _log.LogInformation("Waiting for the trainer node's first model version");
    }

    /// <summary>A training the trainer runs for the follower (a request, a takeover): a tuning goes out like a retraining.</summary>
    private async Task TrainHereAsync(string reason, CancellationToken ct)
    {
        if (reason == ModelTraining.Tuning) await RetrainAsync(reason, ct).ConfigureAwait(false);
        else await _training.TrainAsync(reason, ct).ConfigureAwait(false);
    }

    /// <summary>Asks the trainer node for a training and waits for a version newer than any stored now to be served here.</summary>
    private async Task<ModelInfo?> AskTrainerAsync(string reason, CancellationToken ct)
    {
        int above = 0;
        foreach (var info in _models.Repository.List()) above = Math.Max(above, ModelRepository.NumberOf(info.Version));
        await _shared!.RequestTrainingAsync(reason, ct).ConfigureAwait(false);
        _log.LogInformation("Asked the trainer node for a training ({Reason})", reason);
        while (true)
        {
            if (_models.Active?.Bundle.Info is { } active && ModelRepository.NumberOf(active.Version) > above) return active;
            if (reason == ModelTraining.Tuning && Options.RetrainThroughRollout)
                foreach (var info in _models.Repository.List())
                    if (ModelRepository.NumberOf(info.Version) > above && info.Reason == ModelTraining.Tuning) return info;
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }
}
