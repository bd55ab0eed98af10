using Attune.Api;
using Attune.Model;
using Attune.Storage;

namespace Attune.Client;

// Events, identity, catalog and users: what a shop's back end sends (docs/api.md "Events", "Identity", "Items and users").
public sealed partial class AttuneClient
{
    /// <summary>
    /// Records events (<c>POST /v1/events</c>, ingest scope; up to 10,000 per call). The good ones are stored even when others
    /// are rejected: look at <see cref="BatchResult.Rejected"/>; all rejected throws an <see cref="AttuneApiException"/> with
    /// <see cref="AttuneApiException.Rejected"/>.
    /// </summary>
    /// <remarks>
    /// Each call sends a new <c>Idempotency-Key</c> (or <paramref name="idempotencyKey"/>) with every attempt, so the server
    /// stores the batch once however often it is sent: the call is retried after connection errors, timeouts and 5xx answers
    /// like a read. Pass your own key to make a retry of a whole call (after your process restarted) safe too.
    /// </remarks>
    public Task<BatchResult> SendEventsAsync(IReadOnlyCollection<EventInput> events, CancellationToken ct = default, string? idempotencyKey = null) =>
        SendAsync<BatchResult>(HttpMethod.Post, "/v1/events", events, RetryMode.Idempotent, ct, idempotencyKey ?? NewIdempotencyKey());

    /// <inheritdoc cref="SendEventsAsync(IReadOnlyCollection{EventInput}, CancellationToken, string?)"/>
    public Task<BatchResult> SendEventAsync(EventInput e, CancellationToken ct = default, string? idempotencyKey = null) =>
        SendAsync<BatchResult>(HttpMethod.Post, "/v1/events", e, RetryMode.Idempotent, ct, idempotencyKey ?? NewIdempotencyKey());

    private static string NewIdempotencyKey() => "attune-client-" + Guid.NewGuid().ToString("N");

    /// <summary>The visitor signed in: their anonymous history joins the user's profile (<c>POST /v1/identify</c>; idempotent).</summary>
    public Task<IdentifyResult> IdentifyAsync(string anonymousId, string userId, CancellationToken ct = default) =>
        SendAsync<IdentifyResult>(HttpMethod.Post, "/v1/identify", new IdentifyInput(anonymousId, userId), RetryMode.Idempotent, ct);

    /// <summary>Identify with a <c>client</c> key: <paramref name="userToken"/> proves the caller acts for <paramref name="userId"/>.</summary>
    public Task<IdentifyResult> IdentifyAsync(string anonymousId, string userId, string userToken, CancellationToken ct = default) =>
        SendAsync<IdentifyResult>(HttpMethod.Post, "/v1/identify", new IdentifyInput(anonymousId, userId, userToken), RetryMode.Idempotent, ct);

    /// <summary>
    /// A user token for <paramref name="userId"/> (<c>POST /v1/user-tokens</c>, serve or admin scope), for the signed-in user's
    /// browser or app to present with a <c>client</c> key. <paramref name="ttl"/>: 1 minute to 90 days (default one day).
    /// Idempotent in effect (a second token is as good as the first), so retried like a read.
    /// </summary>
    public Task<UserTokenOutput> CreateUserTokenAsync(string userId, TimeSpan? ttl = null, CancellationToken ct = default) =>
        SendAsync<UserTokenOutput>(HttpMethod.Post, "/v1/user-tokens", new UserTokenInput(userId, ttl is { } t ? (int)t.TotalSeconds : null),
            RetryMode.Idempotent, ct);

    /// <summary>
    /// The same token computed without a call, with the server's secret (<c>Attune:UserTokenSecrets</c>, the first one):
    /// <c>v1.EXPIRES.base64url(HMAC-SHA256(secret, "v1|USERID|EXPIRES"))</c>.
    /// </summary>
    public static string ComputeUserToken(string secret, string userId, DateTimeOffset expiresAt) => UserToken.Create(secret, userId, expiresAt);

    /// <summary>Creates or replaces items (<c>POST /v1/items</c>, admin; an upsert, so retried like a read).</summary>
    public Task<BatchResult> UpsertItemsAsync(IReadOnlyCollection<Item> items, CancellationToken ct = default) =>
        SendAsync<BatchResult>(HttpMethod.Post, "/v1/items", items, RetryMode.Idempotent, ct);

    /// <summary>One item, or null when there is none with this id.</summary>
    public Task<Item?> GetItemAsync(string id, CancellationToken ct = default) => FindAsync<Item>($"/v1/items/{Escape(id)}", ct);

    /// <summary>A page of the catalog; pass <see cref="Page{T}.NextCursor"/> back for the next one. <paramref name="limit"/>: 1–1000.</summary>
    public Task<Page<Item>> ListItemsAsync(string? cursor = null, int limit = 100, CancellationToken ct = default) =>
        GetAsync<Page<Item>>($"/v1/items?limit={limit}{(cursor is null ? "" : "&cursor=" + Escape(cursor))}", ct);

    /// <summary>Removes an item from the catalog (its past events stay); false when there was none.</summary>
    public Task<bool> DeleteItemAsync(string id, CancellationToken ct = default) => DeleteAsync($"/v1/items/{Escape(id)}", ct);

    /// <summary>Creates or replaces users (<c>POST /v1/users</c>, admin). A user sent without consent keeps the consent given before.</summary>
    public Task<BatchResult> UpsertUsersAsync(IReadOnlyCollection<User> users, CancellationToken ct = default) =>
        SendAsync<BatchResult>(HttpMethod.Post, "/v1/users", users, RetryMode.Idempotent, ct);

    /// <summary>One user, or null when there is none with this id.</summary>
    public Task<User?> GetUserAsync(string id, CancellationToken ct = default) => FindAsync<User>($"/v1/users/{Escape(id)}", ct);

    /// <summary>A page of users; pass <see cref="Page{T}.NextCursor"/> back for the next one.</summary>
    public Task<Page<User>> ListUsersAsync(string? cursor = null, int limit = 100, CancellationToken ct = default) =>
        GetAsync<Page<User>>($"/v1/users?limit={limit}{(cursor is null ? "" : "&cursor=" + Escape(cursor))}", ct);

    /// <summary>Erases a person: the record, every event of the unified profile and the linked anonymous ids; false when unknown.</summary>
    public Task<bool> DeleteUserAsync(string id, CancellationToken ct = default) => DeleteAsync($"/v1/users/{Escape(id)}", ct);

    /// <summary>The unified profile of a user (or, with <paramref name="anonymous"/>, of an anonymous id); null when unknown.</summary>
    public Task<Profile?> GetProfileAsync(string id, bool anonymous = false, CancellationToken ct = default) =>
        FindAsync<Profile>($"/v1/users/{Escape(id)}/profile{(anonymous ? "?anonymous=true" : "")}", ct);

    /// <summary>Counts of items, users, visitors and events by type (<c>GET /v1/stats</c>).</summary>
    public Task<StoreStats> GetStatsAsync(CancellationToken ct = default) => GetAsync<StoreStats>("/v1/stats", ct);
}
