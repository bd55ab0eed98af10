using System.Threading.Channels;
using Attune.Experiments.Running;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// CUPED's pre-exposure data: for each newly exposed person, reads their events of the experiment's pre-period from the store
/// (one indexed range read per person, in the background, never on the answer path) and hands them to the tracker. Until a
/// person's pre-period is in, results leave CUPED off for that phase.
/// </summary>
internal sealed class PrePeriodReader(IAttuneStore store, ExperimentTracker tracker, ILogger log) : IAsyncDisposable
{
    private readonly Channel<Exposure> _queue = Channel.CreateUnbounded<Exposure>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;

    public void Start() => _reader ??= Task.Run(ReadAsync);

    /// <summary>A first exposure; <paramref name="ownerId"/> is the id the person's events carry.</summary>
    public void Add(Exposure exposure, string ownerId, bool anonymous)
    {
        if (tracker.PrePeriodMs(exposure.ExperimentId) > 0) _queue.Writer.TryWrite(exposure with { PersonId = ownerId, Anonymous = anonymous });
    }

    private async Task ReadAsync()
    {
        var ct = _stop.Token;
        var events = new List<StoredEvent>();
        long working = 0; // ticks spent reading since the last rest (idle time waiting for exposures does not count)
        int sinceRest = 0;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out var e))
                {
                    // Background work on a machine that is also answering: after each 50 reads, rest three times as long as
                    // they took (at most a quarter of one core). CUPED waits for the backlog; answers do not.
                    if (++sinceRest == 50)
                    {
                        await Task.Delay(TimeSpan.FromTicks(Math.Min(working * 3, TimeSpan.TicksPerSecond)), ct).ConfigureAwait(false);
                        sinceRest = 0;
                        working = 0;
                    }
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    long pre = tracker.PrePeriodMs(e.ExperimentId);
                    events.Clear();
                    try
                    {
                        await foreach (var x in store.ReadProfileEventsAsync(e.PersonId, e.Anonymous, e.AtMs - pre, e.AtMs,
                            tracker.EventTypes(e.ExperimentId), ct).ConfigureAwait(false)) events.Add(x);
                        tracker.SetPre(e.ExperimentId, e.PersonId, events);
                    }
                    catch (Exception x) when (x is not OperationCanceledException && x is not OutOfMemoryException)
                    {
                        log.LogWarning(x, "Could not read the pre-exposure events of {Person} for experiment {Experiment}", e.PersonId, e.ExperimentId);
                    }
                    working += System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        if (_reader is not null) await _reader.ConfigureAwait(false);
        _stop.Dispose();
    }
}
