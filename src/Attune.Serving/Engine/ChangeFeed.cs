using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Follows the store's ordered change feed into live state: events (live profiles, trending), catalog changes, users
/// (consent, erasure), identity links, rules, and the documents of the kinds given (recipes, experiments…): reloaded whole. Every writer is seen, whoever it is: this process's HTTP handlers,
/// an admin job on the store, later another node. Changes are applied in sequence order, one batch at a time under one lock.
/// </summary>
/// <remarks>
/// Real time: a handler that wrote calls <see cref="CatchUpAsync"/> with the store's committed sequence before it answers,
/// and applies what is new itself when nobody else is (no hop to another thread), so the answer after an acknowledged write
/// reflects it. A background loop wakes on every commit (<see cref="IAttuneStore.WaitForChangesAsync"/>, which polls for
/// other writers) so changes no request waits for are applied within a moment too.
/// </remarks>
internal sealed class ChangeFeed(IAttuneStore store, ServingModels models, LiveUpdates live, RuleStore rules,
    IReadOnlyDictionary<string, Func<CancellationToken, Task>> documents, TimeProvider time, ILogger log) : IAsyncDisposable
{
    /// <summary>How long the background loop lets changes gather after a wake-up (well inside the one-second real-time goal).</summary>
    private static readonly TimeSpan BackgroundGrace = TimeSpan.FromMilliseconds(25);

    private readonly SemaphoreSlim _apply = new(1, 1);
    private readonly Lock _gate = new();
    /// <summary>The running pass (see <see cref="CatchUpSlowAsync"/>) and the committed seq it is sure to cover; guarded by <see cref="_gate"/>.</summary>
    private Task? _pass;
    private long _passCovers;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _applied;
    /// <summary>The sequence of the last change applied.</summary>
    public long Applied => Volatile.Read(ref _applied);

    /// <summary>Where following starts: the state read at start-up covers everything up to it.</summary>
    public void StartAfter(long seq) => Volatile.Write(ref _applied, seq);

    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>Returns once every change up to <paramref name="seq"/> is applied (applying them here when needed).</summary>
    public ValueTask CatchUpAsync(long seq, CancellationToken ct = default) =>
        Applied >= seq ? ValueTask.CompletedTask : new ValueTask(CatchUpSlowAsync(seq, ct));

    /// <summary>
    /// One pass at a time applies what is new, and every request that waits joins the running pass when it covers its write
    /// (the pass reads everything committed when it began): a burst of acknowledged writes costs one pass, not one each,
    /// and nobody queues behind a lock for a pass that already did its work.
    /// </summary>
    private async Task CatchUpSlowAsync(long seq, CancellationToken ct)
    {
        // At most: wait for a running pass that began before this write, then run (or join) one that covers it.
        for (int attempt = 0; attempt < 2 && Applied < seq; attempt++)
        {
            TaskCompletionSource? mine = null;
            Task pass;
            bool covers;
            lock (_gate)
            {
                if (Applied >= seq) return;
                if (_pass is null)
                {
                    mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _pass = mine.Task;
                    _passCovers = store.CommittedChangeSeq;
                }
                pass = _pass;
                covers = _passCovers >= seq;
            }
            if (mine is not null) await RunPassAsync(mine).ConfigureAwait(false);
            else await pass.WaitAsync(ct).ConfigureAwait(false);
            if (covers) return;
        }
    }

    /// <summary>Applies every committed change after <see cref="Applied"/> and completes <paramref name="done"/> for those who joined.</summary>
    private async Task RunPassAsync(TaskCompletionSource done)
    {
        try
        {
            // Not the caller's token: others wait on this pass.
            await _apply.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await ApplyNewAsync(_stop.Token).ConfigureAwait(false);
            }
            finally
            {
                _apply.Release();
            }
        }
        catch (Exception e)
        {
            lock (_gate) _pass = null;
            done.SetException(e);
            throw;
        }
        lock (_gate) _pass = null;
        done.SetResult();
    }

    /// <summary>Runs <paramref name="work"/> with no change being applied meanwhile (model activation and its replay).</summary>
    public async Task ExclusiveAsync(Func<Task> work, CancellationToken ct)
    {
        await _apply.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            _apply.Release();
        }
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await store.WaitForChangesAsync(Applied, ct).ConfigureAwait(false);
                // A moment's grace (real time): a request that wrote usually applies its own change meanwhile, and what nobody
                // waits for is applied in batches instead of one wake-up per commit.
                await Task.Delay(BackgroundGrace, ct).ConfigureAwait(false);
                await CatchUpSlowAsync(long.MaxValue, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.LogError(e, "Applying the store's changes failed; retrying");
                try { await Task.Delay(TimeSpan.FromSeconds(1), time, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Applies every committed change after <see cref="Applied"/>. Called under <see cref="_apply"/>.</summary>
    private async Task ApplyNewAsync(CancellationToken ct)
    {
        bool rulesChanged = false;
        HashSet<string>? documentKinds = null;
        var changes = new List<StoreChange>();
        await foreach (var change in store.ReadChangesAsync(Applied, ct).ConfigureAwait(false)) changes.Add(change);
        var items = new List<Model.Item>();
        foreach (var change in changes)
        {
            // Upserted items are gathered and applied together, before any other kind of change (order kept).
            if (change.Kind != ChangeKind.ItemUpserted && items.Count > 0)
            {
                models.ItemsChanged(items);
                items.Clear();
            }
            switch (change.Kind)
            {
                case ChangeKind.Events:
                    await ApplyEventsAsync(change, ct).ConfigureAwait(false);
                    break;
                case ChangeKind.ItemUpserted:
                    if (await store.GetItemAsync(change.Id!, ct).ConfigureAwait(false) is { } item) items.Add(item);
                    break;
                case ChangeKind.ItemDeleted:
                    models.ItemDeleted(change.Id!);
                    break;
                case ChangeKind.UserUpserted:
                    if (await store.GetUserAsync(change.Id!, ct).ConfigureAwait(false) is { } user) live.UsersChanged([user]);
                    break;
                case ChangeKind.UserDeleted:
                    live.UserDeleted(change.Id!);
                    models.Forget(change.Other is { } anonymous ? [change.Id!, .. anonymous.Split('\n')] : [change.Id!]);
                    break;
                case ChangeKind.VisitorDeleted:
                    live.VisitorDeleted(change.Id!);
                    models.Forget([change.Id!]);
                    break;
                case ChangeKind.IdentityLinked:
                    live.Link(change.Id!, change.Other!);
                    break;
                case ChangeKind.DocumentPut or ChangeKind.DocumentDeleted:
                    if (change.Other == RuleStore.Kind) rulesChanged = true;
                    else if (change.Other is { } kind && documents.ContainsKey(kind)) (documentKinds ??= []).Add(kind);
                    break;
            }
            if (change.Kind != ChangeKind.ItemUpserted) Volatile.Write(ref _applied, change.Seq);
        }
        if (items.Count > 0) models.ItemsChanged(items);
        if (changes.Count > 0) Volatile.Write(ref _applied, changes[^1].Seq);
        // Rules and recipes are reloaded whole, once per batch of changes.
        if (rulesChanged) await rules.ReloadAsync(ct).ConfigureAwait(false);
        if (documentKinds is not null)
        {
            foreach (string kind in documentKinds) await documents[kind](ct).ConfigureAwait(false);
        }
    }

    private async Task ApplyEventsAsync(StoreChange change, CancellationToken ct)
    {
        // Events a replay already put into live state (a model activation) are not applied twice.
        long from = Math.Max(change.FromEventSeq, live.EventsAppliedThrough);
        if (change.ToEventSeq <= from) return;
        long received = time.GetUtcNow().ToUnixTimeMilliseconds();
        await foreach (var e in store.ReadEventsAsync(from, change.ToEventSeq, ct).ConfigureAwait(false)) live.ObserveStored(e, received);
        live.EventsAppliedThrough = change.ToEventSeq;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null)
        {
            try { await _loop.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
