using System.Text.Json;
using Attune.Experiments.Assignment;
using Attune.Model;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Flags;

/// <summary>
/// The feature flags of an engine: stored as documents (<see cref="Kind"/>, by key), every version kept as a document of
/// <see cref="VersionKind"/> (<c>key@000003</c>), and compiled into one immutable <see cref="FeatureSet"/> that every evaluation
/// reads (a volatile swap per change). Reloaded whole when the store's change feed reports a flag document written by
/// anyone (another node, an admin job); this process's own writes apply at once.
/// </summary>
public sealed class FlagBook(IAttuneStore store, TimeProvider time, ILogger log)
{
    public const string Kind = "flag";
    public const string VersionKind = "flag-version";

    private sealed record State(IReadOnlyDictionary<string, Flag> Flags, FeatureSet Features, string[] Keys);

    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly Dictionary<string, int> _lastVersion = new(StringComparer.Ordinal);
    private volatile State _state = Compile(new Dictionary<string, Flag>(StringComparer.Ordinal));
    private volatile bool _loaded;

    /// <summary>Every flag, by key.</summary>
    public IReadOnlyList<Flag> All => [.. _state.Keys.Select(k => _state.Flags[k])];

    public bool TryGet(string key, out Flag flag) => _state.Flags.TryGetValue(key, out flag!);

    /// <summary>The compiled flags (GrowthBook features), for evaluation.</summary>
    public FeatureSet Features => _state.Features;

    /// <summary>Reads the stored flags when nothing did yet (a request may come before the engine's start-up reached them).</summary>
    public Task EnsureLoadedAsync(CancellationToken ct = default) => _loaded ? Task.CompletedTask : LoadAsync(ct);

    /// <summary>Reads the stored flags (start-up, or another writer changed them).</summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await LoadLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task LoadLockedAsync(CancellationToken ct)
    {
        var docs = await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false);
        var history = await store.ListDocumentsAsync(VersionKind, ct).ConfigureAwait(false);
        _lastVersion.Clear();
        foreach (var doc in history)
        {
            if (Parse(doc) is { } f) _lastVersion[f.Key] = Math.Max(_lastVersion.GetValueOrDefault(f.Key), f.Version);
        }
        var flags = new Dictionary<string, Flag>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            if (Parse(doc) is { } f) flags[f.Key] = f;
        }
        _state = Compile(flags);
        _loaded = true;
    }

    /// <summary>Stores a new version of a flag; evaluations see it from the next request.</summary>
    public async Task<Flag> PutAsync(Flag flag, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Version numbers continue the stored history, also before start-up loaded it.
            if (!_loaded) await LoadLockedAsync(ct).ConfigureAwait(false);
            var versioned = flag with { Version = _lastVersion.GetValueOrDefault(flag.Key) + 1, UpdatedAt = time.GetUtcNow(), Deleted = null };
            string json = JsonSerializer.Serialize(versioned, AttuneJson.Options);
            await store.PutDocumentAsync(VersionKind, VersionId(versioned.Key, versioned.Version), json, ct).ConfigureAwait(false);
            await store.PutDocumentAsync(Kind, versioned.Key, json, ct).ConfigureAwait(false);
            _lastVersion[versioned.Key] = versioned.Version;
            _state = Compile(new Dictionary<string, Flag>(_state.Flags, StringComparer.Ordinal) { [versioned.Key] = versioned });
            return versioned;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Deletes a flag (its versions stay readable); false when there was none.</summary>
    public async Task<bool> DeleteAsync(string key, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_loaded) await LoadLockedAsync(ct).ConfigureAwait(false);
            if (!_state.Flags.TryGetValue(key, out var old)) return false;
            var tombstone = old with { Version = _lastVersion.GetValueOrDefault(key) + 1, UpdatedAt = time.GetUtcNow(), Deleted = true };
            await store.PutDocumentAsync(VersionKind, VersionId(key, tombstone.Version), JsonSerializer.Serialize(tombstone, AttuneJson.Options), ct)
                .ConfigureAwait(false);
            await store.DeleteDocumentAsync(Kind, key, ct).ConfigureAwait(false);
            _lastVersion[key] = tombstone.Version;
            var flags = new Dictionary<string, Flag>(_state.Flags, StringComparer.Ordinal);
            flags.Remove(key);
            _state = Compile(flags);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Every stored version of a flag, oldest first (deletions included).</summary>
    public async Task<IReadOnlyList<Flag>> HistoryAsync(string key, CancellationToken ct = default)
    {
        var docs = await store.ListDocumentsAsync(VersionKind, ct).ConfigureAwait(false);
        var list = new List<Flag>();
        foreach (var doc in docs)
        {
            if (doc.Id.StartsWith(key + "@", StringComparison.Ordinal) && Parse(doc) is { } f && f.Key == key) list.Add(f);
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }

    /// <summary>Every flag's value for one person, by key.</summary>
    public IReadOnlyList<KeyValuePair<string, FeatureResult>> EvaluateAll(Attributes attributes)
    {
        var state = _state;
        var context = new EvaluationContext { Attributes = attributes };
        var results = new KeyValuePair<string, FeatureResult>[state.Keys.Length];
        for (int i = 0; i < results.Length; i++) results[i] = new(state.Keys[i], state.Features.Evaluate(state.Keys[i], context));
        return results;
    }

    private static string VersionId(string key, int version) => $"{key}@{version:D6}";

    private Flag? Parse(StoredDocument doc)
    {
        try
        {
            return JsonSerializer.Deserialize<Flag>(doc.Json, AttuneJson.Options);
        }
        catch (JsonException e)
        {
            log.LogWarning(e, "Flag document {Id} is unreadable and was skipped", doc.Id);
            return null;
        }
    }

    private static State Compile(Dictionary<string, Flag> flags)
    {
        var features = new Dictionary<string, FeatureDefinition>(flags.Count, StringComparer.Ordinal);
        foreach (var (key, flag) in flags) features[key] = FlagReader.ToFeature(flag);
        return new State(flags, new FeatureSet(features), [.. flags.Keys.Order(StringComparer.Ordinal)]);
    }
}
