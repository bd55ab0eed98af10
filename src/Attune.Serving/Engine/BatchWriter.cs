using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Records produced on the answer path (what every answer showed, people's first exposures to experiments), queued and
/// written to the store in batches: one transaction per tenth of a second, not one per answer. When the store cannot keep
/// up, records are dropped and counted rather than slowing answers down.
/// </summary>
internal sealed class BatchWriter<T>(Func<IReadOnlyList<T>, Task> write, string what, ILogger log) : IAsyncDisposable
{
    private const int Batch = 5_000, DelayMs = 100;

    private readonly Channel<T> _queue =
        Channel.CreateBounded<T>(new BoundedChannelOptions(200_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task? _writer;
    private long _dropped;

    /// <summary>Records dropped because the store could not keep up.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Start() => _writer ??= Task.Run(WriteAsync);

    public void Add(T record)
    {
        if (!_queue.Writer.TryWrite(record)) Interlocked.Increment(ref _dropped);
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<T>(Batch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Gather for a moment: one transaction (one fsync) per tenth of a second. A crash can lose that last moment,
            // never events.
            if (reader.Count < Batch && !_stop.IsCancellationRequested)
            {
                try { await Task.Delay(DelayMs, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
            batch.Clear();
            while (batch.Count < Batch && reader.TryRead(out var record)) batch.Add(record);
            try
            {
                await write(batch).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                log.LogWarning(e, "Could not write {Count} {What}", batch.Count, what);
            }
        }
    }

    /// <summary>Writes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        if (_writer is not null) await _writer.ConfigureAwait(false);
        _stop.Dispose();
    }
}
