using System.Threading.Channels;
using Attune.Experiments.Running;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// CUPED's pre-exposure data: for each newly exposed person, reads their events of the experiment's pre-period from the store
/// (in the background, never on the answer path: a burst of first exposures is read in batches of up to 32 people, one
/// statement each) and hands them to the tracker. Until a
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

    /// <summary>People read in one statement at most (a burst of first exposures comes in batches this size).</summary>
    private const int BatchSize = 32;

    private async Task ReadAsync()
    {
        var ct = _stop.Token;
        var batch = new List<Exposure>(BatchSize);
        long working = 0; // ticks spent reading since the last rest (idle time waiting for exposures does not count)
        try
        {
            while (await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out var first))
                {
                    // Background work on a machine that is also answering: after each millisecond of reads, rest nine times as
                    // long (at most a tenth of one core, in slices short enough not to show in answers' p99). CUPED waits for
                    // the backlog; answers do not.
                    if (working >= TimeSpan.TicksPerMillisecond)
                    {
                        await Task.Delay(TimeSpan.FromTicks(Math.Min(working * 9, TimeSpan.TicksPerSecond)), ct).ConfigureAwait(false);
                        working = 0;
                    }
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    // One experiment per batch (its pre-period and event types), exposed within a day of each other (one range).
                    batch.Clear();
                    batch.Add(first);
                    while (batch.Count < BatchSize && _queue.Reader.TryPeek(out var next) && next.ExperimentId == first.ExperimentId
                        && Math.Abs(next.AtMs - first.AtMs) <= 86_400_000 && _queue.Reader.TryRead(out next)) batch.Add(next);
                    try
                    {
                        await ReadBatchAsync(batch, ct).ConfigureAwait(false);
                    }
                    catch (Exception x) when (x is not OperationCanceledException && x is not OutOfMemoryException)
                    {
                        log.LogWarning(x, "Could not read the pre-exposure events of {People} people for experiment {Experiment}", batch.Count, first.ExperimentId);
                    }
                    working += System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One read for the batch's people over the union of their pre-periods.</summary>
    private async Task ReadBatchAsync(List<Exposure> batch, CancellationToken ct)
    {
        string experiment = batch[0].ExperimentId;
        long pre = tracker.PrePeriodMs(experiment);
        long from = long.MaxValue, to = long.MinValue;
        var people = new List<(string, bool)>(batch.Count);
        var events = new Dictionary<(string, bool), List<StoredEvent>>(batch.Count);
        foreach (var e in batch)
        {
            from = Math.Min(from, e.AtMs - pre);
            to = Math.Max(to, e.AtMs);
            if (events.TryAdd((e.PersonId, e.Anonymous), [])) people.Add((e.PersonId, e.Anonymous));
        }
        await foreach (var x in store.ReadProfilesEventsAsync(people, from, to, tracker.EventTypes(experiment), ct).ConfigureAwait(false))
        {
            if (events.TryGetValue((x.ProfileId, x.Anonymous), out var list)) list.Add(x);
        }
        // The tracker keeps, of each person's events, those of their own pre-period.
        foreach (var e in batch) tracker.SetPre(experiment, e.PersonId, events[(e.PersonId, e.Anonymous)]);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        if (_reader is not null) await _reader.ConfigureAwait(false);
        _stop.Dispose();
    }
}
