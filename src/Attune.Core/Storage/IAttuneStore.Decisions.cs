namespace Attune.Storage;

/// <summary>The decision log: what a decision point chose, with which probabilities, and the reward it earned.</summary>
public partial interface IAttuneStore
{
    /// <summary>
    /// Logs decisions; durable when it returns. The action sets they name (<see cref="DecisionRecord.ActionSetKey"/>) are stored
    /// once each, whatever the number of decisions using them. Returns, per decision, whether it was logged: false when its
    /// event id was already taken (the earlier decision stays).
    /// </summary>
    Task<IReadOnlyList<bool>> LogDecisionsAsync(IReadOnlyList<DecisionRecord> decisions, CancellationToken ct = default);

    /// <summary>One logged decision with its rewards, or null.</summary>
    Task<LoggedDecision?> GetDecisionAsync(string eventId, CancellationToken ct = default);

    /// <summary>
    /// Marks a decision logged with deferred activation as shown: its reward wait starts now (<paramref name="nowMs"/>).
    /// False when there is no such decision; activating twice changes nothing.
    /// </summary>
    Task<bool> ActivateDecisionAsync(string eventId, long nowMs, CancellationToken ct = default);

    /// <summary>
    /// Records rewards, each checked on its own: the decision exists, has the slot, is activated, is inside its wait time and
    /// has no reward for that slot yet. Returns one outcome per reward, in order; only <see cref="RewardOutcome.Recorded"/>
    /// ones are stored (durable when it returns) and appear in the change feed as <see cref="ChangeKind.DecisionRewards"/>.
    /// </summary>
    Task<IReadOnlyList<RewardOutcome>> RecordRewardsAsync(IReadOnlyList<DecisionReward> rewards, long nowMs, CancellationToken ct = default);

    /// <summary>
    /// Gives the default reward to every slot of every activated decision whose wait ended at or before <paramref name="nowMs"/>
    /// without one (at most <paramref name="maxDecisions"/> decisions per call). Returns the number of decisions settled.
    /// </summary>
    Task<int> SettleDecisionsAsync(long nowMs, int maxDecisions, CancellationToken ct = default);

    /// <summary>Rewards with <paramref name="afterSeq"/> &lt; seq ≤ <paramref name="toSeq"/>, each with its decision, in seq order.</summary>
    IAsyncEnumerable<RewardedDecision> ReadRewardsAsync(long afterSeq, long toSeq, CancellationToken ct = default);

    /// <summary>The newest reward seq (0 when there is none): where a learner rebuilt from nothing replays to.</summary>
    Task<long> GetLastRewardSeqAsync(CancellationToken ct = default);

    /// <summary>One point's decisions with <paramref name="fromMs"/> ≤ time &lt; <paramref name="toMs"/>, in time order, with their rewards.</summary>
    IAsyncEnumerable<LoggedDecision> ReadDecisionsAsync(string point, long fromMs, long toMs, CancellationToken ct = default);

    /// <summary>One person's decisions at a point, in time order, with their rewards (per-person caps). The default reads the whole point.</summary>
    async IAsyncEnumerable<LoggedDecision> ReadPersonDecisionsAsync(string point, string person, bool anonymous,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var d in ReadDecisionsAsync(point, 0, long.MaxValue, ct).ConfigureAwait(false))
            if (d.Decision.PersonId == person && d.Decision.Anonymous == anonymous) yield return d;
    }
}

/// <summary>One decision as logged (see <see cref="IAttuneStore.LogDecisionsAsync"/>).</summary>
/// <param name="EventId">The id rewards name.</param>
/// <param name="Point">The decision point.</param>
/// <param name="PersonId">The user id, or the anonymous id when <paramref name="Anonymous"/>; null when nobody was named.</param>
/// <param name="TimestampMs">When it was decided, Unix milliseconds.</param>
/// <param name="Context">The context features as JSON, exactly as ranked (profile features joined).</param>
/// <param name="ActionSetKey">The key of the action set (<paramref name="ActionSet"/>'s hash); the store keeps each set once.</param>
/// <param name="ActionSet">The actions as JSON (<c>[{"id", "features"}]</c>), in the order the slots' indices refer to.</param>
/// <param name="Slots">The slots as JSON: per slot its id (<c>""</c> for a single decision), features, the chosen action, and the
/// ranking with each action's probability.</param>
/// <param name="SlotIds">The slot ids, in order (<c>[""]</c> for a single decision).</param>
/// <param name="ActivatedMs">When the decision was shown (its wait starts), null while activation is deferred.</param>
/// <param name="WaitMs">How long after activation a reward is awaited before <paramref name="DefaultReward"/> is given.</param>
/// <param name="Policy">The policy that decided (learner version and exploration), for the log's readers.</param>
public sealed record DecisionRecord(
    string EventId, string Point, string? PersonId, bool Anonymous, long TimestampMs, string Context, string ActionSetKey, string ActionSet,
    string Slots, IReadOnlyList<string> SlotIds, long? ActivatedMs, long WaitMs, double DefaultReward, string? Policy);

/// <summary>A reward for one slot of a decision (<see cref="Slot"/> is <c>""</c> for a single decision).</summary>
/// <param name="Detail">What happened, as JSON, kept with the reward (an offer's outcome: purchased, revenue, margin, redeemed).</param>
public readonly record struct DecisionReward(string EventId, string Slot, double Value, string? Detail = null);

/// <summary>What became of one reward (see <see cref="IAttuneStore.RecordRewardsAsync"/>).</summary>
public enum RewardOutcome
{
    Recorded,
    UnknownEvent,
    UnknownSlot,
    NotActivated,
    AlreadyRewarded,
    /// <summary>The wait time had passed: the default reward stands.</summary>
    TooLate,
}

/// <summary>One reward with the decision it rewards (what a learner learns from).</summary>
/// <param name="Seq">The reward's position in the reward log.</param>
/// <param name="IsDefault">Given by <see cref="IAttuneStore.SettleDecisionsAsync"/> because none arrived in time.</param>
public sealed record RewardedDecision(long Seq, DecisionRecord Decision, string Slot, double Value, bool IsDefault, long AtMs, string? Detail = null);

/// <summary>A logged decision with the rewards recorded so far, by slot.</summary>
public sealed record LoggedDecision(DecisionRecord Decision, IReadOnlyDictionary<string, (double Value, bool IsDefault)> Rewards)
{
    /// <summary>The rewards' details (<see cref="DecisionReward.Detail"/>) by slot, for those that have one.</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();
}
