using System.Globalization;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Moves running rollouts along (every 5 s, from <see cref="BackgroundWork"/>): each current step is judged from its tracked
/// sums (<see cref="RolloutJudge"/>); a breach rolls back with the reason, a passed step advances, the last one completes
/// (<paramref name="complete"/> makes the new side the baseline's and says how). A completion that fails rolls back too.
/// </summary>
internal sealed class RolloutRunner(RolloutBook book, ExperimentTracker tracker, Func<Rollout, CancellationToken, Task<string>> complete,
    TimeProvider time, ILogger log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A rollout's current step as judged now, without acting on it.</summary>
    public RolloutDecision Judge(Rollout rollout) =>
        RolloutJudge.Decide(rollout, tracker.Sums(rollout.TrackedId(rollout.Step + 1)) ?? new ExperimentSums([], []), time.GetUtcNow());

    /// <summary>Judges every running rollout once and acts on the decisions; returns them (a hold included).</summary>
    public async Task<IReadOnlyList<(Rollout Rollout, RolloutDecision Decision)>> CheckAsync(CancellationToken ct = default)
    {
        var decisions = new List<(Rollout, RolloutDecision)>();
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var rollout in book.Running)
            {
                var decision = Judge(rollout);
                decisions.Add((rollout, decision));
                await ActAsync(rollout, decision, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
        return decisions;
    }

    private async Task ActAsync(Rollout rollout, RolloutDecision decision, CancellationToken ct)
    {
        int number = rollout.Step + 1;
        string percent = rollout.Steps[rollout.Step].Percent.ToString("G4", CultureInfo.InvariantCulture);
        switch (decision.Action)
        {
            case RolloutAction.RollBack:
                log.LogWarning("Rollout {Id} rolled back at step {Step} ({Percent} %): {Reason}", rollout.Id, number, percent, decision.Reason);
                await book.RollBackAsync(rollout.Id, rollout.Step, $"step {number} ({percent} %): {decision.Reason} ({decision.Reading})", ct).ConfigureAwait(false);
                break;
            case RolloutAction.Advance:
                log.LogInformation("Rollout {Id}: step {Step} ({Percent} %) passed: {Reading}", rollout.Id, number, percent, decision.Reading);
                await book.AdvanceAsync(rollout.Id, rollout.Step, "passed: " + decision.Reading, ct).ConfigureAwait(false);
                break;
            case RolloutAction.Complete:
                string how;
                try
                {
                    how = await complete(rollout, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Rollout {Id} passed its last step but could not be completed; rolling back", rollout.Id);
                    await book.RollBackAsync(rollout.Id, rollout.Step, $"passed its last step but could not be completed: {e.Message}", ct).ConfigureAwait(false);
                    return;
                }
                log.LogInformation("Rollout {Id} completed: {How}", rollout.Id, how);
                await book.CompleteAsync(rollout.Id, rollout.Step, "passed: " + decision.Reading, how, ct).ConfigureAwait(false);
                break;
        }
    }
}
