using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// On a shared store: keeps this node serving the version the store names active, and, on the elected trainer, runs the
/// trainings other nodes ask for and the one a dead trainer left unfinished. Woken by the change feed when a document of
/// kind <see cref="SharedModels.Kind"/> changes (reloaders run under the feed's lock, and activating a version waits for
/// it: so the work runs on this loop, never in the reloader), and every 10 s besides.
/// </summary>
internal sealed class ModelFollower(SharedModels shared, Leadership leadership, ModelTraining training, ServingModels models,
    Func<string, CancellationToken, Task> train, ILogger log) : IAsyncDisposable
{
    private static readonly TimeSpan Fallback = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private Task _training = Task.CompletedTask;

    /// <summary>The feed's reloader for documents of kind <see cref="SharedModels.Kind"/>.</summary>
    public Task ChangedAsync(CancellationToken _)
    {
        _signal.Release();
        return Task.CompletedTask;
    }

    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>Copies the stored versions and serves the active one (at start, before anything is served).</summary>
    public async Task FollowOnceAsync(CancellationToken ct)
    {
        await shared.SyncAsync(models.Loaded, ct).ConfigureAwait(false);
        if (await shared.ActiveChangedAsync(ct).ConfigureAwait(false) is not { } active) return;
        if (active.Version == models.Active?.Bundle.Info.Version) shared.Followed(active);
        else if (models.Repository.Exists(active.Version))
        {
            await training.FollowAsync(active.Version, ct).ConfigureAwait(false);
            shared.Followed(active);
        }
        else log.LogWarning("The store names model {Version} active, but it is not stored; serving the current version", active.Version);
    }

    /// <summary>
    /// This node just became the trainer: a training asked for, or one the previous trainer started and did not finish, is
    /// run here now; with no version anywhere yet, a first one is trained.
    /// </summary>
    public async Task ElectedAsync(CancellationToken ct)
    {
        var pending = await shared.GetTrainingAsync(ct).ConfigureAwait(false);
        if (pending is { State: SharedModels.TrainingState.Running } && pending.Node != shared.Node)
        {
            log.LogWarning("Node {Node} was training ({Reason}) when it stopped being the trainer; training here instead", pending.Node, pending.Reason);
            StartTraining("takeover");
        }
        else if (pending is { State: SharedModels.TrainingState.Requested }) StartTraining(pending.Reason);
        else if (models.Active is null && await shared.GetActiveAsync(ct).ConfigureAwait(false) is null) StartTraining("startup");
    }

    private void StartTraining(string reason)
    {
        if (!_training.IsCompleted) return;
        _training = Task.Run(async () =>
        {
            try
            {
                await train(reason, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
            catch (Exception e)
            {
                log.LogError(e, "Training ({Reason}) failed", reason);
            }
            _signal.Release(); // a request that came meanwhile
        });
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(Fallback, ct).ConfigureAwait(false);
                while (_signal.CurrentCount > 0) await _signal.WaitAsync(ct).ConfigureAwait(false); // one pass for a burst
                await FollowOnceAsync(ct).ConfigureAwait(false);
                if (leadership.IsLeader && _training.IsCompleted && training.IsIdle
                    && await shared.GetTrainingAsync(ct).ConfigureAwait(false) is { State: SharedModels.TrainingState.Requested } request)
                    StartTraining(request.Reason);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                log.LogWarning("Following the shared model versions failed ({Error}); trying again", e.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        try { await _training.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
