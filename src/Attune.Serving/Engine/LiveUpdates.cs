using Attune.Model;
using Attune.Serving.Live;
using Attune.Serving.Pipeline;

namespace Attune.Serving.Engine;

/// <summary>
/// Applies what the store accepted to live state: each person's events since the model (<see cref="LiveProfiles"/>), online
/// trending in every loaded state, identity links, consent and erasures; counts the events that arrived since the model
/// (a reason to retrain).
/// </summary>
internal sealed class LiveUpdates(ServingModels models, ServingContext context, TimeProvider time)
{
    private long _eventsSinceModel;

    public LiveProfiles Profiles { get; } = new();

    public long EventsSinceModel => Interlocked.Read(ref _eventsSinceModel);

    public void ResetEventCount() => Interlocked.Exchange(ref _eventsSinceModel, 0);

    public void Observe(IReadOnlyList<Event> events)
    {
        Profiles.Observe(events, time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var state in models.All)
        {
            foreach (var e in events)
            {
                if (e.ItemId is null || !EventTypes.TryGetBuiltIn(e.Type, out var type) || EventTypes.DefaultWeight((int)type) <= 0) continue;
                int i = state.Catalog.IndexOf(e.ItemId);
                if (i >= 0) state.Trending.Add(i, e.Timestamp.ToUnixTimeMilliseconds());
            }
        }
        Interlocked.Add(ref _eventsSinceModel, events.Count);
    }

    /// <summary>An event stored after the active model's watermark, read back from the store (start-up, rollback).</summary>
    public void Replay(string personId, string itemId, int type, long timeMs, long receivedMs)
    {
        Profiles.Observe(personId, itemId, type, timeMs, receivedMs);
        Interlocked.Increment(ref _eventsSinceModel);
    }

    public void Link(string anonymousId, string userId) => Profiles.Link(anonymousId, userId);

    public void UsersChanged(IReadOnlyList<User> users)
    {
        foreach (var user in users)
        {
            if (user.Consent is { } consent) context.SetConsent(user.Id, consent.Personalization);
        }
    }

    public void UserDeleted(string id)
    {
        context.SetConsent(id, true);
        Profiles.Forget(id);
    }

    public void SetConsent(string userId, bool personalization) => context.SetConsent(userId, personalization);
}
