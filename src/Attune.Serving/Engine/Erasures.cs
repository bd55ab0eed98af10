using System.Text.Json;
using Attune.Model;
using Attune.Serving.Models;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Erasure of a person, end to end. The store erases them at once (events, profile, links, recommendation log, exposures);
/// its change reaches live state and every loaded model through the feed (<see cref="ServingModels.Forget"/>). Then this job
/// rewrites every stored model version without them (so no rollback brings them back) and completes the audit record
/// (kind <see cref="Kind"/>: what was removed, when, by which key; no personal data) once every
/// <see cref="IErasureParticipant"/> (the experiment checkpoint, …) dropped them too. The ids wait in a document of kind
/// <see cref="PendingKind"/> until then, so a restart finishes the rewrite; that document is deleted when it completes.
/// On a shared store the elected trainer does the rewriting (<paramref name="leadership"/>: any node may take the request;
/// the trainer follows the pending documents) and publishes each rewritten version, which every node then copies again.
/// </summary>
internal sealed class Erasures(IAttuneStore store, ServingModels models, ModelTraining training, IReadOnlyList<IErasureParticipant> participants,
    SharedModels? shared, Leadership leadership, TimeProvider time, ILogger log) : IAsyncDisposable
{
    public const string Kind = "erasure";
    public const string PendingKind = "erasure-pending";

    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private List<string>? _orphans;

    private sealed record Pending(IReadOnlyList<string> Ids);

    /// <summary>Erases a person; null when the store knows no such person.</summary>
    public async Task<ErasureRecord?> EraseAsync(string id, bool anonymous, string? by, CancellationToken ct)
    {
        var erased = await store.ErasePersonAsync(id, anonymous, ct).ConfigureAwait(false);
        if (erased is null) return null;
        var record = new ErasureRecord(Guid.NewGuid().ToString("N"), erased.UserId is null ? "anonymous visitor" : "user", time.GetUtcNow(), by,
            new ErasureCounts(erased.Events, erased.AnonymousIds.Count, erased.Recommendations, erased.Exposures, 0), ErasureRecord.Pending, null);
        List<string> ids = erased.UserId is { } user ? [user, .. erased.AnonymousIds] : [.. erased.AnonymousIds];
        await store.PutDocumentAsync(PendingKind, record.Id, JsonSerializer.Serialize(new Pending(ids), AttuneJson.Options), ct).ConfigureAwait(false);
        await PutAsync(record, ct).ConfigureAwait(false);
        _signal.Release();
        return record;
    }

    public async Task<ErasureRecord?> GetAsync(string erasureId, CancellationToken ct)
    {
        foreach (var doc in await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false))
            if (doc.Id == erasureId) return JsonSerializer.Deserialize<ErasureRecord>(doc.Json, AttuneJson.Options);
        return null;
    }

    /// <summary>At start: erasures a crash left half done are forgotten by the loaded models again and finished.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var pending = await PendingAsync(ct).ConfigureAwait(false);
        foreach (var (_, ids) in pending) models.Forget(ids);
        // A crash between dropping the pending ids and completing the record: only the files' clean-up is left.
        var orphans = new List<string>();
        foreach (var doc in await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false))
            if (JsonSerializer.Deserialize<ErasureRecord>(doc.Json, AttuneJson.Options) is { Status: ErasureRecord.Pending } r
                && !pending.Exists(p => p.Id == doc.Id))
                orphans.Add(r.Id);
        if (orphans.Count > 0) _orphans = orphans;
        _loop = Task.Run(RunAsync, CancellationToken.None);
        if (pending.Count > 0) _signal.Release();
    }

    /// <summary>Wakes the rewriting (another node took an erasure: the pending document came through the feed).</summary>
    public Task PendingChangedAsync(CancellationToken _)
    {
        _signal.Release();
        return Task.CompletedTask;
    }

    /// <summary>Completes once no erasure is pending (tests; a shutdown that wants them done).</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        while ((await store.ListDocumentsAsync(PendingKind, ct).ConfigureAwait(false)).Count > 0) await Task.Delay(100, ct).ConfigureAwait(false);
    }

    private async Task<List<(string Id, IReadOnlyList<string> Ids)>> PendingAsync(CancellationToken ct)
    {
        var list = new List<(string, IReadOnlyList<string>)>();
        foreach (var doc in await store.ListDocumentsAsync(PendingKind, ct).ConfigureAwait(false))
            if (JsonSerializer.Deserialize<Pending>(doc.Json, AttuneJson.Options) is { } p) list.Add((doc.Id, p.Ids));
        return list;
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        if (_orphans is { } orphans)
        {
            try { await CompleteAsync(orphans, 0, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
                if (!leadership.IsLeader) continue;
                // A training that read the store before the erasure saves its version unfiltered: rewrite after it.
                while (!training.IsIdle) await Task.Delay(200, ct).ConfigureAwait(false);
                var pending = await PendingAsync(ct).ConfigureAwait(false);
                if (pending.Count == 0) continue;
                var ids = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (_, list) in pending) ids.UnionWith(list);
                int rewritten = await RewriteStoredVersionsAsync(ids, ct).ConfigureAwait(false);
                models.Erased(ids);
                foreach (var participant in participants) await participant.ForgetAsync(ids, ct).ConfigureAwait(false);
                // The feed's deletion records lose the ids, then the pending ids themselves go, then the store's files are
                // made clean (nothing deleted left readable); only then is a record complete.
                await store.FinishErasuresAsync(ids, ct).ConfigureAwait(false);
                foreach (var (erasureId, _) in pending) await store.DeleteDocumentAsync(PendingKind, erasureId, ct).ConfigureAwait(false);
                var done = new List<string>(pending.Count);
                foreach (var (erasureId, _) in pending) done.Add(erasureId);
                await CompleteAsync(done, rewritten, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                log.LogError(e, "Erasure of stored model versions failed; retrying");
                try { await Task.Delay(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false); } catch (OperationCanceledException) { }
                _signal.Release();
            }
        }
    }

    /// <summary>
    /// Marks the records complete once the store's files hold nothing deleted (retried every second while a long reader holds
    /// the write-ahead log). Records a crash left pending after their ids were dropped are completed at start the same way.
    /// </summary>
    private async Task CompleteAsync(IReadOnlyCollection<string> erasureIds, int rewritten, CancellationToken ct)
    {
        while (!await store.FinishErasuresAsync([], ct).ConfigureAwait(false)) await Task.Delay(1000, ct).ConfigureAwait(false);
        var ids = new HashSet<string>(erasureIds, StringComparer.Ordinal);
        foreach (var doc in await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false))
        {
            if (!ids.Contains(doc.Id) || JsonSerializer.Deserialize<ErasureRecord>(doc.Json, AttuneJson.Options) is not { } record) continue;
            await PutAsync(record with
            {
                Status = ErasureRecord.Complete, CompletedAt = time.GetUtcNow(),
                Removed = record.Removed with { ModelVersionsRewritten = rewritten },
            }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Every stored version holding any of <paramref name="ids"/> is written again without them (temporary file, rename).</summary>
    private async Task<int> RewriteStoredVersionsAsync(HashSet<string> ids, CancellationToken ct)
    {
        int rewritten = 0;
        if (shared is not null) await shared.SyncAsync(models.Loaded, ct).ConfigureAwait(false);
        foreach (var info in models.Repository.List())
        {
            ModelBundle bundle;
            try
            {
                bundle = models.Repository.Load(info.Version);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                log.LogWarning(e, "Model {Version} could not be read for an erasure: it is skipped", info.Version);
                continue;
            }
            if (bundle.Without(ids) is not { } without) continue;
            models.Repository.Save(without);
            if (shared is not null) await shared.PublishAsync(without.Info, ct).ConfigureAwait(false);
            rewritten++;
        }
        return rewritten;
    }

    private Task PutAsync(ErasureRecord record, CancellationToken ct) =>
        store.PutDocumentAsync(Kind, record.Id, JsonSerializer.Serialize(record, AttuneJson.Options), ct);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>The audit record of one erasure: what was removed, when and by which key; never who.</summary>
/// <param name="Subject"><c>user</c> or <c>anonymous visitor</c>.</param>
/// <param name="By">The API key's name (or a console user's); null on an open server.</param>
/// <param name="Status"><see cref="Pending"/> until every stored model version is rewritten, then <see cref="Complete"/>.</param>
public sealed record ErasureRecord(string Id, string Subject, DateTimeOffset RequestedAt, string? By, ErasureCounts Removed, string Status,
    DateTimeOffset? CompletedAt)
{
    public const string Pending = "pending";
    public const string Complete = "complete";
}

/// <param name="IdentityLinks">Anonymous ids erased with the person (their own, for a visitor).</param>
public sealed record ErasureCounts(long Events, int IdentityLinks, long Recommendations, long Exposures, int ModelVersionsRewritten);
