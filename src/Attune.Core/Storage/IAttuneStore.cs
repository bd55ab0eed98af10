using Attune.Model;

namespace Attune.Storage;

/// <summary>
/// Everything the engine asks of a store. The embedded SQLite store implements it; a PostgreSQL store will
/// implement the same contract (and pass the same contract tests) without touching the rest of Attune.
/// </summary>
/// <remarks>
/// A write method returns only once its data is durable (committed and synced), so an HTTP 2xx can promise it.
/// </remarks>
public partial interface IAttuneStore : IAsyncDisposable
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

    /// <summary>
    /// Erases a person: for a user, the record, every event of the unified profile, the links of its anonymous ids, its
    /// recommendation-log rows and experiment exposures (the user's and its anonymous ids'); for an anonymous id not linked to a
    /// user, the visitor's events, profile, log rows and exposures (an anonymous id linked to a user erases that user). Null
    /// when the store knows no such person. Commits a <see cref="ChangeKind.UserDeleted"/> (or
    /// <see cref="ChangeKind.VisitorDeleted"/>) change.
    /// </summary>
    Task<ErasedPerson?> ErasePersonAsync(string id, bool anonymous, CancellationToken ct = default);

    /// <summary>
    /// The last step of erasures, once everything that follows the change feed has handled their deletion changes: the ids
    /// leave the feed's records of those deletions too, and nothing deleted stays readable in the store's files (SQLite: deleted
    /// content is zeroed as it is deleted, and the write-ahead log is checkpointed and truncated). False when the files could
    /// not be made clean yet (a long reader held the log): call again later.
    /// </summary>
    Task<bool> FinishErasuresAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default);

    /// <summary>
    /// The recommendation-log rows and experiment exposures that name any of <paramref name="personIds"/> (user and anonymous
    /// ids), oldest first: for a person's export. Scans the log (it has no index by person): call it off the hot path.
    /// </summary>
    Task<PersonRecords> GetPersonRecordsAsync(IReadOnlyList<string> personIds, CancellationToken ct = default);

    /// <summary>
    /// Retention: deletes up to <paramref name="maxRows"/> events of type <paramref name="type"/> older than
    /// <paramref name="beforeMs"/>, scanning in arrival order from <paramref name="afterSeq"/>; one short write. Returns how
    /// many it deleted and the seq to continue after (0 when the scan reached the end).
    /// </summary>
    Task<(int Deleted, long NextSeq)> PurgeEventsAsync(string type, long beforeMs, long afterSeq, int maxRows, CancellationToken ct = default);

    /// <summary>Appends events. An event with both a user id and an anonymous id also links the two (see <see cref="IdentifyAsync"/>).</summary>
    Task AppendEventsAsync(IReadOnlyList<Event> events, CancellationToken ct = default);

    /// <summary>
    /// Appends events under a client's idempotency key, stored in the same transaction as the events: a batch whose key was
    /// stored within <see cref="Idempotency.Window"/> is not appended again (<see cref="IdempotentAppend.Replayed"/> when
    /// <paramref name="bodyHash"/> matches the first one's, <see cref="IdempotentAppend.Conflict"/> when it does not).
    /// Older keys are forgotten as new ones are stored.
    /// </summary>
    Task<IdempotentAppend> AppendEventsAsync(IReadOnlyList<Event> events, string idempotencyKey, byte[] bodyHash, CancellationToken ct = default);

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

    /// <summary>
    /// What happened with <paramref name="fromMs"/> ≤ time &lt; <paramref name="toMs"/>: events and distinct people (unified
    /// profiles), answers logged and the items they showed, and the events that carry a recommendation id, by type (the
    /// console's "today" figures). A scan of the window: call it off the request path.
    /// </summary>
    Task<ActivitySummary> GetActivityAsync(long fromMs, long toMs, CancellationToken ct = default);

    /// <summary>Every stored event in arrival order, owner resolved to its unified profile: the input of model training.</summary>
    IAsyncEnumerable<StoredEvent> ReadEventsAsync(CancellationToken ct = default);

    /// <summary>
    /// The events with <c>afterSeq &lt; Seq ≤ upToSeq</c> in arrival order, owner resolved to its unified profile: training reads up
    /// to a watermark, and serving replays what came after the model it loaded.
    /// </summary>
    IAsyncEnumerable<StoredEvent> ReadEventsAsync(long afterSeq, long upToSeq, CancellationToken ct = default);

    /// <summary>
    /// The events of one type (<see cref="EventTypes"/> code) at or after <paramref name="fromMs"/> with <c>Seq ≤ upToSeq</c>, in
    /// arrival order, owner resolved: search suggestions read past queries at start without reading every event into memory.
    /// </summary>
    IAsyncEnumerable<StoredEvent> ReadEventsOfTypeAsync(int typeCode, long fromMs, long upToSeq, CancellationToken ct = default);

    /// <summary>The arrival number of the newest stored event (0 when there is none).</summary>
    Task<long> GetLastEventSeqAsync(CancellationToken ct = default);

    /// <summary>Every anonymous id that was identified, with the user it belongs to.</summary>
    IAsyncEnumerable<(string AnonymousId, string UserId)> ReadIdentityLinksAsync(CancellationToken ct = default);

    /// <summary>Every user whose record states a consent, with it (users without one follow the deployment's default).</summary>
    IAsyncEnumerable<(string UserId, Consent Consent)> ReadStatedConsentsAsync(CancellationToken ct = default);

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

    /// <summary>The logged answers with <paramref name="fromMs"/> ≤ time &lt; <paramref name="toMs"/>, oldest first (with their
    /// ranking features): what a learned ranker learns from.</summary>
    IAsyncEnumerable<RecommendationRecord> ReadRecommendationsAsync(long fromMs, long toMs, CancellationToken ct = default);

    /// <summary>
    /// Records people's first exposures to experiments. The first exposure of a person to an experiment is kept: recording
    /// one again for the same experiment and person changes nothing (it is what makes assignment sticky across restarts).
    /// Erasing a user erases their exposures.
    /// </summary>
    Task RecordExposuresAsync(IReadOnlyList<Exposure> exposures, CancellationToken ct = default);

    /// <summary>
    /// One person's events with <paramref name="fromMs"/> ≤ time &lt; <paramref name="toMs"/>, in time order: the user's (their
    /// identified anonymous history included), or a never-identified anonymous visitor's when <paramref name="anonymous"/>.
    /// <paramref name="typeCodes"/>: only events of these types (null = all).
    /// </summary>
    IAsyncEnumerable<StoredEvent> ReadProfileEventsAsync(string profileId, bool anonymous, long fromMs, long toMs, IReadOnlyList<int>? typeCodes = null,
        CancellationToken ct = default);

    /// <summary>
    /// Several people's events with <paramref name="fromMs"/> ≤ time &lt; <paramref name="toMs"/> (each as
    /// <see cref="ReadProfileEventsAsync"/> would give them; <see cref="StoredEvent.ProfileId"/> and
    /// <see cref="StoredEvent.Anonymous"/> say whose), in one read where the store can: CUPED's pre-periods of a burst of
    /// newly exposed people. The default reads them one by one.
    /// </summary>
    async IAsyncEnumerable<StoredEvent> ReadProfilesEventsAsync(IReadOnlyList<(string ProfileId, bool Anonymous)> people, long fromMs, long toMs,
        IReadOnlyList<int>? typeCodes = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var (id, anonymous) in people)
            await foreach (var e in ReadProfileEventsAsync(id, anonymous, fromMs, toMs, typeCodes, ct).ConfigureAwait(false)) yield return e;
    }

    /// <summary>Every exposure of one experiment, in the order of first exposure.</summary>
    IAsyncEnumerable<Exposure> ReadExposuresAsync(string experimentId, CancellationToken ct = default);

    /// <summary>The events that carry <paramref name="recommendationId"/>, in arrival order.</summary>
    Task<IReadOnlyList<StoredEvent>> GetAttributedEventsAsync(string recommendationId, CancellationToken ct = default);

    // ---------------------------------------------------------------- change feed

    /// <summary>
    /// The committed changes with <c>Seq &gt; afterSeq</c>, in <see cref="StoreChange.Seq"/> order: one feed of every write, whoever
    /// made it (HTTP, <c>attune import</c>, an admin job, another node), so live state can follow the store instead of its callers.
    /// </summary>
    /// <remarks>
    /// A change row is written in the same transaction as the data it describes: a consumer that reads it can read that data.
    /// Seqs only grow and are never handed out twice, even after erasures and restarts, so a consumer resumes from the last Seq it
    /// applied. The feed says what changed, not the new value: read the record itself (it may have changed again since).
    /// </remarks>
    IAsyncEnumerable<StoreChange> ReadChangesAsync(long afterSeq, CancellationToken ct = default);

    /// <summary>The Seq of the newest committed change (0 when there is none).</summary>
    Task<long> GetLastChangeSeqAsync(CancellationToken ct = default);

    /// <summary>
    /// The Seq of the newest change committed by this store instance (0 before any); read after a write's Task completes, it is
    /// ≥ that write's changes. Free to read: no I/O.
    /// </summary>
    long CommittedChangeSeq { get; }

    /// <summary>
    /// Completes once a change with <c>Seq &gt; afterSeq</c> is committed: at once on a commit in this process, by polling (every
    /// 250 ms to 1 s) for other writers. Cancelled (an <see cref="OperationCanceledException"/>) when <paramref name="ct"/> is.
    /// </summary>
    Task WaitForChangesAsync(long afterSeq, CancellationToken ct = default);
}

/// <summary>One change in the store's ordered feed (see <see cref="IAttuneStore.ReadChangesAsync"/>).</summary>
/// <param name="Seq">Position in the feed: increasing, never reused.</param>
/// <param name="Id">
/// <see cref="ChangeKind.Events"/>: null. Items and users: the record's id. <see cref="ChangeKind.IdentityLinked"/>: the anonymous id.
/// Documents: the document id.
/// </param>
/// <param name="Other"><see cref="ChangeKind.IdentityLinked"/>: the user id. Documents: the document kind. Otherwise null.</param>
/// <param name="FromEventSeq">
/// <see cref="ChangeKind.Events"/>: the appended events are exactly those with <c>FromEventSeq &lt; seq ≤ ToEventSeq</c>, as
/// <see cref="IAttuneStore.ReadEventsAsync(long, long, CancellationToken)"/> reads them (minus any erased since). Otherwise 0.
/// </param>
/// <param name="ToEventSeq">See <paramref name="FromEventSeq"/>.</param>
/// <param name="AtMs">The store's clock when the change was committed, Unix milliseconds.</param>
public readonly record struct StoreChange(long Seq, ChangeKind Kind, string? Id, string? Other, long FromEventSeq, long ToEventSeq, long AtMs);

/// <summary>What a <see cref="StoreChange"/> is about. Persisted codes (<c>ChangeKindStabilityTests</c> freezes them): add new kinds with new numbers.</summary>
public enum ChangeKind
{
    /// <summary>One appended batch of events (one <c>AppendEventsAsync</c> call, or one <c>BulkAppendAsync</c> batch).</summary>
    Events = 1,
    /// <summary>An item record was created or replaced (one change per record, even when one call upserts many).</summary>
    ItemUpserted = 2,
    /// <summary>An item record was deleted (its past events stay).</summary>
    ItemDeleted = 3,
    /// <summary>A user record was created or replaced (one change per record).</summary>
    UserUpserted = 4,
    /// <summary>A user was erased: the record, every event of the unified profile and the links of its anonymous ids.
    /// <see cref="StoreChange.Other"/>: the anonymous ids erased with it, one per line (null when none).</summary>
    UserDeleted = 5,
    /// <summary>
    /// An anonymous id was linked to a user, or re-pointed to another one, by <c>IdentifyAsync</c> or by an event carrying both ids.
    /// Within one appended batch the link comes before that batch's <see cref="Events"/> change.
    /// </summary>
    IdentityLinked = 6,
    /// <summary>A document was created or replaced.</summary>
    DocumentPut = 7,
    /// <summary>A document was deleted.</summary>
    DocumentDeleted = 8,
    /// <summary>An anonymous visitor not linked to a user was erased (<see cref="StoreChange.Id"/>: the anonymous id).</summary>
    VisitorDeleted = 9,
    /// <summary>
    /// Decision rewards were recorded (given, or the default after the wait time): those with <c>FromEventSeq &lt; seq ≤
    /// ToEventSeq</c>, as <see cref="IAttuneStore.ReadRewardsAsync"/> reads them.
    /// </summary>
    DecisionRewards = 10,
}

/// <summary>A named JSON document of some kind (see <see cref="IAttuneStore.ListDocumentsAsync"/>).</summary>
public sealed record StoredDocument(string Kind, string Id, string Json, DateTimeOffset UpdatedAt);

/// <summary>What one recommendation answer showed: to whom, where, by which model and recipe, which items in order.</summary>
/// <param name="PersonId">The user id, or the anonymous id when <paramref name="Anonymous"/>.</param>
/// <param name="Recipe">The recipe it was served with (null in records written before recipes existed).</param>
/// <param name="Experiment">The experiment it was served under (or <c>holdout</c>), null when none.</param>
/// <param name="Variant">The variant key within <paramref name="Experiment"/>.</param>
/// <param name="Features">The shown items' ranking features as JSON, <c>{"names": [source…], "values": [[…per item…]…]}</c>
/// (each the source's score of the item over its largest in the answer), or null.</param>
public sealed record RecommendationRecord(
    string Id, string PersonId, bool Anonymous, string Scenario, string? ModelVersion, DateTimeOffset Timestamp, IReadOnlyList<string> ItemIds,
    string? Recipe = null, string? Experiment = null, string? Variant = null, string? Features = null);

/// <summary>A person's first exposure to an experiment (see <see cref="IAttuneStore.RecordExposuresAsync"/>).</summary>
/// <param name="PersonId">The key assignment is sticky under: the user id, or the anonymous id when <paramref name="Anonymous"/>.</param>
/// <param name="Phase">The experiment phase the person entered in.</param>
/// <param name="Variant">The variant key.</param>
/// <param name="AtMs">First exposure, Unix milliseconds.</param>
public readonly record struct Exposure(string ExperimentId, string PersonId, bool Anonymous, int Phase, string Variant, long AtMs);

/// <summary>One stored event as training reads it.</summary>
/// <param name="ProfileId">The owner: a user id, or an anonymous id that was never identified.</param>
/// <param name="TypeCode">Built-in <see cref="Model.EventType"/> value, or a custom type code (≥ 1000).</param>
/// <param name="Seq">Arrival number in the store (increasing).</param>
/// <param name="Extra">The event's extra fields as JSON (session, channel, context, recommendationId…; see <c>EventExtra</c>), or null.</param>
public readonly record struct StoredEvent(string ProfileId, bool Anonymous, string? ItemId, int TypeCode, long TimestampMs, double? Value,
    long Seq = 0, string? Extra = null);

/// <summary>A page of a listing; pass <see cref="NextCursor"/> back to get the next one.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor);

/// <param name="Answers">Recommendation answers logged in the window.</param>
/// <param name="ItemsShown">Items in those answers.</param>
/// <param name="Attributed">Events carrying a recommendation id, by type name: how many and the sum of their values.</param>
public sealed record ActivitySummary(long Events, long People, long Answers, long ItemsShown,
    IReadOnlyDictionary<string, (long Count, double Value)> Attributed);

/// <summary>What an erasure removed (see <see cref="IAttuneStore.ErasePersonAsync"/>).</summary>
/// <param name="UserId">The user erased; null when it was an anonymous visitor.</param>
/// <param name="AnonymousIds">The anonymous ids erased (the visitor's own, or the user's linked ones).</param>
public sealed record ErasedPerson(string? UserId, IReadOnlyList<string> AnonymousIds, long Events, long Recommendations, long Exposures);

/// <summary>What the store's logs hold about a person (see <see cref="IAttuneStore.GetPersonRecordsAsync"/>).</summary>
public sealed record PersonRecords(IReadOnlyList<RecommendationRecord> Recommendations, IReadOnlyList<Exposure> Exposures);

public sealed record StoreStats(
    long Items,
    long Users,
    long AnonymousVisitors,
    long Events,
    IReadOnlyDictionary<string, long> EventsByType,
    DateTimeOffset? FirstEvent,
    DateTimeOffset? LastEvent,
    long DatabaseBytes)
{
    /// <summary>
    /// Encryption at rest: how many personal values (user records, documents) are under each key id, <c>(plain)</c> for
    /// unencrypted ones; a re-encryption pass is done when only the active key has any. Null when encryption is off.
    /// </summary>
    public IReadOnlyDictionary<string, long>? EncryptedValues { get; init; }
}

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
