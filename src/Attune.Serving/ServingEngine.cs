using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Serving.Engine;
using Attune.Serving.Flags;
using Attune.Serving.Live;
using Attune.Serving.Models;
using Attune.Serving.Pipeline;
using Attune.Serving.Recipes;
using Attune.Serving.Rules;
using Attune.Serving.Sources;
using Attune.Serving.Stages;
using Attune.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attune.Serving;

/// <summary>
/// Real-time serving, composed of one part per job: the states in memory (<see cref="ServingModels"/>: the active model
/// version and those recipes pin), live per-person state (<see cref="LiveUpdates"/>), training and rollback
/// (<see cref="ModelTraining"/>) with its schedule (<see cref="BackgroundWork"/>), business rules (<see cref="RuleStore"/>),
/// recipes (<see cref="RecipeBook"/>), answers (<see cref="Answers"/>), the recommendation log and the metrics
/// (<see cref="ServingMetrics"/>, meter <c>Attune</c>). This class wires them and
/// is what the HTTP layer, the tests and the benchmarks talk to.
/// </summary>
/// <remarks>
/// Lifecycle: <see cref="StartAsync"/> loads the catalog, consent, identity links, rules and recipes from the store, then the
/// active model version from disk (training one first when there is none) and the versions recipes pin, and replays the
/// events stored after the active version's watermark into the live state. Time comes from the <see cref="TimeProvider"/>
/// given (tests move it); nothing here reads the system clock directly.
/// </remarks>
public sealed partial class ServingEngine : IAsyncDisposable
{
    public const string RuleKind = RuleStore.Kind;

    /// <summary>The name of the engine's meter (System.Diagnostics.Metrics), for an exporter to listen to.</summary>
    public const string MeterName = ServingMetrics.MeterName;

    /// <summary>The name of the engine's activity source (System.Diagnostics traces: answers and training), for a tracer to listen to.</summary>
    public const string ActivitySourceName = ServingTracing.SourceName;

    private readonly IAttuneStore _store;
    private readonly ILogger _log;
    private readonly ServingModels _models;
    private readonly LiveUpdates _live;
    private readonly ChangeFeed _feed;
    /// <summary>Document kinds the feed reloads, with their reloaders (the engine's own, then any a host adds before start).</summary>
    private readonly Dictionary<string, Func<CancellationToken, Task>> _followed;
    private readonly ModelTraining _training;
    /// <summary>Model versions kept in a shared store (null on the embedded store: the data folder is their only home).</summary>
    private readonly SharedModels? _shared;
    private readonly Leadership _leadership;
    private readonly ModelFollower? _follower;
    private readonly Erasures _erasures;
    private readonly Retention _retention;
    private readonly ExperimentCheckpoint _checkpoint;
    private readonly BackgroundWork _background;
    private readonly RuleStore _rules;
    private readonly BatchWriter<RecommendationRecord> _recommendationLog;
    private readonly BatchWriter<Exposure> _exposureLog;
    private readonly ExperimentAttributes _experimentAttributes;
    private readonly PrePeriodReader _prePeriods;
    private readonly Answers _answers;
    private readonly RolloutRunner _rolloutRunner;
    private readonly ServingMetrics _metrics;
    private readonly ServingContext _context;

    /// <param name="meterName">The name of the engine's meter (default <see cref="MeterName"/>): several engines in one process
    /// (a deployment's tenants) each take their own, since an exporter listens to meters by name and would otherwise report
    /// every engine's numbers as one.</param>
    public ServingEngine(IAttuneStore store, ServingOptions options, string dataDirectory, ILogger? logger = null,
        SourceRegistry? sources = null, IReadOnlyList<IRankingStage>? stages = null, TimeProvider? time = null, string? meterName = null)
    {
        _store = store;
        Options = options;
        Time = time ?? TimeProvider.System;
        _log = logger ?? NullLogger.Instance;
        Sources = sources ?? SourceRegistry.CreateDefault();
        Stages = stages ?? RankingStages.Default;
        var context = _context = new ServingContext(options);
        _models = new ServingModels(options, new ModelRepository(dataDirectory, options.KeepVersions), Time);
        // The catalog search follows the catalog: loaded with it, then every applied change (search is served as soon as it is).
        // Item vectors are saved beside the store: a restart computes only those of changed items.
        Search = new Search.CatalogSearch(options.SemanticSearch, vectorFile: Path.Combine(dataDirectory, "search", "vectors.bin"));
        context.Search = Search;
        _models.ItemsApplied += Search.Upsert;
        _models.ItemRemoved += Search.Remove;
        _live = new LiveUpdates(_models, context);
        Suggestions = new Search.SearchSuggestions(Time);
        _models.ItemsApplied += Suggestions.Upsert;
        _models.ItemRemoved += Suggestions.Remove;
        _live.EventApplied += Suggestions.Observe;
        _live.Linked += Suggestions.Link;
        _live.UserErased += Suggestions.Forget;
        Reformulations = new Search.Reformulations(Search.MatchesWords, Search.LearnSynonym);
        Suggestions.QuerySeen += Reformulations.Observe;
        _live.UserErased += Reformulations.Forget;
        // The configured scenarios are checked here, against the sources this engine serves: a bad one stops the start.
        Recipes = new RecipeBook(store, Sources, options.ResolveScenarios(), Time, _log);
        _rules = new RuleStore(store, _models, Time, _log);
        Experiments = new ExperimentBook(store, Time);
        Rollouts = new RolloutBook(store, Time);
        Flags = new FlagBook(store, Time, _log);
        _followed = new Dictionary<string, Func<CancellationToken, Task>>
        {
            [RecipeBook.Kind] = RecipesChangedAsync,
            [ExperimentBook.Kind] = Experiments.LoadAsync,
            [ExperimentBook.HoldoutKind] = Experiments.LoadAsync,
            [FlagBook.Kind] = Flags.LoadAsync,
            [RolloutBook.Kind] = RolloutsChangedAsync,
        };
        _feed = new ChangeFeed(store, _models, _live, _rules, _followed, Time, _log);
        var shared = store as ISharedStore;
        _leadership = new Leadership(shared, options, _log);
        if (shared is not null) _shared = new SharedModels(shared, store, _models.Repository, options, Time, _log);
        _training = new ModelTraining(store, options, _models, _live, _feed, PinnedVersions,
            new BlendTuning(_models, Recipes, Sources, Stages, context), _shared, _leadership, Time, _log);
        if (_shared is not null)
        {
            _follower = new ModelFollower(_shared, _leadership, _training, _models, TrainHereAsync, _log);
            _followed[SharedModels.Kind] = _follower.ChangedAsync;
            _leadership.Elected = _follower.ElectedAsync;
        }
        Tracker = new ExperimentTracker();
        _checkpoint = new ExperimentCheckpoint(Tracker, dataDirectory, _log);
        _erasures = new Erasures(store, _models, _training, [_checkpoint], _shared, _leadership, Time, _log);
        if (_shared is not null) _followed[Erasures.PendingKind] = _erasures.PendingChangedAsync;
        _retention = new Retention(store, options, _checkpoint, () => _leadership.IsLeader, Time, _log);
        if (options.RetrainThroughRollout) options.ParseRolloutSteps(); // a bad ladder stops the start, not the first retraining
        _background = new BackgroundWork(_models, _training, RetrainAsync, EveryFiveSecondsAsync, _leadership, Time, _log);
        _recommendationLog = new BatchWriter<RecommendationRecord>(r => store.LogRecommendationsAsync(r), "recommendation log records", _log);
        _exposureLog = new BatchWriter<Exposure>(e => store.RecordExposuresAsync(e), "experiment exposures", _log);
        Router = new ExperimentRouter(Experiments, Time, Rollouts);
        Router.Exposed += _exposureLog.Add;
        _snapshots = new ExperimentSnapshots(store, Experiments, Tracker, options, Time, _log);
        Experiments.Changed += TrackAll;
        Rollouts.Changed += RolloutsChanged;
        _rolloutRunner = new RolloutRunner(Rollouts, Tracker, CompleteRolloutAsync, Time, _log);
        _prePeriods = new PrePeriodReader(store, Tracker, _log);
        Router.Exposed += e =>
        {
            var (owner, anonymous) = OwnerOf(e);
            Tracker.Expose(e, owner);
            _prePeriods.Add(e, owner, anonymous);
        };
        _live.EventApplied += e => Tracker.Observe(e);
        _live.Linked += Tracker.Link;
        _live.UserErased += Tracker.Forget;
        _experimentAttributes = new ExperimentAttributes(store, () => PersonPredictions, () => PersonSegments);
        _live.UserChanged += _experimentAttributes.Forget;
        _metrics = new ServingMetrics(() => _models.Active, () => Math.Max(0, _store.CommittedChangeSeq - _feed.Applied), () => _live.EventsSinceModel,
            () => _recommendationLog.Dropped, Time, meterName ?? MeterName);
        _live.EventApplied += e => _metrics.EventApplied(e.TypeCode);
        _training.Trained += info => _metrics.Trained(info.Reason ?? "unknown", info.ReadSeconds + info.TrainingSeconds);
        _answers = new Answers(_models, Recipes, _live, context, Sources, Stages, _recommendationLog, Router, _experimentAttributes, Tracker, _metrics, Time);
    }

    public ServingOptions Options { get; }

    /// <summary>The clock of this engine.</summary>
    public TimeProvider Time { get; }

    public SourceRegistry Sources { get; }

    /// <summary>The full-text index of the catalog the <c>search</c> scenario answers from.</summary>
    public Search.CatalogSearch Search { get; }

    public IReadOnlyList<IRankingStage> Stages { get; }

    public RecipeBook Recipes { get; }

    /// <summary>Experiments and the global holdout (which recipe each person is served with).</summary>
    public ExperimentBook Experiments { get; }

    /// <summary>Experiments' results as they accrue: exposed people, their metrics, the sums per phase and variant.</summary>
    public ExperimentTracker Tracker { get; }

    private readonly ExperimentSnapshots _snapshots;

    /// <summary>An experiment's stored results snapshots, oldest first: its cumulative lift over time.</summary>
    public Task<IReadOnlyList<ExperimentSnapshot>> ExperimentHistoryAsync(string id, CancellationToken ct = default) =>
        _snapshots.HistoryAsync(id, ct);

    /// <summary>The background loop's five-second work: rollouts are judged, experiments' results snapshots taken when due.</summary>
    private async Task EveryFiveSecondsAsync(CancellationToken ct)
    {
        await CheckRolloutsAsync(ct).ConfigureAwait(false);
        await _snapshots.TickAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A user record was written or a user erased (from the change feed, whichever node wrote it; an API that writes users
    /// catches up before it answers, so listeners have dropped what they cached of the person by then).
    /// </summary>
    public event Action<string>? UserChanged
    {
        add => _live.UserChanged += value;
        remove => _live.UserChanged -= value;
    }

    /// <summary>
    /// Every stored event as live state takes it in (from the change feed, whichever node wrote it, or a model activation's
    /// replay: listeners dedupe by <see cref="StoredEvent.Seq"/>).
    /// </summary>
    public event Action<StoredEvent>? EventApplied
    {
        add => _live.EventApplied += value;
        remove => _live.EventApplied -= value;
    }

    /// <summary>An anonymous id was identified as a user (anonymous id, user id).</summary>
    public event Action<string, string>? Linked
    {
        add => _live.Linked += value;
        remove => _live.Linked -= value;
    }

    /// <summary>A user was erased.</summary>
    public event Action<string>? UserErased
    {
        add => _live.UserErased += value;
        remove => _live.UserErased -= value;
    }

    /// <summary>
    /// A user's predictions by dotted name (<c>clv.palive</c> …), which experiments' targeting sees as numbers
    /// (<c>{"clv.palive": {"$lt": 0.3}}</c>); set by the host. Called only while assigning a person to a targeted experiment.
    /// </summary>
    public Func<string, IReadOnlyDictionary<string, double>?>? PersonPredictions { get; set; }

    /// <summary>
    /// The segments a person is in (id, anonymous?), set by the host: business rules scoped to a segment apply only to its
    /// members, and experiments' targeting sees them as <c>segments</c>.
    /// </summary>
    public Func<string, bool, IReadOnlyList<string>>? PersonSegments
    {
        get => _context.PersonSegments;
        set => _context.PersonSegments = value;
    }

    /// <summary>The learned rankers by name, set by the host: a recipe's scenario that names one (<c>"ranker"</c>) re-orders its
    /// best candidates by it.</summary>
    public Func<string, Attune.Serving.Stages.IItemRanker?>? Rankers
    {
        get => _context.Rankers;
        set => _context.Rankers = value;
    }

    /// <summary>The recipe a person's segments choose for them (id, anonymous?), or null; set by the host. Requests that name
    /// a recipe and people in an experiment are served as before.</summary>
    public Func<string, bool, string?>? SegmentRecipe
    {
        get => _context.SegmentRecipe;
        set => _context.SegmentRecipe = value;
    }

    /// <summary>Who is in the holdout and which experiment variant serves whom (sticky per person).</summary>
    public ExperimentRouter Router { get; }

    /// <summary>What an experiment definition may name: this engine's recipes and scenarios, and valid targeting conditions.</summary>
    public ExperimentReferences ExperimentReferences => new(
        name => Recipes.TryGet(name, out _), [.. Recipes.ScenarioNames, "home-rows"], ExperimentTargeting.Check);

    /// <summary>Feature flags (GrowthBook feature definitions), evaluated per person.</summary>
    public FlagBook Flags { get; }

    public LiveProfiles Live => _live.Profiles;

    /// <summary>The active state; null until the first model version is active.</summary>
    public ServingState? State => _models.Active;

    public bool IsReady => _models.Active is not null;

    /// <summary>
    /// The active model's taste vectors (its matrix factorization's user vectors, copied), the item vectors of the same space
    /// and each of those items' category; null when the active model has none.
    /// </summary>
    public UserVectorSnapshot? UserVectors()
    {
        if (_models.Active is not { } state || state.Bundle.Als is not { } als) return null;
        var columns = state.Catalog.Columns;
        var categories = new string?[als.Items];
        for (int i = 0; i < als.Items && i < columns.Count; i++)
            categories[i] = columns.Category[i] > 0 ? state.Catalog.NameOf(columns.Category[i]) : null;
        int users = Math.Min(als.Users, state.Bundle.UserIds.Length);
        return new UserVectorSnapshot(state.Bundle.UserIds[..users], als.UserFactors[..(users * als.Rank)].ToArray(), als.Rank,
            als.ItemFactors.ToArray(), categories, state.Bundle.Info.Version);
    }

    /// <summary>The default recipe's scenarios.</summary>
    public IReadOnlyDictionary<string, CompiledScenario> Scenarios => Recipes.Default.Scenarios;

    public IReadOnlyList<BusinessRule> Rules => _rules.Rules;

    public IReadOnlyList<ModelInfo> Versions => _models.Repository.List();

    public string? ActiveVersion => _models.Active?.Bundle.Info.Version;

    /// <summary>Model versions loaded besides the active one, because recipes serve them.</summary>
    public IReadOnlyCollection<string> LoadedVersions => _models.Pinned;

    /// <summary>What background training is doing now (null when idle).</summary>
    public string? TrainingStatus => _training.Status
        ?? (_models.Active is null && _shared is not null && !_leadership.IsLeader ? "waiting for the trainer node's first model version" : null);

    /// <summary>Answers served since start.</summary>
    public long AnswersServed => _metrics.Answers;

    /// <summary>Events applied to live state since start.</summary>
    public long EventsApplied => _metrics.Events;

    /// <summary>Events and answers per minute over the last <paramref name="minutes"/> minutes (at most 60), oldest first.</summary>
    public IReadOnlyList<ActivityMinute> RecentActivity(int minutes = 60) => _metrics.Recent(minutes);

    /// <summary>Users whose consent turns personalization off (as live state knows them).</summary>
    public int OptedOutUsers => _context.OptedOutCount;

    /// <summary>A person's consent by purpose: their record's, else the deployment's default (<see cref="ServingOptions.DefaultConsent"/>).</summary>
    public Consent ConsentOf(string? userId) => _context.ConsentOf(userId);

    /// <summary>Recommendation log records dropped because the store could not keep up.</summary>
    public long DroppedLogRecords => _recommendationLog.Dropped;

    public async Task StartAsync(CancellationToken ct = default)
    {
        // Everything read below covers the changes up to here; the feed applies the rest, from now on (writes accepted while
        // the first model trains reach live state too).
        _feed.StartAfter(await _store.GetLastChangeSeqAsync(ct).ConfigureAwait(false));
        // A training killed mid-way left a temporary bundle (or, from an older Attune, an empty one): nothing loads it.
        LoadSynonyms();
        foreach (string orphan in _models.Repository.RemoveOrphans())
            _log.LogInformation("Removed {File}, left by a training that did not finish", orphan);
        var items = new List<Item>();
        string? cursor = null;
        do
        {
            var page = await _store.ListItemsAsync(cursor, 1000, ct).ConfigureAwait(false);
            items.AddRange(page.Data);
            cursor = page.NextCursor;
        } while (cursor is not null);
        _models.LoadCatalog(items);
        await foreach (var (userId, consent) in _store.ReadStatedConsentsAsync(ct).ConfigureAwait(false)) _live.SetConsent(userId, consent);
        await foreach (var (anonymousId, userId) in _store.ReadIdentityLinksAsync(ct).ConfigureAwait(false)) _live.Link(anonymousId, userId);
        await _rules.ReloadAsync(ct).ConfigureAwait(false);
        await Recipes.LoadAsync(ct).ConfigureAwait(false);
        await Experiments.LoadAsync(ct).ConfigureAwait(false);
        await Rollouts.LoadAsync(ct).ConfigureAwait(false);
        await RestoreExperimentsAsync(ct).ConfigureAwait(false);
        await Flags.LoadAsync(ct).ConfigureAwait(false);
        Suggestions.ReadThrough(await _store.GetLastEventSeqAsync(ct).ConfigureAwait(false));
        _started = true;
        _feed.Start();
        _suggestionsLoad = LoadSuggestionsAsync();

        if (_shared is not null) await StartSharedAsync(ct).ConfigureAwait(false);
        else if (_models.Repository.ActiveVersion is { } active)
        {
            try
            {
                await _training.ActivateAsync(active, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or EndOfStreamException)
            {
                _log.LogWarning(e, "Model {Version} could not be loaded; training a new one", active);
            }
        }
        // Nothing is being served yet: the first training may use every core.
        if (_models.Active is null && _leadership.IsLeader) await _training.TrainAsync("startup", ct, threads: Environment.ProcessorCount).ConfigureAwait(false);
        await LoadPinnedAsync(ct).ConfigureAwait(false);
        _recommendationLog.Start();
        _exposureLog.Start();
        _prePeriods.Start();
        _background.Start();
        await _erasures.StartAsync(ct).ConfigureAwait(false);
        _retention.Start();
        _follower?.Start();
        _leadership.Start();
    }

    /// <summary>One retention pass now (tests, an operator's script); returns the events deleted.</summary>
    public Task<long> PurgeExpiredEventsAsync(CancellationToken ct = default) => _retention.PurgeOnceAsync(ct);

    /// <summary>Events deleted by retention since start.</summary>
    public long PurgedEvents => _retention.Purged;

    // ---- erasure ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Erases a person (a user, or an anonymous id: one linked to a user erases that user) from the store at once, from live
    /// state and every loaded model before this returns, and from every stored model version in the background; returns
    /// the audit record (null when no such person is known). <paramref name="by"/>: the key's name, for the record.
    /// </summary>
    public async Task<ErasureRecord?> EraseAsync(string id, bool anonymous, string? by, CancellationToken ct = default)
    {
        var record = await _erasures.EraseAsync(id, anonymous, by, ct).ConfigureAwait(false);
        if (record is not null) await CatchUpAsync(ct).ConfigureAwait(false);
        return record;
    }

    /// <summary>An erasure's audit record by its id.</summary>
    public Task<ErasureRecord?> GetErasureAsync(string erasureId, CancellationToken ct = default) => _erasures.GetAsync(erasureId, ct);

    /// <summary>Completes once every erasure has reached every stored model version.</summary>
    public Task ErasuresDoneAsync(CancellationToken ct = default) => _erasures.DrainAsync(ct);

    /// <summary>
    /// Calls <paramref name="reload"/> after each batch of the store's changes that puts or deletes documents of
    /// <paramref name="kind"/>, whoever wrote them (this process, an admin job, later another node): how a host keeps its own
    /// documents (the server's stored API keys) in step. Register before <see cref="StartAsync"/>.
    /// </summary>
    public void FollowDocuments(string kind, Func<CancellationToken, Task> reload)
    {
        if (_started) throw new InvalidOperationException("Follow documents before the engine starts");
        if (kind == RuleKind || !_followed.TryAdd(kind, reload)) throw new ArgumentException($"Documents of kind '{kind}' are followed already", nameof(kind));
    }

    // ---- what the store accepted --------------------------------------------------------------------------------------

    private volatile bool _started;

    /// <summary>
    /// Returns once live state reflects every change this process's store has committed so far: a handler that wrote calls it
    /// before answering, so the next answer sees the write. Live state follows the store's change feed, never the handlers,
    /// so writes that no handler saw (an admin job on the store, later another node) reach it the same way.
    /// </summary>
    public ValueTask CatchUpAsync(CancellationToken ct = default) =>
        _started ? _feed.CatchUpAsync(_store.CommittedChangeSeq, ct) : ValueTask.CompletedTask;

    /// <summary>The last change of the store's feed applied to live state.</summary>
    public long AppliedChangeSeq => _feed.Applied;

    // ---- answers -------------------------------------------------------------------------------------------------------

    public Recommendation Recommend(RecommendationRequest request) => _answers.Recommend(request);

    /// <summary>Orders the caller's candidates for the person with the scenario's blend (default <c>for-you</c>).</summary>
    public Recommendation Rank(RecommendationRequest request) => _answers.Rank(request);

    // ---- rules and recipes -----------------------------------------------------------------------------------------------

    /// <summary>Stores a rule; it applies once the feed brought it in, before this returns. <paramref name="by"/> names who changed it (its history).</summary>
    public async Task PutRuleAsync(BusinessRule rule, CancellationToken ct = default, string? by = null)
    {
        await _rules.PutAsync(rule, by, ct).ConfigureAwait(false);
        await ApplyOwnWriteAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> DeleteRuleAsync(string id, CancellationToken ct = default, string? by = null)
    {
        bool deleted = await _rules.DeleteAsync(id, by, ct).ConfigureAwait(false);
        await ApplyOwnWriteAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>Every change of a rule, oldest first.</summary>
    public Task<IReadOnlyList<RuleVersion>> RuleHistoryAsync(string id, CancellationToken ct = default) => _rules.HistoryAsync(id, ct);

    /// <summary>
    /// The answer as it would be with <paramref name="draft"/> stored (replacing any rule of its id), without storing it: the
    /// console's live preview of a rule. The request must name its recipe.
    /// </summary>
    public Recommendation PreviewRule(RecommendationRequest request, BusinessRule draft)
    {
        var rules = new List<BusinessRule>(_rules.Rules.Count + 1);
        foreach (var rule in _rules.Rules) if (rule.Id != draft.Id) rules.Add(rule);
        rules.Add(draft);
        return _answers.Preview(request, state => state.With(rules: new RuleBook(rules, state.Catalog.Columns.Capacity)));
    }

    /// <summary>
    /// The answer <paramref name="draft"/> would give if it were stored, without storing it (checked as <c>PUT /v1/recipes</c>
    /// checks it: throws <see cref="RecipeException"/>): the console's recipe preview. Its model version must be loaded
    /// (the active one, or one a stored recipe pins).
    /// </summary>
    public Recommendation PreviewRecipe(RecommendationRequest request, Recipe draft)
    {
        if (draft.ModelVersion is { } version && !LoadedVersions.Contains(version) && version != ActiveVersion)
            throw new RecipeException("modelVersion", $"model version '{version}' is not loaded; save the recipe to load it, then preview");
        return _answers.Preview(request, Recipes.Check(draft));
    }

    /// <summary>Before start, nothing follows the feed yet: the rules are read whole at start anyway.</summary>
    private async Task ApplyOwnWriteAsync(CancellationToken ct)
    {
        if (_started) await _feed.CatchUpAsync(_store.CommittedChangeSeq, ct).ConfigureAwait(false);
        else await _rules.ReloadAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Stores a recipe (a new version) and serves it from the next request; its model version is loaded first.</summary>
    /// <exception cref="RecipeException">The recipe names an unknown scenario, source, setting or model version.</exception>
    public async Task<CompiledRecipe> PutRecipeAsync(Recipe recipe, CancellationToken ct = default)
    {
        if (recipe.ModelVersion is { } version)
        {
            if (!_models.Repository.Exists(version))
                throw new RecipeException("modelVersion", $"no model version '{version}'; stored: {string.Join(", ", Versions.Select(v => v.Version))}");
            Recipes.Check(recipe);
            await _models.PinAsync(version, ct).ConfigureAwait(false);
        }
        var compiled = await Recipes.PutAsync(recipe, ct).ConfigureAwait(false);
        _models.KeepPinned(PinnedVersions());
        return compiled;
    }

    public async Task<bool> DeleteRecipeAsync(string name, CancellationToken ct = default)
    {
        bool deleted = await Recipes.DeleteAsync(name, ct).ConfigureAwait(false);
        _models.KeepPinned(PinnedVersions());
        return deleted;
    }

    /// <summary>
    /// The source weights a recipe's scenario blends now: its own, or the tuned ones of the model version it serves from when
    /// that version's tuning applies (<see cref="TunedBlend"/>), with that version's name.
    /// </summary>
    public (IReadOnlyDictionary<string, float> Sources, string? TunedBy) ServedSources(CompiledRecipe recipe, CompiledScenario scenario) =>
        TunedBlend.Served(_models.For(recipe.ModelVersion, out _), scenario, Sources);

    /// <summary>What is wrong with how a recipe serves now (e.g. its model version was deleted: it falls back to the active one).</summary>
    public IReadOnlyList<string> RecipeWarnings(CompiledRecipe recipe)
    {
        if (recipe.ModelVersion is not { } version || !IsReady) return [];
        _models.For(version, out bool fellBack);
        return fellBack ? [$"model version {version} is not available (deleted?); serving with the active version {ActiveVersion}"] : [];
    }

    /// <summary>Another writer changed recipes: reload them and the model versions they name.</summary>
    private async Task RecipesChangedAsync(CancellationToken ct)
    {
        await Recipes.LoadAsync(ct).ConfigureAwait(false);
        await LoadPinnedAsync(ct).ConfigureAwait(false);
        _models.KeepPinned(PinnedVersions());
    }

    private IReadOnlyCollection<string> PinnedVersions()
    {
        var versions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var recipe in Recipes.All) if (recipe.ModelVersion is { } v) versions.Add(v);
        foreach (var rollout in Rollouts.Current.Values)
            if (rollout is { Status: RolloutStatus.Running, ModelVersion: { } rv }) versions.Add(rv);
        return versions;
    }

    private async Task LoadPinnedAsync(CancellationToken ct)
    {
        foreach (string version in PinnedVersions())
        {
            if (!_models.Repository.Exists(version))
            {
                _log.LogWarning("A recipe names model version {Version}, which is not stored; it is served with the active version", version);
                continue;
            }
            try
            {
                await _models.PinAsync(version, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or EndOfStreamException)
            {
                _log.LogWarning(e, "Model {Version} named by a recipe could not be loaded; it is served with the active version", version);
            }
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_follower is not null) await _follower.DisposeAsync().ConfigureAwait(false);
        await _feed.DisposeAsync().ConfigureAwait(false);
        await _background.DisposeAsync().ConfigureAwait(false);
        await _erasures.DisposeAsync().ConfigureAwait(false);
        await _retention.DisposeAsync().ConfigureAwait(false);
        // The next start replays only what follows (and results keep what retention purges meanwhile).
        if (_started && Tracker.IsTracking)
        {
            try { _checkpoint.Save(); }
            catch (IOException e) { _log.LogWarning(e, "The experiment checkpoint could not be written at shutdown"); }
        }
        await _recommendationLog.DisposeAsync().ConfigureAwait(false);
        await _exposureLog.DisposeAsync().ConfigureAwait(false);
        Search.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_suggestionsLoad is { } load) await load.ConfigureAwait(false);
        _stopping.Dispose();
        await _prePeriods.DisposeAsync().ConfigureAwait(false);
        await _leadership.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }
}

/// <summary>Taste vectors of a model version: <see cref="UserIds"/>[u]'s vector is <see cref="UserFactors"/>[u·Rank … (u+1)·Rank).</summary>
public sealed record UserVectorSnapshot(string[] UserIds, float[] UserFactors, int Rank, float[] ItemFactors, IReadOnlyList<string?> ItemCategories, string ModelVersion);
