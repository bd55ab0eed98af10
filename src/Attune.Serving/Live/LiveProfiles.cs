using System.Collections.Concurrent;
using Attune.Model;

namespace Attune.Serving.Live;

/// <summary>
/// What each person did since the models were trained, kept in memory and updated by every accepted event within the same
/// request: recent items (for session-based and item-to-item candidates and fold-in), purchases, open cart, impressions and
/// engagement (frequency caps). Keyed by the unified person: a user id, or an anonymous id that was never identified
/// (identified anonymous ids route to their user, see <see cref="Link"/>).
/// </summary>
/// <remarks>
/// Live state covers what came after the active model's snapshot; at start-up it is rebuilt by replaying the store's events
/// after the model's watermark, so a restart loses nothing. One node's memory: with several nodes each needs the event feed
/// (a named limitation until the multi-node work).
/// </remarks>
public sealed class LiveProfiles
{
    private readonly ConcurrentDictionary<string, LivePerson> _people = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _userOfAnonymous = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string[]> _anonymousOfUser = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _forgotten = new(StringComparer.Ordinal);

    /// <summary>How many people have live state.</summary>
    public int Count => _people.Count;

    /// <summary>The person an event belongs to: its user, else the user its anonymous id was linked to, else the anonymous id.</summary>
    public (string Id, bool Anonymous) Owner(string? userId, string? anonymousId)
    {
        if (userId is not null) return (userId, false);
        return _userOfAnonymous.TryGetValue(anonymousId!, out var user) ? (user, false) : (anonymousId!, true);
    }

    public LivePerson? Get(string personId) => _people.GetValueOrDefault(personId);

    /// <summary>The anonymous ids linked to a user (their training histories belong to the user too).</summary>
    public ReadOnlySpan<string> AnonymousIdsOf(string userId) => _anonymousOfUser.TryGetValue(userId, out var ids) ? ids : default;

    /// <summary>Whether the person was erased since the models were trained: their trained history must not be used.</summary>
    public bool IsForgotten(string personId) => !_forgotten.IsEmpty && _forgotten.ContainsKey(personId);

    /// <summary>Records events that were just stored. <paramref name="receivedMs"/> is the server clock at storage.</summary>
    public void Observe(IReadOnlyList<Event> events, long receivedMs)
    {
        for (int k = 0; k < events.Count; k++)
        {
            var e = events[k];
            if (e.UserId is not null && e.AnonymousId is not null) Link(e.AnonymousId, e.UserId);
            var (id, _) = Owner(e.UserId, e.AnonymousId);
            if (e.ItemId is null) continue;
            int type = EventTypes.TryGetBuiltIn(e.Type, out var builtIn) ? (int)builtIn : EventTypes.FirstCustomCode;
            Observe(id, e.ItemId, type, e.Timestamp.ToUnixTimeMilliseconds(), receivedMs);
        }
    }

    /// <summary>Records one event of a resolved person.</summary>
    public void Observe(string personId, string itemId, int type, long timeMs, long receivedMs)
    {
        _forgotten.TryRemove(personId, out _);
        var person = _people.GetOrAdd(personId, static _ => new LivePerson());
        person.Add(itemId, type, timeMs, receivedMs);
    }

    /// <summary>The anonymous visitor is the user from now on: their live state merges into the user's.</summary>
    public void Link(string anonymousId, string userId)
    {
        if (_userOfAnonymous.TryGetValue(anonymousId, out var existing) && existing == userId) return;
        _userOfAnonymous[anonymousId] = userId;
        _anonymousOfUser.AddOrUpdate(userId, [anonymousId], (_, ids) => ids.Contains(anonymousId) ? ids : [.. ids, anonymousId]);
        if (existing is null && _people.TryRemove(anonymousId, out var anonymous))
            _people.GetOrAdd(userId, static _ => new LivePerson()).MergeFrom(anonymous);
    }

    /// <summary>Erasure: drops the person's live state and stops using their trained history.</summary>
    public void Forget(string userId)
    {
        _people.TryRemove(userId, out _);
        _forgotten[userId] = 0;
        if (_anonymousOfUser.TryRemove(userId, out var anonymous))
        {
            foreach (string a in anonymous)
            {
                _userOfAnonymous.TryRemove(a, out _);
                _forgotten[a] = 0;
            }
        }
    }

    /// <summary>Drops every person's live events (identity links and erasures stay); a replay refills them.</summary>
    public void Clear() => _people.Clear();

    /// <summary>Drops events already covered by a newly activated model (received before its snapshot).</summary>
    public void TrimBefore(long snapshotMs)
    {
        foreach (var (id, person) in _people)
        {
            if (person.TrimBefore(snapshotMs)) _people.TryRemove(id, out _);
        }
    }
}

/// <summary>One person's live events. Thread-safe: readers copy under the lock.</summary>
public sealed class LivePerson
{
    /// <summary>Most recent events kept per person.</summary>
    public const int Capacity = 200;

    private readonly Lock _gate = new();
    private readonly List<LiveEvent> _events = new(16);

    public void Add(string itemId, int type, long timeMs, long receivedMs)
    {
        lock (_gate)
        {
            if (_events.Count == Capacity) _events.RemoveAt(0);
            // Keep time order even when a late event arrives (rare): insert from the end.
            int at = _events.Count;
            while (at > 0 && _events[at - 1].TimeMs > timeMs) at--;
            _events.Insert(at, new LiveEvent(itemId, type, timeMs, receivedMs));
        }
    }

    public void MergeFrom(LivePerson other)
    {
        foreach (var e in other.Snapshot()) Add(e.ItemId, e.Type, e.TimeMs, e.ReceivedMs);
    }

    /// <summary>A copy of the events, oldest first.</summary>
    public LiveEvent[] Snapshot()
    {
        lock (_gate) return [.. _events];
    }

    /// <summary>Copies the events received after <paramref name="afterMs"/> into <paramref name="buffer"/>; returns how many.</summary>
    public int CopyTo(Span<LiveEvent> buffer, long afterMs)
    {
        lock (_gate)
        {
            int n = 0;
            foreach (var e in _events)
            {
                if (e.ReceivedMs <= afterMs) continue;
                if (n == buffer.Length) break;
                buffer[n++] = e;
            }
            return n;
        }
    }

    internal bool TrimBefore(long snapshotMs)
    {
        lock (_gate)
        {
            // The model's snapshot holds these now (impressions too: its impression table).
            _events.RemoveAll(e => e.ReceivedMs <= snapshotMs);
            return _events.Count == 0;
        }
    }
}

/// <param name="ReceivedMs">Server clock when stored; compared with a model's snapshot time.</param>
public readonly record struct LiveEvent(string ItemId, int Type, long TimeMs, long ReceivedMs);
