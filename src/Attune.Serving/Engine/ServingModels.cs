using System.Collections.Concurrent;
using Attune.Algorithms.Content;
using Attune.Algorithms.Data;
using Attune.Model;
using Attune.Serving.Catalog;
using Attune.Serving.Live;
using Attune.Serving.Models;
using Attune.Serving.Rules;
using Attune.Serving.Training;

namespace Attune.Serving.Engine;

/// <summary>
/// The serving states in memory: the active one, and the model versions recipes pin (loaded once each, shared by every
/// recipe that names them: never a copy). Keeps the catalog every state's view is built from, and applies catalog and
/// rule changes to all of them. Every swap is one reference write under <see cref="_gate"/>; readers never lock.
/// </summary>
internal sealed class ServingModels(ServingOptions options, ModelRepository repository, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, Item> _catalog = new(StringComparer.Ordinal);
    private volatile ServingState? _active;
    private volatile Dictionary<string, ServingState> _pinned = new(StringComparer.Ordinal);
    private IReadOnlyList<BusinessRule> _rules = [];
    private volatile bool _catalogGrew;

    public ServingState? Active => _active;

    public ModelRepository Repository => repository;

    /// <summary>Versions loaded for recipes besides the active one.</summary>
    public IReadOnlyCollection<string> Pinned => _pinned.Keys;

    /// <summary>The versions in memory: the active one and those recipes pin.</summary>
    public IReadOnlyCollection<string> Loaded
    {
        get
        {
            var loaded = new HashSet<string>(_pinned.Keys, StringComparer.Ordinal);
            if (_active is { } active) loaded.Add(active.Bundle.Info.Version);
            return loaded;
        }
    }

    /// <summary>Every state in memory: the active one first.</summary>
    public IEnumerable<ServingState> All
    {
        get
        {
            if (_active is { } active) yield return active;
            foreach (var state in _pinned.Values) yield return state;
        }
    }

    /// <summary>Whether items arrived that the active content model does not know.</summary>
    public bool CatalogGrew => _catalogGrew;

    /// <summary>Items loaded or changed (after the states saw them): the catalog search follows these.</summary>
    public event Action<IReadOnlyList<Item>>? ItemsApplied;

    /// <summary>An item deleted (after the states saw it).</summary>
    public event Action<string>? ItemRemoved;

    public void LoadCatalog(IEnumerable<Item> items)
    {
        var loaded = items as IReadOnlyList<Item> ?? [.. items];
        foreach (var item in loaded) _catalog[item.Id] = item;
        ItemsApplied?.Invoke(loaded);
    }

    public void SetRules(IReadOnlyList<BusinessRule> rules)
    {
        lock (_gate)
        {
            _rules = rules;
            if (_active is { } active) _active = active.With(rules: new RuleBook(rules, active.Catalog.Columns.Capacity));
            if (_pinned.Count > 0)
            {
                var pinned = new Dictionary<string, ServingState>(StringComparer.Ordinal);
                foreach (var (version, state) in _pinned) pinned[version] = state.With(rules: new RuleBook(rules, state.Catalog.Columns.Capacity));
                _pinned = pinned;
            }
        }
    }

    public IReadOnlyList<BusinessRule> Rules => _rules;

    /// <summary>The state a recipe's model version serves from: that version when loaded, else the active one.</summary>
    public ServingState? For(string? version, out bool fellBack)
    {
        fellBack = false;
        var active = _active;
        if (version is null || active is null || version == active.Bundle.Info.Version) return active;
        if (_pinned.TryGetValue(version, out var pinned)) return pinned;
        fellBack = true;
        return active;
    }

    /// <summary>Makes <paramref name="bundle"/> the active state. The previous one stays pinned if a recipe names it.</summary>
    public ServingState Activate(ModelBundle bundle, LiveProfiles live, bool rollback, IReadOnlyCollection<string> pinnedByRecipes)
    {
        lock (_gate)
        {
            var state = Build(bundle);
            if (rollback) live.Clear();
            else live.TrimBefore(state.SnapshotMs);
            var previous = _active;
            _active = state;
            var pinned = new Dictionary<string, ServingState>(_pinned, StringComparer.Ordinal);
            pinned.Remove(bundle.Info.Version);
            if (previous is not null && pinnedByRecipes.Contains(previous.Bundle.Info.Version)) pinned[previous.Bundle.Info.Version] = previous;
            _pinned = pinned;
            _catalogGrew = false;
            return state;
        }
    }

    /// <summary>Loads a stored version for the recipes that name it (no-op when it is active or already loaded).</summary>
    public async Task PinAsync(string version, CancellationToken ct)
    {
        if (_active?.Bundle.Info.Version == version || _pinned.ContainsKey(version)) return;
        var bundle = await Task.Run(() => repository.Load(version), ct).ConfigureAwait(false);
        lock (_gate)
        {
            if (_active?.Bundle.Info.Version == version || _pinned.ContainsKey(version)) return;
            _pinned = new Dictionary<string, ServingState>(_pinned, StringComparer.Ordinal) { [version] = Build(bundle) };
        }
    }

    /// <summary>Keeps only the pinned versions recipes still name (and that still exist).</summary>
    public void KeepPinned(IReadOnlyCollection<string> versions)
    {
        lock (_gate)
        {
            if (_pinned.Keys.All(v => versions.Contains(v) && repository.Exists(v))) return;
            var pinned = new Dictionary<string, ServingState>(StringComparer.Ordinal);
            foreach (var (version, state) in _pinned)
                if (versions.Contains(version) && repository.Exists(version)) pinned[version] = state;
            _pinned = pinned;
        }
    }

    private readonly HashSet<string> _erased = new(StringComparer.Ordinal);

    /// <summary>
    /// Forgets people (erasure): every loaded state is swapped for one whose bundle no longer holds them, and every bundle
    /// loaded or trained from now until <see cref="Erased"/> is called for them is built without them too (a rollback to a
    /// version not yet rewritten on disk, or a training that read the store before the erasure).
    /// </summary>
    public void Forget(IReadOnlyCollection<string> ids)
    {
        lock (_gate)
        {
            foreach (string id in ids) _erased.Add(id);
            if (_active is { } active && active.Bundle.Without(ids) is { } bundle) _active = active.WithBundle(bundle);
            if (_pinned.Count > 0)
            {
                var pinned = new Dictionary<string, ServingState>(_pinned, StringComparer.Ordinal);
                foreach (var (version, state) in _pinned)
                    if (state.Bundle.Without(ids) is { } b) pinned[version] = state.WithBundle(b);
                _pinned = pinned;
            }
        }
    }

    /// <summary>The people whose erasure has reached every stored version: bundles need no filtering for them any more.</summary>
    public void Erased(IReadOnlyCollection<string> ids)
    {
        lock (_gate) foreach (string id in ids) _erased.Remove(id);
    }

    /// <summary>A state of <paramref name="bundle"/> over the current catalog and rules that serves nothing live (the blend's tuning).</summary>
    public ServingState Detached(ModelBundle bundle) => Build(bundle);

    private ServingState Build(ModelBundle bundle)
    {
        if (_erased.Count > 0 && bundle.Without(_erased) is { } without) bundle = without;
        var catalog = new CatalogView(bundle.ItemIds, _catalog);
        var content = bundle.Content;
        if (content is null || catalog.Count > content.Items) content = FitContent(catalog);
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long from = bundle.Info.DataUntil?.ToUnixTimeMilliseconds() ?? now;
        var trending = new Live.TrendingCounters(bundle.TrendShort, bundle.TrendLong, from, options.Models.TrendShortDays, options.Models.TrendLongDays);
        trending.Tick(now);
        return new ServingState(bundle, catalog, content, trending, new RuleBook(_rules, catalog.Columns.Capacity));
    }

    public void ItemsChanged(IReadOnlyList<Item> items)
    {
        lock (_gate)
        {
            foreach (var item in items)
            {
                _catalog[item.Id] = item;
                foreach (var state in All)
                {
                    int i = state.Catalog.Upsert(item);
                    state.Rules.Invalidate(i);
                    if (ReferenceEquals(state, _active) && (state.Content is null || i >= state.Content.Items)) _catalogGrew = true;
                }
            }
        }
        ItemsApplied?.Invoke(items);
    }

    public void ItemDeleted(string id)
    {
        lock (_gate)
        {
            _catalog.TryRemove(id, out _);
            foreach (var state in All)
            {
                state.Catalog.Remove(id);
                if (state.Catalog.IndexOf(id) is >= 0 and var i) state.Rules.Invalidate(i);
            }
        }
        ItemRemoved?.Invoke(id);
    }

    /// <summary>Refits the active content model over a catalog that grew: new items become recommendable by similarity.</summary>
    public void RefitContent()
    {
        var state = _active;
        if (state is null) return;
        _catalogGrew = false;
        var content = FitContent(state.Catalog);
        lock (_gate)
        {
            if (ReferenceEquals(_active?.Catalog, state.Catalog)) _active = _active!.With(content: content);
        }
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
        return BundleTrainer.FitContent(new ItemContent(text, attributes), n, options.Models.Content);
    }
}
