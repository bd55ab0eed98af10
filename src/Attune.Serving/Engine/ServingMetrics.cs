using System.Diagnostics.Metrics;

namespace Attune.Serving.Engine;

/// <summary>
/// The engine's OpenTelemetry-ready instruments (meter <see cref="MeterName"/>): answers per scenario and their latency,
/// events applied per type, training time, and as observable gauges the active model's held-out quality, the change feed's
/// lag, the events since the active model and the recommendation log's drops. A host exports them (the server: Prometheus at
/// <c>/metrics</c>); with no listener, recording costs a flag check.
/// </summary>
internal sealed class ServingMetrics : IDisposable
{
    public const string MeterName = "Attune";

    private readonly Meter _meter;
    private readonly Histogram<double> _answerMs;
    private readonly Counter<long> _answerErrors;
    private readonly Counter<long> _eventsCounter;
    private readonly Histogram<double> _trainingSeconds;

    private readonly TimeProvider _time;
    // The last hour, a slot per minute: events applied and answers served (the console's live chart).
    private readonly long[] _slotMinute = new long[60], _slotEvents = new long[60], _slotAnswers = new long[60];
    private long _answers, _events;

    public ServingMetrics(Func<ServingState?> active, Func<long> feedLag, Func<long> eventsSinceModel, Func<long> droppedLogRecords, TimeProvider time,
        string meterName = MeterName)
    {
        _time = time;
        _meter = new Meter(meterName);
        _answerMs = _meter.CreateHistogram<double>("attune.recommendation.duration", "ms", "Time to answer a recommendation request, by scenario");
        _answerErrors = _meter.CreateCounter<long>("attune.recommendation.errors", "{answer}", "Answers that failed, by scenario");
        _eventsCounter = _meter.CreateCounter<long>("attune.events.applied", "{event}", "Events applied to live state from the store's change feed, by type");
        _trainingSeconds = _meter.CreateHistogram<double>("attune.training.duration", "s", "Time to read the store and train a model version, by reason");
        _meter.CreateObservableGauge("attune.model.quality", () => Quality(active()), "1",
            "The active model version's held-out quality, by metric (e.g. ndcg@10)");
        _meter.CreateObservableGauge("attune.feed.lag", feedLag, "{change}", "Changes the store committed that live state has not applied yet");
        _meter.CreateObservableGauge("attune.model.events_since", eventsSinceModel, "{event}", "Events received since the active model's snapshot");
        _meter.CreateObservableCounter("attune.recommendation_log.dropped", droppedLogRecords, "{record}",
            "Recommendation log records dropped because the store could not keep up");
    }

    /// <summary>Answers served since start.</summary>
    public long Answers => Interlocked.Read(ref _answers);

    /// <summary>Events applied to live state since start.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Events and answers per minute over the last <paramref name="minutes"/> minutes (at most 60), oldest first.</summary>
    public IReadOnlyList<ActivityMinute> Recent(int minutes)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
        var list = new List<ActivityMinute>(minutes);
        for (long m = now - Math.Clamp(minutes, 1, 60) + 1; m <= now; m++)
        {
            int slot = (int)(m % 60);
            bool current = Volatile.Read(ref _slotMinute[slot]) == m;
            list.Add(new ActivityMinute(DateTimeOffset.FromUnixTimeMilliseconds(m * 60_000),
                current ? Volatile.Read(ref _slotEvents[slot]) : 0, current ? Volatile.Read(ref _slotAnswers[slot]) : 0));
        }
        return list;
    }

    private void Count(long[] counts)
    {
        long minute = _time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
        int slot = (int)(minute % 60);
        long seen = Volatile.Read(ref _slotMinute[slot]);
        if (seen != minute && Interlocked.CompareExchange(ref _slotMinute[slot], minute, seen) == seen)
        {
            // A new minute in this slot: the hour-old counts go (a count racing this reset may be lost: a chart, not a ledger).
            Interlocked.Exchange(ref _slotEvents[slot], 0);
            Interlocked.Exchange(ref _slotAnswers[slot], 0);
        }
        Interlocked.Increment(ref counts[slot]);
    }

    public void Answered(string scenario, double milliseconds, bool error)
    {
        Interlocked.Increment(ref _answers);
        Count(_slotAnswers);
        if (_answerMs.Enabled) _answerMs.Record(milliseconds, new KeyValuePair<string, object?>("scenario", scenario));
        if (error && _answerErrors.Enabled) _answerErrors.Add(1, new KeyValuePair<string, object?>("scenario", scenario));
    }

    public void EventApplied(int typeCode)
    {
        Interlocked.Increment(ref _events);
        Count(_slotEvents);
        if (!_eventsCounter.Enabled) return;
        // Built-in types by name; custom types (any number of names) as one series.
        string type = Model.EventTypes.BuiltInNameOf(typeCode) ?? "custom";
        _eventsCounter.Add(1, new KeyValuePair<string, object?>("type", type));
    }

    public void Trained(string reason, double seconds) => _trainingSeconds.Record(seconds, new KeyValuePair<string, object?>("reason", reason));

    private static IEnumerable<Measurement<double>> Quality(ServingState? state)
    {
        if (state is null) yield break;
        foreach (var (metric, value) in state.Bundle.Info.Metrics)
            yield return new Measurement<double>(value, new KeyValuePair<string, object?>("metric", metric), new KeyValuePair<string, object?>("version", state.Bundle.Info.Version));
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>One minute of activity: events applied and answers served.</summary>
public sealed record ActivityMinute(DateTimeOffset Minute, long Events, long Answers);
