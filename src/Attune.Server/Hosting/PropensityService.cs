using System.Collections.Concurrent;
using System.Text.Json;
using Attune.Predictions.Clv;
using Attune.Predictions.Propensity;
using Attune.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>Settings of the predictions about people (configuration section <c>Predictions</c>).</summary>
public sealed record PredictionOptions
{
    public const string Section = "Predictions";
    /// <summary>Seconds after start before the propensity models first train; negative: not at start (daily, or on request).</summary>
    public int PropensityStartDelaySeconds { get; init; } = 15;
    /// <summary>Hours between retrainings of the propensity models.</summary>
    public double PropensityRetrainHours { get; init; } = 24;
    /// <summary>Churn means no activity in this many days.</summary>
    public int ChurnDays { get; init; } = 30;
}


/// <summary>
/// The store's propensity models (purchase in 7 and 30 days, churn, cart → purchase): trained in the background from
/// everyone's history (shortly after start, then daily, or on request), each version's time-split evaluation kept in the
/// store (documents of kind <see cref="DocumentKind"/>); everyone scored after each training; a person's scores refreshed
/// from their own history within a fraction of a second of a new event (<see cref="Observe"/>).
/// </summary>
public sealed class PropensityService(IAttuneStore store, TimeProvider time, PredictionOptions options, CustomerValueService customerValue,
    ILogger<PropensityService> log) : BackgroundService
{
    public const string DocumentKind = "propensity-model";

    /// <summary>On a store several nodes share: the models in service (<see cref="PropensityBundle"/>), one document
    /// (<see cref="PublishedId"/>) the trainer replaces and every other node follows.</summary>
    public const string ScorerDocumentKind = "propensity-scorer";
    public const string PublishedId = "active";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _training = new(1, 1);
    private readonly ConcurrentDictionary<(string Id, bool Anonymous), PersonScores> _people = new();
    private readonly ConcurrentDictionary<(string Id, bool Anonymous), byte> _dirty = new();
    private readonly ActivityCodes _codes = new();
    private ItemFacts _items = new();

    /// <summary>The models in service; null until the first training (or while the shop has too little history).</summary>
    public PropensityScorer? Scorer { get; private set; }

    /// <summary>How many trainings this node has run (on schedule or on request) since it started.</summary>
    public int TrainedHere => _trainedHere;
    private int _trainedHere;

    /// <summary>How many people hold scores.</summary>
    public int People => _people.Count;

    /// <summary>Whether everyone has been scored once (features are held even before any model could be trained).</summary>
    public bool Indexed { get; private set; }

    /// <summary>Everyone was scored (after a training): listeners recompute what depends on all people.</summary>
    public event Action? ScoredEveryone;

    /// <summary>One person was rescored (a new event) or dropped (null scores: erased, identified, no history left).</summary>
    public event Action<string, bool, PersonScores?>? Scored;

    /// <summary>Everyone's held scores (a live view).</summary>
    public IEnumerable<PersonScores> All => _people.Values;

    /// <summary>
    /// Whether this node trains on schedule (set by the host: the trainer node of a shared store; always on the embedded one).
    /// Another node scores with the models the trainer publishes instead (<see cref="LoadPublishedAsync"/>).
    /// </summary>
    public Func<bool> MayTrain { get; set; } = static () => true;

    /// <summary>How often the schedule is looked at (whether this node trains now, and what the trainer published).</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long after an event its person's scores are refreshed at most (the refresh loop's period).</summary>
    public TimeSpan RefreshPeriod { get; init; } = TimeSpan.FromMilliseconds(200);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var refresh = RefreshLoopAsync(stoppingToken);
        var first = options.PropensityStartDelaySeconds >= 0
            ? TimeSpan.FromSeconds(options.PropensityStartDelaySeconds)
            : TimeSpan.FromHours(options.PropensityRetrainHours);
        try { await Task.Delay(first, time, stoppingToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { await refresh.ConfigureAwait(false); return; }
        await TrainerSchedule.RunAsync("Training the propensity models", CheckInterval, TimeSpan.FromHours(options.PropensityRetrainHours),
            () => MayTrain(), () => Scorer?.TrainedAt, TrainAsync, LoadPublishedAsync, time, log, stoppingToken).ConfigureAwait(false);
        await refresh.ConfigureAwait(false);
    }

    /// <summary>Trains every model on the store's history now, records the version's evaluation, and scores everyone.</summary>
    public async Task<PropensityScorer?> TrainAsync(CancellationToken ct = default)
    {
        await _training.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var started = time.GetUtcNow();
            Interlocked.Increment(ref _trainedHere);
            var (people, items) = await PropensityData.LoadAsync(store, _codes, ct).ConfigureAwait(false);
            if (people.People == 0) return Scorer;
            long now = time.GetUtcNow().ToUnixTimeMilliseconds();
            long end = Math.Min(now, people.LastMs + 1);
            var settings = new PropensitySettings { ChurnDays = options.ChurnDays };
            var models = await Task.Run(() => PropensityTrainer.Train(people, items, end, settings,
                progress: m => log.LogInformation("Propensity {Message}", m)), ct).ConfigureAwait(false);
            if (models.Count == 0)
            {
                _items = items;
                ScoreEveryone(people, Scorer, time.GetUtcNow().ToUnixTimeMilliseconds());
                return Scorer;
            }
            int version = 1;
            foreach (var doc in await store.ListDocumentsAsync(DocumentKind, ct).ConfigureAwait(false))
                if (int.TryParse(doc.Id, out int v) && v >= version) version = v + 1;
            var trainedAt = time.GetUtcNow();
            var scorer = new PropensityScorer(models, version, trainedAt);
            var record = new PropensityVersion(version, trainedAt, DateTimeOffset.FromUnixTimeMilliseconds(end), people.People, people.Events.Length,
                (trainedAt - started).TotalSeconds, [.. models.Select(m => m.Evaluation)]);
            await store.PutDocumentAsync(DocumentKind, version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                JsonSerializer.Serialize(record, s_json), ct).ConfigureAwait(false);
            _items = items;
            Scorer = scorer;
            ScoreEveryone(people, scorer, time.GetUtcNow().ToUnixTimeMilliseconds());
            log.LogInformation("Propensity models version {Version} trained on {People} people and scored everyone in {Seconds:0.0} s",
                version, people.People, (time.GetUtcNow() - started).TotalSeconds);
            if (store is ISharedStore)
                await store.PutDocumentAsync(ScorerDocumentKind, PublishedId, JsonSerializer.Serialize(
                    new PublishedScorer(version, trainedAt, Convert.ToBase64String(PropensityBundle.Write(scorer))), s_json), ct).ConfigureAwait(false);
            return scorer;
        }
        finally { _training.Release(); }
    }

    /// <summary>The models another node published, as stored.</summary>
    private sealed record PublishedScorer(int Version, DateTimeOffset TrainedAt, string Bundle);

    /// <summary>
    /// Serves the models the trainer published (<see cref="ScorerDocumentKind"/>) when they are not the ones in service:
    /// everyone is scored with them. Called when that document changes (the change feed) and on schedule on other nodes.
    /// </summary>
    public async Task LoadPublishedAsync(CancellationToken ct = default)
    {
        StoredDocument? published = null;
        foreach (var doc in await store.ListDocumentsAsync(ScorerDocumentKind, ct).ConfigureAwait(false))
            if (doc.Id == PublishedId) published = doc;
        if (published is null) return;
        PublishedScorer? stored;
        try { stored = JsonSerializer.Deserialize<PublishedScorer>(published.Json, s_json); }
        catch (JsonException e)
        {
            log.LogWarning("The published propensity models could not be read: {Message}", e.Message);
            return;
        }
        if (stored is null || stored.Version == Scorer?.Version) return;
        await _training.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (stored.Version == Scorer?.Version) return;
            PropensityScorer scorer;
            try { scorer = PropensityBundle.Read(Convert.FromBase64String(stored.Bundle)); }
            catch (FormatException e)
            {
                log.LogWarning("The published propensity models version {Version} could not be read: {Message}", stored.Version, e.Message);
                return;
            }
            var (people, items) = await PropensityData.LoadAsync(store, _codes, ct).ConfigureAwait(false);
            _items = items;
            Scorer = scorer;
            ScoreEveryone(people, scorer, time.GetUtcNow().ToUnixTimeMilliseconds());
            log.LogInformation("Propensity models version {Version} (trained {TrainedAt:u} by the trainer node) in service; scored {People} people",
                scorer.Version, scorer.TrainedAt, people.People);
        }
        finally { _training.Release(); }
    }

    /// <summary>Every recorded version's evaluation, newest first.</summary>
    public async Task<IReadOnlyList<PropensityVersion>> VersionsAsync(CancellationToken ct = default)
    {
        var versions = new List<PropensityVersion>();
        foreach (var doc in await store.ListDocumentsAsync(DocumentKind, ct).ConfigureAwait(false))
            if (JsonSerializer.Deserialize<PropensityVersion>(doc.Json, s_json) is { } v) versions.Add(v);
        versions.Sort((a, b) => b.Version.CompareTo(a.Version));
        return versions;
    }

    private void ScoreEveryone(PeopleActivity people, PropensityScorer? scorer, long nowMs)
    {
        var seen = new ConcurrentDictionary<(string, bool), byte>();
        PersonScoring.ScoreAll(people, scorer, _items, customerValue.Model, nowMs, scored =>
        {
            _people[(scored.Id, scored.Anonymous)] = scored;
            seen[(scored.Id, scored.Anonymous)] = 0;
        });
        // People whose history is gone since (erased, identified) are dropped.
        foreach (var key in _people.Keys)
            if (!seen.ContainsKey(key) && _people.TryGetValue(key, out var held) && held.ScoredAtMs < nowMs) _people.TryRemove(key, out _);
        Indexed = true;
        ScoredEveryone?.Invoke();
    }

    /// <summary>A person's scores: kept from the last scoring or refresh; scored from their history when not held yet.</summary>
    public async Task<PersonScores?> GetAsync(string id, bool anonymous, CancellationToken ct = default)
    {
        if (!Indexed) return null;
        if (_people.TryGetValue((id, anonymous), out var held) && held.Version == (Scorer?.Version ?? 0)) return held;
        return await RescoreAsync(id, anonymous, ct).ConfigureAwait(false);
    }

    /// <summary>A person's probabilities by name (<c>predictions.purchase7d</c> …), for the models that speak about them.</summary>
    public IEnumerable<(string Name, double Probability)> Named(PersonScores scores)
    {
        if (Scorer is not { } scorer) yield break;
        for (int m = 0; m < scorer.Models.Count && m < scores.Probabilities.Length; m++)
            if (!float.IsNaN(scores.Probabilities[m])) yield return ("predictions." + scorer.Models[m].Target.Name, scores.Probabilities[m]);
    }

    /// <summary>The held scores (no I/O); null when the person has none yet.</summary>
    public PersonScores? Peek(string id, bool anonymous) => _people.TryGetValue((id, anonymous), out var held) ? held : null;

    /// <summary>An event reached live state: its person is rescored at the next refresh.</summary>
    public void Observe(StoredEvent e)
    {
        if (Indexed) _dirty.TryAdd((e.ProfileId, e.Anonymous), 0);
    }

    /// <summary>An anonymous visitor was identified: their history is the user's now.</summary>
    public void Linked(string anonymousId, string userId)
    {
        if (_people.TryRemove((anonymousId, true), out _)) Scored?.Invoke(anonymousId, true, null);
        if (Indexed) _dirty.TryAdd((userId, false), 0);
    }

    /// <summary>A user was erased: their scores go.</summary>
    public void Forget(string userId)
    {
        _dirty.TryRemove((userId, false), out _);
        if (_people.TryRemove((userId, false), out _)) Scored?.Invoke(userId, false, null);
    }

    private async Task RefreshLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await Task.Delay(RefreshPeriod, time, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            foreach (var key in _dirty.Keys)
            {
                if (!_dirty.TryRemove(key, out _)) continue;
                try { await RescoreAsync(key.Id, key.Anonymous, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                catch (ObjectDisposedException) { return; }
                catch (Exception e) { log.LogWarning(e, "Refreshing the propensity scores of {Person} failed", key.Id); }
            }
        }
    }

    /// <summary>Reads one person's history, rebuilds their features as of now and scores them.</summary>
    private async Task<PersonScores?> RescoreAsync(string id, bool anonymous, CancellationToken ct)
    {
        if (!Indexed) return null;
        var scorer = Scorer;
        var items = _items;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var history = new List<ActivityEvent>();
        await foreach (var e in store.ReadProfileEventsAsync(id, anonymous, now - 400L * 86_400_000, now + 1, null, ct).ConfigureAwait(false))
            history.Add(PropensityData.ToActivity(e, items, _codes));
        if (history.Count == 0)
        {
            if (_people.TryRemove((id, anonymous), out _)) Scored?.Invoke(id, anonymous, null);
            return null;
        }
        var events = history.ToArray();
        Array.Sort(events);
        var scored = PersonScoring.Score(id, anonymous, events, scorer, items, customerValue.Model, new PersonFeatures.Scratch(), now + 1);
        _people[(id, anonymous)] = scored;
        Scored?.Invoke(id, anonymous, scored);
        return scored;
    }
}

/// <summary>One trained version of the propensity models: when, on what, and each model's time-split evaluation.</summary>
public sealed record PropensityVersion(int Version, DateTimeOffset TrainedAt, DateTimeOffset DataUntil, int People, long Events, double Seconds,
    IReadOnlyList<PropensityEvaluation> Models);

/// <summary>The store's history as the propensity models read it: everyone's events grouped by person, and the catalog's facts.</summary>
public static class PropensityData
{
    /// <summary>Reads every item and every event of <paramref name="store"/> (one pass each).</summary>
    public static async Task<(PeopleActivity People, ItemFacts Items)> LoadAsync(IAttuneStore store, ActivityCodes codes, CancellationToken ct = default)
    {
        var items = new ItemFacts();
        string? cursor = null;
        do
        {
            var page = await store.ListItemsAsync(cursor, 1000, ct).ConfigureAwait(false);
            foreach (var item in page.Data) items.Add(item.Id, item.Price, item.Categories.Count > 0 ? item.Categories[0] : null);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        var builder = new PeopleActivity.Builder();
        await foreach (var e in store.ReadEventsAsync(ct).ConfigureAwait(false)) builder.Add(e.ProfileId, e.Anonymous, ToActivity(e, items, codes));
        return (builder.Build(), items);
    }

    public static ActivityEvent ToActivity(StoredEvent e, ItemFacts items, ActivityCodes codes)
    {
        var (session, channel, device, fromRecommendation) = codes.ReadExtra(e.Extra);
        return new ActivityEvent(e.TimestampMs, e.TypeCode, (float)(e.Value ?? 0), items.IndexOf(e.ItemId), session, channel, device, fromRecommendation);
    }
}
