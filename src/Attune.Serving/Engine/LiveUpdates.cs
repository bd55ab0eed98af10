using Attune.Model;
using Attune.Serving.Live;
using Attune.Serving.Pipeline;
using Attune.Storage;

namespace Attune.Serving.Engine;

/// <summary>
/// Applies what the store accepted to live state: each person's events since the model (<see cref="LiveProfiles"/>), online
/// trending in every loaded state, identity links, consent and erasures; counts the events that arrived since the model
/// (a reason to retrain).
/// </summary>
internal sealed class LiveUpdates(ServingModels models, ServingContext context)
{
    private long _eventsSinceModel;

    public LiveProfiles Profiles { get; } = new();

    public long EventsSinceModel => Interlocked.Read(ref _eventsSinceModel);

    public void ResetEventCount() => Interlocked.Exchange(ref _eventsSinceModel, 0);

    private long _eventsAppliedThrough;

    /// <summary>The store sequence of the newest event in live state (a replay and the change feed both move it).</summary>
    public long EventsAppliedThrough
    {
        get => Interlocked.Read(ref _eventsAppliedThrough);
        set => Interlocked.Exchange(ref _eventsAppliedThrough, value);
    }

    /// <summary>An event read back from the store: replayed after a model's watermark, or from the change feed.</summary>
    /// <summary>Every stored event as live state takes it in (the feed, or a model activation's replay); listeners dedupe by seq.</summary>
    public event Action<StoredEvent>? EventApplied;

    /// <summary>An anonymous id was identified as a user.</summary>
    public event Action<string, string>? Linked;

    public void ObserveStored(StoredEvent e, long receivedMs)
    {
        EventApplied?.Invoke(e);
        if (e.ItemId is null) return;
        Profiles.Observe(e.ProfileId, e.ItemId, e.TypeCode, e.TimestampMs, receivedMs);
        foreach (var state in models.All) AddTrending(e, state);
        Interlocked.Increment(ref _eventsSinceModel);
    }

    /// <summary>A state's trending counts a positive event.</summary>
    public static void AddTrending(StoredEvent e, ServingState activated)
    {
        if (e.ItemId is not null && e.TypeCode < EventTypes.FirstCustomCode && EventTypes.DefaultWeight(e.TypeCode) > 0
            && activated.Catalog.IndexOf(e.ItemId) is >= 0 and var i)
            activated.Trending.Add(i, e.TimestampMs);
    }

    /// <summary>
    /// An event stored after a newly activated model's watermark, replayed into live state and into that state's trending
    /// (other loaded states counted it when it arrived).
    /// </summary>
    public void Replay(StoredEvent e, long receivedMs, ServingState activated)
    {
        EventApplied?.Invoke(e);
        if (e.ItemId is null) return;
        Profiles.Observe(e.ProfileId, e.ItemId, e.TypeCode, e.TimestampMs, receivedMs);
        AddTrending(e, activated);
        Interlocked.Increment(ref _eventsSinceModel);
    }

    public void Link(string anonymousId, string userId)
    {
        Profiles.Link(anonymousId, userId);
        Linked?.Invoke(anonymousId, userId);
    }

    /// <summary>A user record changed or was erased (caches of user records listen).</summary>
    public event Action<string>? UserChanged;

    public void UsersChanged(IReadOnlyList<User> users)
    {
        foreach (var user in users)
        {
            if (user.Consent is { } consent) context.SetConsent(user.Id, consent);
            UserChanged?.Invoke(user.Id);
        }
    }

    /// <summary>A user was erased.</summary>
    public event Action<string>? UserErased;

    public void UserDeleted(string id)
    {
        context.SetConsent(id, null);
        Profiles.Forget(id);
        UserChanged?.Invoke(id);
        UserErased?.Invoke(id);
    }

    /// <summary>An anonymous visitor was erased.</summary>
    public void VisitorDeleted(string anonymousId) => Profiles.Forget(anonymousId);

    public void SetConsent(string userId, Consent? consent) => context.SetConsent(userId, consent);
}
