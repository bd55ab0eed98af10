using Attune.Serving;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Dashboard.Figures;

/// <summary>
/// The store's figures the Overview shows (counts, and today's people, answers and attributed events), read in the background
/// at most once a <see cref="MaxAge"/> and shared by every open console: a page renders with the last snapshot and never
/// waits for the store's scans (a count over millions of events takes a second).
/// </summary>
public sealed class ConsoleFigures(IAttuneStore store, ServingEngine engine, ILogger<ConsoleFigures> log)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    /// <param name="Today">Since midnight UTC.</param>
    /// <param name="At">When it was read.</param>
    public sealed record Snapshot(StoreStats Stats, ActivitySummary Today, DateTimeOffset At);

    private readonly Lock _gate = new();
    private volatile Snapshot? _current;
    private Task? _refresh;

    /// <summary>The last snapshot (null before the first read completes); starts a read when it is older than <see cref="MaxAge"/>.</summary>
    public Snapshot? Get()
    {
        var current = _current;
        if (current is null || engine.Time.GetUtcNow() - current.At > MaxAge) _ = RefreshAsync();
        return current;
    }

    /// <summary>Reads the figures now, or joins the read under way; completes when it is done (it never throws).</summary>
    public Task RefreshAsync()
    {
        lock (_gate)
        {
            if (_refresh is { IsCompleted: false }) return _refresh;
            return _refresh = Task.Run(ReadAsync);
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            var now = engine.Time.GetUtcNow();
            long midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).ToUnixTimeMilliseconds();
            var stats = await store.GetStatsAsync().ConfigureAwait(false);
            var today = await store.GetActivityAsync(midnight, now.ToUnixTimeMilliseconds() + 1).ConfigureAwait(false);
            _current = new Snapshot(stats, today, now);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "The console could not read the store's figures");
        }
    }
}
