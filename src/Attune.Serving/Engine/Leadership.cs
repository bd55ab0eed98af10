using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Which node does the work only one may do (training on a schedule and on request, judging rollouts, experiments'
/// snapshots, retention, rewriting stored versions after an erasure): the holder of the store's <c>trainer</c> lease. On a
/// store that is not shared (the embedded one) this process is always the one. A node that is not tries again every
/// <see cref="ServingOptions.TrainerElectionSeconds"/>: when the trainer dies its lease is freed at once (its connection
/// drops), so another node takes over within that interval.
/// </summary>
internal sealed class Leadership(ISharedStore? shared, ServingOptions options, ILogger log) : IAsyncDisposable
{
    public const string Role = "trainer";

    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IStoreLease? _lease;
    private Task? _loop;

    /// <summary>Called (on the election loop) each time this node becomes the trainer.</summary>
    public Func<CancellationToken, Task>? Elected { get; set; }

    /// <summary>Whether this node is the trainer now.</summary>
    public bool IsLeader => shared is null || _lease is { } lease && !lease.Lost.IsCancellationRequested;

    /// <summary>Cancelled when this node stops being the trainer (never, on a store that is not shared).</summary>
    public CancellationToken Lost => _lease?.Lost ?? CancellationToken.None;

    /// <summary>Whether this node still holds the role, asked of the store now: before publishing what only the trainer may.</summary>
    public async Task<bool> ConfirmAsync(CancellationToken ct)
    {
        if (shared is null) return true;
        return _lease is { } lease && await lease.IsHeldAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Tries once to become the trainer (when not already); true when this node is it now.</summary>
    public async Task<bool> TryAcquireAsync(CancellationToken ct)
    {
        if (shared is null) return true;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (IsLeader) return true;
            if (_lease is { } old)
            {
                _lease = null;
                log.LogWarning("This node ({Node}) is no longer the trainer: the store could not be reached", options.NodeName);
                try { await old.DisposeAsync().ConfigureAwait(false); } catch (Exception e) when (e is not OperationCanceledException) { }
            }
            _lease = await shared.TryLeaseAsync(Role, ct).ConfigureAwait(false);
            if (_lease is null) return false;
            log.LogInformation("This node ({Node}) is the trainer", options.NodeName);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts trying to become the trainer in the background (calls <see cref="Elected"/> each time it does).</summary>
    public void Start()
    {
        if (shared is not null) _loop ??= Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.TrainerElectionSeconds)));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (IsLeader) continue;
                try
                {
                    if (await TryAcquireAsync(ct).ConfigureAwait(false) && Elected is { } elected) await elected(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("Trainer election failed ({Error}); trying again in {Seconds} s", e.Message, options.TrainerElectionSeconds);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        if (_lease is { } lease)
        {
            _lease = null;
            try { await lease.DisposeAsync().ConfigureAwait(false); } catch (Exception e) when (e is not OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
