using Attune.Model;

namespace Attune.Storage;

/// <summary>
/// Everything the engine asks of a store. The embedded SQLite store implements it; a PostgreSQL store will
/// implement the same contract (and pass the same contract tests) without touching the rest of Attune.
/// </summary>
/// <remarks>
/// A write method returns only once its data is durable (committed and synced), so an HTTP 2xx can promise it.
/// </remarks>
public interface IAttuneStore : IAsyncDisposable
{
    /// <summary>Whether the store is open and can serve reads and writes.</summary>
    bool IsReady { get; }

    Task UpsertItemsAsync(IReadOnlyList<Item> items, CancellationToken ct = default);
    Task<Item?> GetItemAsync(string id, CancellationToken ct = default);
    Task<Page<Item>> ListItemsAsync(string? cursor, int limit, CancellationToken ct = default);
    Task<bool> DeleteItemAsync(string id, CancellationToken ct = default);

    Task UpsertUsersAsync(IReadOnlyList<User> users, CancellationToken ct = default);
    Task<User?> GetUserAsync(string id, CancellationToken ct = default);
    Task<Page<User>> ListUsersAsync(string? cursor, int limit, CancellationToken ct = default);
    Task<bool> DeleteUserAsync(string id, CancellationToken ct = default);

    /// <summary>Appends events. An event with both a user id and an anonymous id also links the two (see <see cref="IdentifyAsync"/>).</summary>
    Task AppendEventsAsync(IReadOnlyList<Event> events, CancellationToken ct = default);

    /// <summary>
    /// Makes the anonymous visitor's history part of the user's profile, and routes that anonymous id's future events to the user.
    /// Idempotent. Returns how many events moved.
    /// </summary>
    Task<long> IdentifyAsync(string anonymousId, string userId, CancellationToken ct = default);

    /// <summary>The unified profile of a known user, or of an anonymous visitor when <paramref name="anonymous"/> is set.</summary>
    Task<Profile?> GetProfileAsync(string id, bool anonymous = false, CancellationToken ct = default);

    /// <summary>Appends many interactions fast (file imports, demo loading). Ids are interned as needed.</summary>
    Task<long> BulkAppendAsync(IEnumerable<InteractionBatch> batches, IProgress<long>? progress = null, CancellationToken ct = default);

    Task<StoreStats> GetStatsAsync(CancellationToken ct = default);

    /// <summary>Every stored event in arrival order, owner resolved to its unified profile: the input of model training.</summary>
    IAsyncEnumerable<StoredEvent> ReadEventsAsync(CancellationToken ct = default);

    /// <summary>
    /// The events with <c>afterSeq &lt; Seq ≤ upToSeq</c> in arrival order, owner resolved to its unified profile: training reads up
    /// to a watermark, and serving replays what came after the model it loaded.
    /// </summary>
    IAsyncEnumerable<StoredEvent> ReadEventsAsync(long afterSeq, long upToSeq, CancellationToken ct = default);

    /// <summary>The arrival number of the newest stored event (0 when there is none).</summary>
    Task<long> GetLastEventSeqAsync(CancellationToken ct = default);

    /// <summary>Every anonymous id that was identified, with the user it belongs to.</summary>
    IAsyncEnumerable<(string AnonymousId, string UserId)> ReadIdentityLinksAsync(CancellationToken ct = default);

    /// <summary>The ids of the users whose consent turns personalization off.</summary>
    IAsyncEnumerable<string> ReadOptedOutUserIdsAsync(CancellationToken ct = default);

    /// <summary>Small named JSON documents by kind (business rules, settings), ordered by id.</summary>
    Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken ct = default);

    /// <summary>Creates or replaces a document; durable when it returns.</summary>
    Task PutDocumentAsync(string kind, string id, string json, CancellationToken ct = default);

    /// <summary>Deletes a document; false when there was none.</summary>
    Task<bool> DeleteDocumentAsync(string kind, string id, CancellationToken ct = default);

    /// <summary>Records what recommendations were shown, so later events carrying their id can be attributed.</summary>
    Task LogRecommendationsAsync(IReadOnlyList<RecommendationRecord> records, CancellationToken ct = default);

    /// <summary>One logged recommendation, or null.</summary>
    Task<RecommendationRecord?> GetRecommendationAsync(string id, CancellationToken ct = default);

    /// <summary>The events that carry <paramref name="recommendationId"/>, in arrival order.</summary>
    Task<IReadOnlyList<StoredEvent>> GetAttributedEventsAsync(string recommendationId, CancellationToken ct = default);
}

/// <summary>A named JSON document of some kind (see <see cref="IAttuneStore.ListDocumentsAsync"/>).</summary>
public sealed record StoredDocument(string Kind, string Id, string Json, DateTimeOffset UpdatedAt);

/// <summary>What one recommendation answer showed: to whom, where, by which model, which items in order.</summary>
/// <param name="PersonId">The user id, or the anonymous id when <paramref name="Anonymous"/>.</param>
public sealed record RecommendationRecord(
    string Id, string PersonId, bool Anonymous, string Scenario, string? ModelVersion, DateTimeOffset Timestamp, IReadOnlyList<string> ItemIds);

/// <summary>One stored event as training reads it.</summary>
/// <param name="ProfileId">The owner: a user id, or an anonymous id that was never identified.</param>
/// <param name="TypeCode">Built-in <see cref="Model.EventType"/> value, or a custom type code (≥ 1000).</param>
/// <param name="Seq">Arrival number in the store (increasing).</param>
/// <param name="Extra">The event's extra fields as JSON (session, channel, context, recommendationId…; see <c>EventExtra</c>), or null.</param>
public readonly record struct StoredEvent(string ProfileId, bool Anonymous, string? ItemId, int TypeCode, long TimestampMs, double? Value,
    long Seq = 0, string? Extra = null);

/// <summary>A page of a listing; pass <see cref="NextCursor"/> back to get the next one.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor);

public sealed record StoreStats(
    long Items,
    long Users,
    long AnonymousVisitors,
    long Events,
    IReadOnlyDictionary<string, long> EventsByType,
    DateTimeOffset? FirstEvent,
    DateTimeOffset? LastEvent,
    long DatabaseBytes);

/// <summary>
/// A column-wise batch of simple interactions for bulk loading: parallel arrays, one entry per interaction.
/// </summary>
public sealed class InteractionBatch(int capacity)
{
    public readonly string[] UserIds = new string[capacity];
    /// <summary>Whether <see cref="UserIds"/>[i] is an anonymous id (a session, a visitor) rather than a known user.</summary>
    public readonly bool[] Anonymous = new bool[capacity];
    public readonly string?[] ItemIds = new string?[capacity];
    public readonly int[] TypeCodes = new int[capacity];
    public readonly long[] TimestampsMs = new long[capacity];
    public readonly double[] Values = new double[capacity];
    public readonly bool[] HasValue = new bool[capacity];
    /// <summary>Optional JSON of the remaining event fields (session, channel, context…); null for plain interactions.</summary>
    public readonly string?[] Extras = new string?[capacity];
    public int Count;

    public int Capacity => UserIds.Length;
    public bool IsFull => Count == UserIds.Length;

    public void Add(string userId, bool anonymous, string? itemId, int typeCode, long timestampMs, double? value, string? extra = null)
    {
        int i = Count++;
        UserIds[i] = userId;
        Anonymous[i] = anonymous;
        ItemIds[i] = itemId;
        TypeCodes[i] = typeCode;
        TimestampsMs[i] = timestampMs;
        Values[i] = value ?? 0;
        HasValue[i] = value.HasValue;
        Extras[i] = extra;
    }

    public void Clear()
    {
        Array.Clear(UserIds, 0, Count);
        Array.Clear(ItemIds, 0, Count);
        Array.Clear(Extras, 0, Count);
        Count = 0;
    }
}
