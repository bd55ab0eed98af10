using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Once a second: online trending ticks in every loaded state; every 2 s, the content model is refit when new items arrived
/// (they become recommendable by similarity within seconds); every 5 s, a retraining starts when one is due (through
/// <paramref name="retrain"/>: at once, or through a rollout) and running rollouts are judged (<paramref name="rollouts"/>).
/// On a shared store, only the elected trainer retrains and judges (<paramref name="leadership"/>); every node ticks and refits.
/// </summary>
internal sealed class BackgroundWork(ServingModels models, ModelTraining training, Func<string, CancellationToken, Task> retrain,
    Func<CancellationToken, Task> rollouts, Leadership leadership, TimeProvider time, ILogger log) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    private Task _retraining = Task.CompletedTask;

    public void Start() => _loop ??= Task.Run(RunAsync);

    private async Task RetrainAsync(string reason, CancellationToken ct)
    {
        try
        {
            await Task.Yield();
            await retrain(reason, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e)
        {
            log.LogError(e, "Retraining ({Reason}) failed; retrying later", reason);
        }
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        long tick = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                tick++;
                try
                {
                    long now = time.GetUtcNow().ToUnixTimeMilliseconds();
                    foreach (var state in models.All) state.Trending.Tick(now);
                    if (models.CatalogGrew && tick % 2 == 0) models.RefitContent();
                    if (!leadership.IsLeader) continue;
                    if (tick % 5 == 0) await rollouts(ct).ConfigureAwait(false);
                    // Training runs beside this loop (minutes), so ticks and rollout guardrails go on meanwhile.
                    if (tick % 5 == 0 && _retraining.IsCompleted && training.IsIdle && training.RetrainReason() is { } reason) _retraining = RetrainAsync(reason, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Background serving work failed; retrying later");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        await _retraining.ConfigureAwait(false);
        _stop.Dispose();
    }
}
