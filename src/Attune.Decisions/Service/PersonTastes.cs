using System.Collections.Concurrent;
using Attune.Storage;

namespace Attune.Decisions.Service;

/// <summary>One taste of a person: a top category or brand of what they did, with its share (the list's weights sum to 1).</summary>
public readonly record struct Taste(string Kind, string Name, double Weight);

/// <summary>
/// People's tastes as decision features (<c>profile.taste.category=shoes</c> weighted by its share): the top categories and
/// brands of their profile, read from the store at most every <see cref="Refresh"/> per person and dropped when the person is
/// erased, identified or changed (<see cref="Forget"/>, from the change feed).
/// </summary>
internal sealed class PersonTastes(IAttuneStore store, TimeProvider time)
{
    public const int TopCategories = 3, TopBrands = 2;
    private const int MaxCached = 100_000;

    public TimeSpan Refresh { get; set; } = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<(string Id, bool Anonymous), (long ExpiresMs, Taste[] Tastes)> _cache = new();

    /// <summary>The person's tastes (none for someone without events).</summary>
    public async ValueTask<Taste[]> GetAsync(string id, bool anonymous, CancellationToken ct)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_cache.TryGetValue((id, anonymous), out var known) && known.ExpiresMs > now) return known.Tastes;
        var profile = await store.GetProfileAsync(id, anonymous, ct).ConfigureAwait(false);
        Taste[] tastes = profile is null || !profile.Consent.Personalization ? [] :
        [
            .. profile.TopCategories.Take(TopCategories).Select(c => new Taste("category", c.Name, c.Weight)),
            .. profile.TopBrands.Take(TopBrands).Select(b => new Taste("brand", b.Name, b.Weight)),
        ];
        if (_cache.Count >= MaxCached) _cache.Clear();
        _cache[(id, anonymous)] = (now + (long)Refresh.TotalMilliseconds, tastes);
        return tastes;
    }

    /// <summary>Drops what is known of a person (both as a user and as a visitor id).</summary>
    public void Forget(string id)
    {
        _cache.TryRemove((id, false), out _);
        _cache.TryRemove((id, true), out _);
    }
}
