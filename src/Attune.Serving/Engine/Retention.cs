using System.Diagnostics;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Retention (<see cref="ServingOptions.RetentionDays"/>): every <see cref="ServingOptions.RetentionIntervalMinutes"/>, each
/// configured event type's events older than its limit are deleted in batches of <see cref="BatchRows"/>, resting nine
/// times as long as each batch took (at most a tenth of one core), so a purge of millions of rows never stalls serving.
/// Each pass first writes the experiment checkpoint: results counted from the events it deletes stay (as each person's
/// counted values), through restarts. On a shared store only the elected trainer purges (<paramref name="isLeader"/>).
/// </summary>
internal sealed class Retention(IAttuneStore store, ServingOptions options, ExperimentCheckpoint experiments, Func<bool> isLeader, TimeProvider time, ILogger log)
    : IAsyncDisposable
{
    public const int BatchRows = 2_000;

    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Events deleted by retention since start.</summary>
    public long Purged => Interlocked.Read(ref _purged);
    private long _purged;

    public void Start()
    {
        if (options.RetentionDays.Count > 0) _loop ??= Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    if (isLeader()) await PurgeOnceAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "The retention purge failed; retrying at the next interval");
                }
                await Task.Delay(TimeSpan.FromMinutes(options.RetentionIntervalMinutes), time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One pass over every configured type; returns the events deleted.</summary>
    public async Task<long> PurgeOnceAsync(CancellationToken ct)
    {
        long total = 0;
        experiments.Save();
        foreach (var (type, days) in options.RetentionDays)
        {
            long before = time.GetUtcNow().AddDays(-days).ToUnixTimeMilliseconds();
            long cursor = 0;
            do
            {
                long started = Stopwatch.GetTimestamp();
                var (deleted, next) = await store.PurgeEventsAsync(type, before, cursor, BatchRows, ct).ConfigureAwait(false);
                total += deleted;
                cursor = next;
                var took = Stopwatch.GetElapsedTime(started);
                if (cursor != 0) await Task.Delay(took * 9, time, ct).ConfigureAwait(false);
            }
            while (cursor != 0);
        }
        if (total > 0)
        {
            Interlocked.Add(ref _purged, total);
            log.LogInformation("Retention deleted {Events} events past their limit", total);
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
