using System.Collections.Concurrent;
using System.Threading.Channels;
using Attune.Algorithms.Content;
using Attune.Algorithms.Data;
using Attune.Model;
using Attune.Serving.Catalog;
using Attune.Serving.Live;
using Attune.Serving.Models;
using Attune.Serving.Pipeline;
using Attune.Serving.Rules;
using Attune.Serving.Scenarios;
using Attune.Serving.Training;
using Attune.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attune.Serving;

/// <summary>
/// Real-time serving: holds the active <see cref="ServingState"/>, keeps live per-person state from every accepted event,
/// trains and hot-swaps model versions in the background, and answers scenarios, rankings and home rows.
/// </summary>
/// <remarks>
/// Lifecycle: <see cref="StartAsync"/> loads the catalog, consent, identity links and rules from the store, then the active
/// model version from disk (training one first when there is none), and replays the events stored after that version's
/// watermark into the live state. A background loop ticks online trending every second, refits the content model when new
/// items arrive, and retrains on schedule or after enough new events. Every swap is one reference assignment.
/// </remarks>
public sealed class ServingEngine : IAsyncDisposable
{
    public const string RuleKind = "rule";

    private readonly IAttuneStore _store;
    private readonly ServingOptions _options;
    private readonly ILogger _log;
    private readonly ModelRepository _repository;
    private readonly BundleTrainer _trainer;
    private readonly ServingContext _context;
    private readonly Dictionary<string, ScenarioOptions> _scenarios;
    private readonly ConcurrentDictionary<string, Item> _catalog = new(StringComparer.Ordinal);
    /// <summary>Each scenario's blend as <c>/v1/rank</c> uses it: no diversity, no personal exclusions.</summary>
    private readonly ConcurrentDictionary<string, ScenarioOptions> _rankings = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _swapGate = new();
    private readonly SemaphoreSlim _training = new(1, 1);
    private readonly Channel<RecommendationRecord> _recommendationLog =
        Channel.CreateBounded<RecommendationRecord>(new BoundedChannelOptions(200_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task? _background, _logWriter;
    private volatile ServingState? _state;
    private IReadOnlyList<BusinessRule> _rules = [];
    private long _eventsSinceModel;
    private long _droppedLogRecords;
    private volatile bool _catalogGrew;
    private DateTimeOffset _lastTrainedAt = DateTimeOffset.MinValue;
    private volatile string? _trainingStatus;

    public ServingEngine(IAttuneStore store, ServingOptions options, string dataDirectory, ILogger? logger = null)
    {
        _store = store;
        _options = options;
        _log = logger ?? NullLogger.Instance;
        _repository = new ModelRepository(dataDirectory, options.KeepVersions);
        _trainer = new BundleTrainer(options.Models);
        _context = new ServingContext(options);
        _scenarios = options.ResolveScenarios();
        Live = new LiveProfiles();
    }

    public LiveProfiles Live { get; }

    public ServingOptions Options => _options;

    /// <summary>Null until the first model version is active.</summary>
    public ServingState? State => _state;

    public bool IsReady => _state is not null;

    public IReadOnlyDictionary<string, ScenarioOptions> Scenarios => _scenarios;

    public IReadOnlyList<BusinessRule> Rules => _rules;

    public IReadOnlyList<ModelInfo> Versions => _repository.List();

    public string? ActiveVersion => _state?.Bundle.Info.Version;

    /// <summary>What background training is doing now (null when idle).</summary>
    public string? TrainingStatus => _trainingStatus;

    /// <summary>Recommendation log records dropped because the store could not keep up.</summary>
    public long DroppedLogRecords => Interlocked.Read(ref _droppedLogRecords);

    public async Task StartAsync(CancellationToken ct = default)
    {
        string? cursor = null;
        do
        {
            var page = await _store.ListItemsAsync(cursor, 1000, ct).ConfigureAwait(false);
            foreach (var item in page.Data) _catalog[item.Id] = item;
            cursor = page.NextCursor;
        } while (cursor is not null);
        await foreach (string userId in _store.ReadOptedOutUserIdsAsync(ct).ConfigureAwait(false)) _context.SetConsent(userId, false);
        await foreach (var (anonymousId, userId) in _store.ReadIdentityLinksAsync(ct).ConfigureAwait(false)) Live.Link(anonymousId, userId);
        _rules = await LoadRulesAsync(ct).ConfigureAwait(false);

        if (_repository.ActiveVersion is { } active)
        {
            try
            {
                await ActivateAsync(active, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or EndOfStreamException)
            {
                _log.LogWarning(e, "Model {Version} could not be loaded; training a new one", active);
            }
        }
        // Nothing is being served yet: the first training may use every core.
        if (_state is null) await TrainAsync("startup", ct, threads: Environment.ProcessorCount).ConfigureAwait(false);
        _logWriter = Task.Run(WriteLogAsync);
        _background = Task.Run(BackgroundAsync);
    }

    // ---- events from the API ------------------------------------------------------------------------------------------

    /// <summary>Events were stored: the next answer for their people reflects them.</summary>
    public void Observe(IReadOnlyList<Event> events)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Live.Observe(events, now);
        var state = _state;
        if (state is not null)
        {
            foreach (var e in events)
            {
                if (e.ItemId is null || !EventTypes.TryGetBuiltIn(e.Type, out var type) || EventTypes.DefaultWeight((int)type) <= 0) continue;
                int i = state.Catalog.IndexOf(e.ItemId);
                if (i >= 0) state.Trending.Add(i, e.Timestamp.ToUnixTimeMilliseconds());
            }
        }
        Interlocked.Add(ref _eventsSinceModel, events.Count);
    }

    public void Link(string anonymousId, string userId) => Live.Link(anonymousId, userId);

    public void ItemsChanged(IReadOnlyList<Item> items)
    {
        lock (_swapGate)
        {
            var state = _state;
            foreach (var item in items)
            {
                _catalog[item.Id] = item;
                if (state is null) continue;
                int i = state.Catalog.Upsert(item);
                state.Rules.Invalidate(i);
                if (state.Content is null || i >= state.Content.Items) _catalogGrew = true;
            }
        }
    }

    public void ItemDeleted(string id)
    {
        lock (_swapGate)
        {
            _catalog.TryRemove(id, out _);
            _state?.Catalog.Remove(id);
            if (_state?.Catalog.IndexOf(id) is >= 0 and var i) _state.Rules.Invalidate(i);
        }
    }

    public void UsersChanged(IReadOnlyList<User> users)
    {
        foreach (var user in users)
        {
            if (user.Consent is { } consent) _context.SetConsent(user.Id, consent.Personalization);
        }
    }

    public void UserDeleted(string id)
    {
        _context.SetConsent(id, true);
        Live.Forget(id);
    }

    // ---- answers -------------------------------------------------------------------------------------------------------

    public Recommendation Recommend(RecommendationRequest request)
    {
        var state = _state ?? throw new InvalidOperationException("no model is active yet");
        if (request.Scenario.Equals("home-rows", StringComparison.OrdinalIgnoreCase)) return HomeRows(state, request);
        if (!_scenarios.TryGetValue(request.Scenario, out var scenario))
            throw new RecommendationException("scenario", $"unknown scenario '{request.Scenario}'; known: {string.Join(", ", ScenarioNames)}");
        if (scenario.RequireItem && request.ItemIds.Count == 0)
            throw new RecommendationException("itemId", $"scenario '{request.Scenario}' needs itemId or itemIds");
        int count = request.Count ?? scenario.DefaultCount;
        var pipeline = RecommendationPipeline.Current;
        LoadPerson(pipeline.Person, state, request);
        var items = pipeline.Run(state, _context, scenario, request.Scenario, request, count);
        string? title = null;
        if (scenario.Anchor == AnchorKind.RecentView && pipeline.Anchors.Count > 0)
            title = $"Because you viewed {state.Catalog.Columns.Items[pipeline.Anchors[0]]?.Title ?? state.Catalog.Columns.Ids[pipeline.Anchors[0]]}";
        return Answer(state, pipeline.Person, request.Scenario, items, title, null, null);
    }

    /// <summary>Orders the caller's candidates for the person with the scenario's blend (default <c>for-you</c>).</summary>
    public Recommendation Rank(RecommendationRequest request)
    {
        var state = _state ?? throw new InvalidOperationException("no model is active yet");
        if (!_scenarios.TryGetValue(request.Scenario, out var scenario))
            throw new RecommendationException("scenario", $"unknown scenario '{request.Scenario}'; known: {string.Join(", ", ScenarioNames)}");
        var ranking = _rankings.GetOrAdd(request.Scenario, static (name, s) => new ScenarioOptions
        {
            Sources = s.Sources, Anchor = s.Anchor, ExcludeAnchors = false, ExcludePurchased = false,
            MaxCategoryShare = 1, MaxBrandShare = 1, Diversity = 0,
        }.Validate(name), scenario);
        var unknown = request.Candidates!.Where(id => state.Catalog.IndexOf(id) < 0).ToList();
        var pipeline = RecommendationPipeline.Current;
        LoadPerson(pipeline.Person, state, request);
        var items = pipeline.Run(state, _context, ranking, request.Scenario, request, request.Candidates!.Count);
        return Answer(state, pipeline.Person, request.Scenario, items, null, null, unknown);
    }

    private Recommendation HomeRows(ServingState state, RecommendationRequest request)
    {
        var pipeline = RecommendationPipeline.Current;
        var person = pipeline.Person;
        LoadPerson(person, state, request);
        int perRow = request.Count ?? 10;
        var shown = new HashSet<int>();
        var rows = new List<RecommendationRow>();
        var columns = state.Catalog.Columns;

        void Row(string id, string scenarioName, string title, int? department = null)
        {
            var scenario = _scenarios[scenarioName];
            var items = pipeline.Run(state, _context, scenario, scenarioName, request, perRow, shown, department);
            if (items.Count == 0) return;
            foreach (var item in items) shown.Add(state.Catalog.IndexOf(item.Id));
            rows.Add(new RecommendationRow(id, title, scenarioName, items));
        }

        bool known = person.Personalized && person.History.Count > 0;
        Row("top-picks", "for-you", known ? "Top picks for you" : "Popular right now");
        if (known && person.LastViewed >= 0)
            Row("because-you-viewed", "because-you-viewed", $"Because you viewed {columns.Items[person.LastViewed]?.Title ?? columns.Ids[person.LastViewed]}");
        Row("trending", "trending", "Trending now");
        // Departments: the person's own, most engaged first; for someone unknown, the most popular.
        var departments = new Dictionary<int, float>();
        if (known)
        {
            float w = 1f;
            foreach (int i in person.Recent) { departments[columns.Department[i]] = departments.GetValueOrDefault(columns.Department[i]) + w; w *= 0.9f; }
        }
        else
        {
            var pop = state.Bundle.Popularity;
            for (int i = 0; i < Math.Min(pop.Length, columns.Count); i++) departments[columns.Department[i]] = departments.GetValueOrDefault(columns.Department[i]) + pop[i];
        }
        departments.Remove(0);
        foreach (var (department, _) in departments.OrderByDescending(kv => kv.Value).Take(3))
        {
            string name = Explanations.Humanize(state.Catalog.NameOf(department));
            Row("department-" + state.Catalog.NameOf(department), "for-you", known ? $"{name} for you" : $"Popular in {name}", department);
        }
        Row("new-arrivals", "new-arrivals", "New arrivals");
        return Answer(state, person, "home-rows", [], null, rows, null);
    }

    private IEnumerable<string> ScenarioNames => _scenarios.Keys.Append("home-rows").Order(StringComparer.Ordinal);

    private void LoadPerson(PersonView person, ServingState state, RecommendationRequest request)
    {
        if (request.UserId is null && request.AnonymousId is null)
        {
            person.Clear();
            return;
        }
        var (id, anonymous) = Live.Owner(request.UserId, request.AnonymousId);
        bool personalized = anonymous || !_context.IsOptedOut(id);
        long windowStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)(_options.FrequencyCapWindowHours * 3_600_000);
        person.Load(state, Live, id, anonymous, personalized, windowStart);
    }

    private Recommendation Answer(ServingState state, PersonView person, string scenario, List<RecommendedItem> items, string? title,
        List<RecommendationRow>? rows, List<string>? unknown)
    {
        string id = "rec_" + Guid.CreateVersion7().ToString("N");
        if (_options.LogRecommendations)
        {
            IReadOnlyList<string> shown = rows is null ? items.ConvertAll(i => i.Id) : rows.SelectMany(r => r.Items).Select(i => i.Id).ToList();
            var record = new RecommendationRecord(id, person.Id ?? "", person.Anonymous, scenario, state.Bundle.Info.Version, DateTimeOffset.UtcNow, shown);
            if (!_recommendationLog.Writer.TryWrite(record)) Interlocked.Increment(ref _droppedLogRecords);
        }
        return new Recommendation
        {
            RecommendationId = id,
            Scenario = scenario,
            ModelVersion = state.Bundle.Info.Version,
            Personalized = person.Personalized && person.History.Count > 0,
            Title = title,
            Items = items,
            Rows = rows,
            Unknown = unknown,
        };
    }

    // ---- models ----------------------------------------------------------------------------------------------------------

    /// <summary>Trains a new version from the store, saves it and makes it active. One training at a time; a second call waits.</summary>
    public async Task<ModelInfo> TrainAsync(string reason, CancellationToken ct = default, int threads = 0)
    {
        await _training.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            string version = _repository.NextVersion();
            var bundle = await ReadAndTrainAsync(version, reason, threads, ct).ConfigureAwait(false);
            _trainingStatus = "saving";
            _repository.Save(bundle);
            Activate(bundle, replay: false);
            await ReplayAsync(bundle, ct).ConfigureAwait(false);
            _repository.SetActive(version);
            _lastTrainedAt = DateTimeOffset.UtcNow;
            _log.LogInformation("Model {Version} trained in {Seconds:F1} s from {Events:N0} events ({Reason})", version,
                bundle.Info.TrainingSeconds, bundle.Info.Events, reason);
            // Training's arrays are garbage now. Before the first model nothing is served, so a blocking compacting collection
            // hands the memory back to the system at once; later, requests are flowing: a background collection, no pause.
            if (reason == "startup") GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            else GC.Collect(2, GCCollectionMode.Optimized, blocking: false);
            return bundle.Info;
        }
        finally
        {
            _trainingStatus = null;
            _training.Release();
        }
    }

    /// <summary>Reads the store and trains; the snapshot (the biggest allocation of all) is garbage once this returns.</summary>
    private async Task<ModelBundle> ReadAndTrainAsync(string version, string reason, int threads, CancellationToken ct)
    {
        _trainingStatus = "reading the store";
        var read = System.Diagnostics.Stopwatch.StartNew();
        var snapshot = await StoreTrainingData.LoadSnapshotAsync(_store,
            new SnapshotOptions { Threads = threads > 0 ? threads : _options.TrainingThreads, ImpressionWindow = TimeSpan.FromHours(_options.FrequencyCapWindowHours) }, ct)
            .ConfigureAwait(false);
        double readSeconds = Math.Round(read.Elapsed.TotalSeconds, 3);
        _log.LogInformation("Read {Events:N0} events of {Users:N0} people in {Seconds:F1} s", snapshot.Data.Events?.Count ?? 0, snapshot.Data.Users, readSeconds);
        _trainingStatus = "training";
        var trained = await Task.Run(() => _trainer.Train(snapshot, version, reason, ct), ct).ConfigureAwait(false);
        return trained.WithInfo(trained.Info with { ReadSeconds = readSeconds });
    }

    /// <summary>Makes a version on disk the active one (rollback); live state is rebuilt from the events after its snapshot.</summary>
    public async Task<ModelInfo> ActivateAsync(string version, CancellationToken ct = default)
    {
        if (!_repository.Exists(version)) throw new FileNotFoundException($"no model version '{version}'");
        var bundle = await Task.Run(() => _repository.Load(version), ct).ConfigureAwait(false);
        Activate(bundle, replay: true);
        await ReplayAsync(bundle, ct).ConfigureAwait(false);
        _repository.SetActive(version);
        if (_lastTrainedAt == DateTimeOffset.MinValue) _lastTrainedAt = bundle.Info.TrainedAt;
        return bundle.Info;
    }

    private void Activate(ModelBundle bundle, bool replay)
    {
        ServingState state;
        lock (_swapGate)
        {
            var catalog = new CatalogView(bundle.ItemIds, _catalog);
            var content = bundle.Content;
            if (content is null || catalog.Count > content.Items) content = FitContent(catalog);
            long from = bundle.Info.DataUntil?.ToUnixTimeMilliseconds() ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var trending = new TrendingCounters(bundle.TrendShort, bundle.TrendLong, from, _options.Models.TrendShortDays, _options.Models.TrendLongDays);
            trending.Tick(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            state = new ServingState(bundle, catalog, content, trending, new RuleBook(_rules, catalog.Columns.Capacity));
            if (replay) Live.Clear();
            else Live.TrimBefore(state.SnapshotMs);
            _state = state;
            _catalogGrew = false;
        }
        Interlocked.Exchange(ref _eventsSinceModel, 0);
    }

    /// <summary>Feeds the live state with the events stored after the bundle's watermark.</summary>
    private async Task ReplayAsync(ModelBundle bundle, CancellationToken ct)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long last = await _store.GetLastEventSeqAsync(ct).ConfigureAwait(false);
        long replayed = 0;
        await foreach (var e in _store.ReadEventsAsync(bundle.Info.Watermark, last, ct).ConfigureAwait(false))
        {
            if (e.ItemId is null) continue;
            // Replayed events count as received after the snapshot (they were stored after its watermark).
            Live.Observe(e.ProfileId, e.ItemId, e.TypeCode, e.TimestampMs, Math.Max(now, bundle.Info.SnapshotAt.ToUnixTimeMilliseconds() + 1));
            replayed++;
        }
        Interlocked.Add(ref _eventsSinceModel, replayed);
    }

    private ContentModel? FitContent(CatalogView catalog)
    {
        var columns = catalog.Columns;
        int n = columns.Count;
        if (n == 0) return null;
        var text = new string?[n];
        var attributes = new string[n][];
        for (int i = 0; i < n; i++)
        {
            var item = columns.Items[i];
            text[i] = item is null ? null : string.Join(' ', new[] { item.Title, item.Description }.Where(s => !string.IsNullOrEmpty(s)));
            attributes[i] = item is null ? [] : StoreTrainingData.Tokens(item);
        }
        return BundleTrainer.FitContent(new ItemContent(text, attributes), n, _options.Models.Content);
    }

    // ---- rules -----------------------------------------------------------------------------------------------------------

    public async Task PutRuleAsync(BusinessRule rule, CancellationToken ct = default)
    {
        await _store.PutDocumentAsync(RuleKind, rule.Id, System.Text.Json.JsonSerializer.Serialize(rule, AttuneJson.Options), ct).ConfigureAwait(false);
        await ReloadRulesAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> DeleteRuleAsync(string id, CancellationToken ct = default)
    {
        bool deleted = await _store.DeleteDocumentAsync(RuleKind, id, ct).ConfigureAwait(false);
        await ReloadRulesAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    private async Task ReloadRulesAsync(CancellationToken ct)
    {
        var rules = await LoadRulesAsync(ct).ConfigureAwait(false);
        lock (_swapGate)
        {
            _rules = rules;
            if (_state is { } state) _state = state.With(rules: new RuleBook(rules, state.Catalog.Columns.Capacity));
        }
    }

    private async Task<IReadOnlyList<BusinessRule>> LoadRulesAsync(CancellationToken ct)
    {
        var docs = await _store.ListDocumentsAsync(RuleKind, ct).ConfigureAwait(false);
        var rules = new List<BusinessRule>(docs.Count);
        foreach (var doc in docs)
        {
            try
            {
                if (System.Text.Json.JsonSerializer.Deserialize<BusinessRule>(doc.Json, AttuneJson.Options) is { } rule) rules.Add(rule);
            }
            catch (System.Text.Json.JsonException e)
            {
                _log.LogWarning(e, "Rule {Id} is unreadable and was skipped", doc.Id);
            }
        }
        return rules;
    }

    // ---- background ------------------------------------------------------------------------------------------------------

    private async Task BackgroundAsync()
    {
        var ct = _stop.Token;
        long tick = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                tick++;
                try
                {
                    _state?.Trending.Tick(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    if (_catalogGrew && tick % 2 == 0) RefitContent();
                    if (tick % 5 == 0 && _training.CurrentCount > 0 && RetrainReason() is { } reason) await TrainAsync(reason, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _log.LogError(e, "Background serving work failed; retrying later");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private string? RetrainReason()
    {
        if (_options.RetrainAfterEvents > 0 && Interlocked.Read(ref _eventsSinceModel) >= _options.RetrainAfterEvents) return "new-events";
        if (_options.RetrainIntervalMinutes > 0 && DateTimeOffset.UtcNow - _lastTrainedAt >= TimeSpan.FromMinutes(_options.RetrainIntervalMinutes)) return "schedule";
        return null;
    }

    private void RefitContent()
    {
        var state = _state;
        if (state is null) return;
        _catalogGrew = false;
        var content = FitContent(state.Catalog);
        lock (_swapGate)
        {
            if (ReferenceEquals(_state?.Catalog, state.Catalog)) _state = _state!.With(content: content);
        }
    }

    private async Task WriteLogAsync()
    {
        var reader = _recommendationLog.Reader;
        var batch = new List<RecommendationRecord>(LogBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Gather for a moment: one transaction (one fsync) per tenth of a second, not one per answer. A crash can lose
            // that last moment of the log, never events.
            if (reader.Count < LogBatch && !_stop.IsCancellationRequested)
            {
                try { await Task.Delay(LogDelayMs, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
            batch.Clear();
            while (batch.Count < LogBatch && reader.TryRead(out var record)) batch.Add(record);
            try
            {
                await _store.LogRecommendationsAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Interlocked.Add(ref _droppedLogRecords, batch.Count);
                _log.LogWarning(e, "Could not log {Count} recommendations", batch.Count);
            }
        }
    }

    private const int LogBatch = 5_000, LogDelayMs = 100;

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _recommendationLog.Writer.TryComplete();
        if (_background is not null) await _background.ConfigureAwait(false);
        if (_logWriter is not null) await _logWriter.ConfigureAwait(false);
        _stop.Dispose();
    }
}
