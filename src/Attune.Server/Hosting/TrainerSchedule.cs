using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>
/// The schedule of a model only the trainer node trains (propensity models, customer value), looked at every
/// <c>check</c>: the trainer trains when what it serves (its own, or what a trainer before it published) is older than
/// <c>retrain</c>, or when it serves nothing and has not tried for that long; any other node serves what the trainer
/// published (<c>follow</c>; the change feed calls it too, at once).
/// </summary>
internal static class TrainerSchedule
{
    public static async Task RunAsync(string what, TimeSpan check, TimeSpan retrain, Func<bool> mayTrain, Func<DateTimeOffset?> servedSince,
        Func<CancellationToken, Task> train, Func<CancellationToken, Task> follow, TimeProvider time, ILogger log, CancellationToken ct)
    {
        var lastAttempt = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!mayTrain()) await follow(ct).ConfigureAwait(false);
                else if (time.GetUtcNow() - (servedSince() is { } served && served > lastAttempt ? served : lastAttempt) >= retrain)
                {
                    lastAttempt = time.GetUtcNow();
                    await train(ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (ObjectDisposedException) { return; }
            catch (Exception e) { log.LogError(e, "{What} failed; retrying at the next interval", what); }
            try { await Task.Delay(check, time, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }
}
