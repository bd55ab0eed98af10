using System.Collections.Concurrent;
using Attune.Storage;

namespace Attune.Decisions.Service;

/// <summary>One prediction about a person as a decision feature: <c>profile.{Name}</c> with <see cref="Value"/> (e.g.
/// <c>clv.palive</c> 0.87).</summary>
public readonly record struct Prediction(string Name, double Value);

/// <summary>One taste of a person: a top category or brand of what they did, with its share (the list's weights sum to 1).</summary>
public readonly record struct Taste(string Kind, string Name, double Weight);

/// <summary>
/// What a rank knows of people, read from the store at most every <see cref="Refresh"/> per person and dropped as soon as the
/// change feed says the person changed, identified or was erased (<see cref="Forget"/>): their record's facts (attributes,
/// consent) and their tastes, the top categories and brands of their profile (<c>profile.taste.category=shoes</c>, weighted
/// by its share).
/// </summary>
internal sealed class PersonCache(IAttuneStore store, TimeProvider time)
{
    public const int TopCategories = 3, TopBrands = 2;
    private const int MaxCached = 100_000;

    public TimeSpan Refresh { get; set; } = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<(string Id, bool Anonymous), (long ExpiresMs, Taste[] Tastes)> _tastes = new();
    private readonly ConcurrentDictionary<string, (long ExpiresMs, PersonFacts? Facts)> _facts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Id, bool Anonymous), (long ExpiresMs, Prediction[] Values)> _predictions = new();

    /// <summary>The person's predictions (<paramref name="read"/>: e.g. their customer value), cached like the tastes.</summary>
    public async ValueTask<Prediction[]> PredictionsAsync(string id, bool anonymous,
        Func<string, bool, CancellationToken, Task<IReadOnlyList<Prediction>?>> read, CancellationToken ct)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_predictions.TryGetValue((id, anonymous), out var known) && known.ExpiresMs > now) return known.Values;
        var values = await read(id, anonymous, ct).ConfigureAwait(false) is { } list ? list.ToArray() : [];
        if (_predictions.Count >= MaxCached) _predictions.Clear();
        _predictions[(id, anonymous)] = (now + (long)Refresh.TotalMilliseconds, values);
        return values;
    }

    /// <summary>A user's facts (<paramref name="read"/> from their record; null: no record).</summary>
    public async ValueTask<PersonFacts?> FactsAsync(string userId, Func<string, CancellationToken, Task<PersonFacts?>> read, CancellationToken ct)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_facts.TryGetValue(userId, out var known) && known.ExpiresMs > now) return known.Facts;
        var facts = await read(userId, ct).ConfigureAwait(false);
        if (_facts.Count >= MaxCached) _facts.Clear();
        _facts[userId] = (now + (long)Refresh.TotalMilliseconds, facts);
        return facts;
    }

    /// <summary>The person's tastes (none for someone without events or without personalization consent).</summary>
    public async ValueTask<Taste[]> TastesAsync(string id, bool anonymous, CancellationToken ct)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_tastes.TryGetValue((id, anonymous), out var known) && known.ExpiresMs > now) return known.Tastes;
        var profile = await store.GetProfileAsync(id, anonymous, ct).ConfigureAwait(false);
        Taste[] tastes = profile is null || !profile.Consent.Personalization ? [] :
        [
            .. profile.TopCategories.Take(TopCategories).Select(c => new Taste("category", c.Name, c.Weight)),
            .. profile.TopBrands.Take(TopBrands).Select(b => new Taste("brand", b.Name, b.Weight)),
        ];
        if (_tastes.Count >= MaxCached) _tastes.Clear();
        _tastes[(id, anonymous)] = (now + (long)Refresh.TotalMilliseconds, tastes);
        return tastes;
    }

    /// <summary>Drops what is known of a person (as a user and as a visitor id).</summary>
    public void Forget(string id)
    {
        _facts.TryRemove(id, out _);
        _predictions.TryRemove((id, false), out _);
        _predictions.TryRemove((id, true), out _);
        _tastes.TryRemove((id, false), out _);
        _tastes.TryRemove((id, true), out _);
    }
}
