using Attune.Model;

namespace Attune.Storage.Postgres;

/// <summary>Reads (TO WRITE).</summary>
public sealed partial class PostgresStore
{
    public Task<Item?> GetItemAsync(string id, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<Page<Item>> ListItemsAsync(string? cursor, int limit, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<User?> GetUserAsync(string id, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<Page<User>> ListUsersAsync(string? cursor, int limit, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<Profile?> GetProfileAsync(string id, bool anonymous = false, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<StoreStats> GetStatsAsync(CancellationToken ct = default) => throw new NotImplementedException();
    public Task<ActivitySummary> GetActivityAsync(long fromMs, long toMs, CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<StoredEvent> ReadEventsAsync(CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<StoredEvent> ReadEventsAsync(long afterSeq, long upToSeq, CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<StoredEvent> ReadEventsOfTypeAsync(int typeCode, long fromMs, long upToSeq, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<long> GetLastEventSeqAsync(CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<(string AnonymousId, string UserId)> ReadIdentityLinksAsync(CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<(string UserId, Consent Consent)> ReadStatedConsentsAsync(CancellationToken ct = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<RecommendationRecord?> GetRecommendationAsync(string id, CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<RecommendationRecord> ReadRecommendationsAsync(long fromMs, long toMs, CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<StoredEvent> ReadProfileEventsAsync(string profileId, bool anonymous, long fromMs, long toMs, IReadOnlyList<int>? typeCodes = null,
        CancellationToken ct = default) => throw new NotImplementedException();
    public IAsyncEnumerable<Exposure> ReadExposuresAsync(string experimentId, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<StoredEvent>> GetAttributedEventsAsync(string recommendationId, CancellationToken ct = default) => throw new NotImplementedException();
}
