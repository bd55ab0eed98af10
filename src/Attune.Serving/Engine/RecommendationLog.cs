using System.Threading.Channels;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// What every answer showed, queued and written to the store in batches (one transaction per tenth of a second, not one per
/// answer) so later events carrying the recommendation id can be attributed. When the store cannot keep up, records are
/// dropped and counted rather than slowing answers down.
/// </summary>
internal sealed class RecommendationLog(IAttuneStore store, ILogger log) : IAsyncDisposable
{
    private const int Batch = 5_000, DelayMs = 100;

    private readonly Channel<RecommendationRecord> _queue =
        Channel.CreateBounded<RecommendationRecord>(new BoundedChannelOptions(200_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task? _writer;
    private long _dropped;

    /// <summary>Records dropped because the store could not keep up.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Start() => _writer ??= Task.Run(WriteAsync);

    public void Add(RecommendationRecord record)
    {
        if (!_queue.Writer.TryWrite(record)) Interlocked.Increment(ref _dropped);
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<RecommendationRecord>(Batch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Gather for a moment: one transaction (one fsync) per tenth of a second. A crash can lose that last moment of
            // the log, never events.
            if (reader.Count < Batch && !_stop.IsCancellationRequested)
            {
                try { await Task.Delay(DelayMs, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
            batch.Clear();
            while (batch.Count < Batch && reader.TryRead(out var record)) batch.Add(record);
            try
            {
                await store.LogRecommendationsAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                log.LogWarning(e, "Could not log {Count} recommendations", batch.Count);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        if (_writer is not null) await _writer.ConfigureAwait(false);
        _stop.Dispose();
    }
}
