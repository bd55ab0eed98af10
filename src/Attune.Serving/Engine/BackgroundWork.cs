using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Once a second: online trending ticks in every loaded state; every 2 s, the content model is refit when new items arrived
/// (they become recommendable by similarity within seconds); every 5 s, a retraining starts when one is due.
/// </summary>
internal sealed class BackgroundWork(ServingModels models, ModelTraining training, TimeProvider time, ILogger log) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start() => _loop ??= Task.Run(RunAsync);

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
                    if (tick % 5 == 0 && training.IsIdle && training.RetrainReason() is { } reason) await training.TrainAsync(reason, ct).ConfigureAwait(false);
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
        _stop.Dispose();
    }
}
