namespace Attune.Storage.Postgres;

/// <summary>The decision log (TO WRITE: a port of SqliteStore.Decisions.cs onto the tables of PostgresSchema step 1).</summary>
public sealed partial class PostgresStore
{
    public Task<IReadOnlyList<bool>> LogDecisionsAsync(IReadOnlyList<DecisionRecord> decisions, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<LoggedDecision?> GetDecisionAsync(string eventId, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<bool> ActivateDecisionAsync(string eventId, long nowMs, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<RewardOutcome>> RecordRewardsAsync(IReadOnlyList<DecisionReward> rewards, long nowMs, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<int> SettleDecisionsAsync(long nowMs, int maxDecisions, CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<RewardedDecision> ReadRewardsAsync(long afterSeq, long toSeq, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<long> GetLastRewardSeqAsync(CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<LoggedDecision> ReadDecisionsAsync(string point, long fromMs, long toMs, CancellationToken ct = default) => throw new NotImplementedException();
}
