using System.Text.Json;
using Attune.Model;
using Attune.Serving.Models;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Model versions on a store several nodes share. The trainer publishes every version it saves (and every rewrite of one
/// after an erasure); each node keeps a copy of every stored version in its data folder (its <see cref="ModelRepository"/>
/// is then a cache, so a rollback loads from local disk) and follows three documents of kind <see cref="Kind"/> through the
/// change feed: <see cref="ActiveId"/> (the version every node serves), <see cref="VersionsId"/> (touched when versions are
/// stored or deleted) and <see cref="TrainingId"/> (a training asked for, or running, on the trainer).
/// </summary>
internal sealed class SharedModels(ISharedStore shared, IAttuneStore store, ModelRepository repository, ServingOptions options, TimeProvider time,
    ILogger log)
{
    public const string Kind = "model";
    public const string ActiveId = "active";
    public const string VersionsId = "versions";
    public const string TrainingId = "training";

    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly string _revisionsPath = Path.Combine(Path.GetDirectoryName(repository.BundlePath("v1"))!, "revisions.json");
    private Dictionary<string, long>? _revisions;

    /// <summary>The version every node serves (what <c>POST /v1/models/{version}/activate</c> or the trainer set last).</summary>
    public sealed record ActiveVersion(string Version, string? Node, DateTimeOffset At);

    /// <summary>A training asked of the trainer (<see cref="Requested"/>), or running on it (<see cref="Running"/>).</summary>
    public sealed record TrainingState(string State, string Reason, string? Node, DateTimeOffset At)
    {
        public const string Requested = "requested";
        public const string Running = "running";
    }

    public string Node => options.NodeName;

    /// <summary>Copies a version this node saved into the shared store and tells the other nodes.</summary>
    public async Task PublishAsync(ModelInfo info, CancellationToken ct)
    {
        await using (var stream = repository.OpenRead(info.Version))
            await shared.PutModelAsync(info.Version, JsonSerializer.Serialize(info, ModelInfo.Json), stream, ct).ConfigureAwait(false);
        await _sync.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var revisions = Revisions();
            foreach (var model in await shared.ListModelsAsync(ct).ConfigureAwait(false))
                if (model.Version == info.Version) revisions[model.Version] = model.Revision;
            SaveRevisions(revisions);
        }
        finally
        {
            _sync.Release();
        }
        await TouchAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings the local copies in line with the shared store: versions stored there that this node lacks (or holds in another
    /// revision) are copied here; local versions no longer stored there are deleted (except <paramref name="serving"/>, and
    /// a version this node saved and has not published yet).
    /// Returns the highest version number stored.
    /// </summary>
    public async Task<int> SyncAsync(IReadOnlyCollection<string> serving, CancellationToken ct)
    {
        await _sync.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var stored = await shared.ListModelsAsync(ct).ConfigureAwait(false);
            var revisions = Revisions();
            var names = new HashSet<string>(StringComparer.Ordinal);
            int highest = 0;
            foreach (var model in stored)
            {
                if (!ModelRepository.IsVersionName(model.Version)) continue;
                names.Add(model.Version);
                highest = Math.Max(highest, ModelRepository.NumberOf(model.Version));
                if (revisions.TryGetValue(model.Version, out long revision) && revision == model.Revision && repository.Exists(model.Version)) continue;
                bool copied = await repository.ReceiveAsync(model.Version, model.Info,
                    destination => shared.ReadModelAsync(model.Version, destination, ct)).ConfigureAwait(false);
                if (!copied) continue; // deleted meanwhile
                revisions[model.Version] = model.Revision;
                SaveRevisions(revisions);
                log.LogInformation("Copied model {Version} from the shared store ({Bytes:N0} bytes)", model.Version, model.Bytes);
            }
            foreach (var info in repository.List())
            {
                if (names.Contains(info.Version) || serving.Contains(info.Version)) continue;
                // A version never stored there is this node's own, saved and not yet published (a training here): kept,
                // unless older than what is stored (left by a trainer that lost its role).
                if (!revisions.ContainsKey(info.Version) && ModelRepository.NumberOf(info.Version) > highest) continue;
                repository.Forget(info.Version);
                revisions.Remove(info.Version);
            }
            SaveRevisions(revisions);
            return highest;
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>Deletes a version from the shared store and this node's copies.</summary>
    public async Task<bool> DeleteAsync(string version, CancellationToken ct)
    {
        bool deleted = await shared.DeleteModelAsync(version, ct).ConfigureAwait(false);
        deleted |= repository.Forget(version);
        if (deleted) await TouchAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>Deletes from the shared store the versions pruned here (beyond the kept number; never the active or pinned ones).</summary>
    public async Task PruneAsync(string active, IReadOnlyCollection<string> keepAlso, CancellationToken ct)
    {
        var keep = new HashSet<string>(keepAlso, StringComparer.Ordinal) { active };
        var stored = await shared.ListModelsAsync(ct).ConfigureAwait(false);
        var numbers = new List<int>(stored.Count);
        foreach (var model in stored) if (ModelRepository.IsVersionName(model.Version)) numbers.Add(ModelRepository.NumberOf(model.Version));
        numbers.Sort((a, b) => b.CompareTo(a));
        bool any = false;
        for (int i = Math.Max(1, options.KeepVersions); i < numbers.Count; i++)
        {
            string version = $"v{numbers[i]}";
            if (keep.Contains(version)) continue;
            any |= await shared.DeleteModelAsync(version, ct).ConfigureAwait(false);
        }
        if (any) await TouchAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The version every node should serve; null before the first.</summary>
    public async Task<ActiveVersion?> GetActiveAsync(CancellationToken ct) =>
        await ReadAsync<ActiveVersion>(ActiveId, ct).ConfigureAwait(false);

    /// <summary>Makes <paramref name="version"/> the one every node serves (each switches when the feed brings this document).</summary>
    public Task SetActiveAsync(string version, CancellationToken ct)
    {
        var active = new ActiveVersion(version, Node, time.GetUtcNow());
        _seen = active; // this node serves it already
        return WriteAsync(ActiveId, active, ct);
    }

    /// <summary>The naming of the active version this node last acted on (followed, or wrote itself).</summary>
    private volatile ActiveVersion? _seen;

    /// <summary>
    /// The active version's document when it changed since this node last acted on it; null otherwise. A node compares the
    /// document, not its own active version: between activating a version and naming it, the trainer's own document still
    /// names the previous one, which must not send it back there.
    /// </summary>
    public async Task<ActiveVersion?> ActiveChangedAsync(CancellationToken ct) =>
        await GetActiveAsync(ct).ConfigureAwait(false) is { } active && active != _seen ? active : null;

    /// <summary>This node serves what <paramref name="active"/> names.</summary>
    public void Followed(ActiveVersion active) => _seen = active;

    public Task<TrainingState?> GetTrainingAsync(CancellationToken ct) => ReadAsync<TrainingState>(TrainingId, ct);

    /// <summary>Asks the trainer for a training (any node; the trainer follows this document).</summary>
    public Task RequestTrainingAsync(string reason, CancellationToken ct) =>
        WriteAsync(TrainingId, new TrainingState(TrainingState.Requested, reason, Node, time.GetUtcNow()), ct);

    /// <summary>Says a training runs here: a trainer elected after this one dies finds it and trains in its place.</summary>
    public Task TrainingStartedAsync(string reason, CancellationToken ct) =>
        WriteAsync(TrainingId, new TrainingState(TrainingState.Running, reason, Node, time.GetUtcNow()), ct);

    /// <summary>Drops this node's "running" mark (a request that came meanwhile stays, for the next training).</summary>
    public async Task TrainingEndedAsync(CancellationToken ct)
    {
        if (await GetTrainingAsync(ct).ConfigureAwait(false) is { State: TrainingState.Running } running && running.Node == Node)
            await store.DeleteDocumentAsync(Kind, TrainingId, ct).ConfigureAwait(false);
    }

    private Task TouchAsync(CancellationToken ct) => WriteAsync(VersionsId, new ActiveVersion("", Node, time.GetUtcNow()), ct);

    private Task WriteAsync<T>(string id, T value, CancellationToken ct) =>
        store.PutDocumentAsync(Kind, id, JsonSerializer.Serialize(value, AttuneJson.Options), ct);

    private async Task<T?> ReadAsync<T>(string id, CancellationToken ct) where T : class
    {
        foreach (var doc in await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false))
            if (doc.Id == id) return JsonSerializer.Deserialize<T>(doc.Json, AttuneJson.Options);
        return null;
    }

    /// <summary>The shared store's revision of each local copy (kept on disk: a restart copies only what changed meanwhile).</summary>
    private Dictionary<string, long> Revisions()
    {
        if (_revisions is { } known) return known;
        try
        {
            _revisions = File.Exists(_revisionsPath)
                ? JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(_revisionsPath)) ?? []
                : [];
        }
        catch (JsonException)
        {
            _revisions = []; // every copy is fetched again
        }
        return _revisions;
    }

    private void SaveRevisions(Dictionary<string, long> revisions)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_revisionsPath)!);
        ModelRepository.WriteComplete(_revisionsPath, stream => JsonSerializer.Serialize(stream, revisions));
    }
}
