using System.Collections.Concurrent;
using Attune.Experiments.Assignment;
using Attune.Storage;

namespace Attune.Serving.Engine;

/// <summary>
/// The attributes an experiment's targeting condition sees for one request: <c>userId</c>, <c>anonymousId</c>, <c>id</c> (the
/// one assignment hashes), the user record's attributes (strings), and <c>context</c> (the request's context object, nested
/// again from its dotted names: <c>{"context": {"geo": {"country": "DE"}}}</c>), and the person's predictions as numbers
/// (<c>{"clv": {"palive": 0.87, …}}</c>, from <paramref name="predictions"/>), and the ids of the person's segments as
/// <c>segments</c> (<c>{"segments": {"$in": ["vip"]}}</c>). Built only when a running experiment targets.
/// </summary>
internal sealed class ExperimentAttributes(IAttuneStore store, Func<Func<string, IReadOnlyDictionary<string, double>?>?> predictions,
    Func<Func<string, bool, IReadOnlyList<string>>?> segments)
{
    /// <summary>Most user records kept; the cache is emptied when it is full (a cheap bound, not an LRU).</summary>
    private const int MaxCachedUsers = 100_000;

    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _users = new(StringComparer.Ordinal);

    public Attributes For(RecommendationRequest request)
    {
        var a = new Attributes(8);
        if (request.UserId is { } user)
        {
            foreach (var (name, value) in UserAttributes(user)) a.Set(name, value);
            a.Set("userId", user);
            if (predictions() is { } predict && predict(user) is { Count: > 0 } values)
                foreach (var (name, value) in Nest(values.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value)))) a.Set(name, value);
        }
        if (request.AnonymousId is { } anon) a.Set("anonymousId", anon);
        if (segments() is { } of && (request.UserId is { } u ? of(u, false) : request.AnonymousId is { } v ? of(v, true) : []) is { Count: > 0 } mine)
            a.Set("segments", AttributeValue.FromArray(mine.Select(AttributeValue.FromString)));
        a.Set("id", request.UserId ?? request.AnonymousId);
        if (!request.Context.IsEmpty) a.Set("context", Nest(request.Context.Values));
        return a;
    }

    /// <summary>A user record changed or was erased (from the change feed).</summary>
    public void Forget(string userId) => _users.TryRemove(userId, out _);

    private IReadOnlyDictionary<string, string> UserAttributes(string userId)
    {
        if (_users.TryGetValue(userId, out var known)) return known;
        // The store's read completes synchronously (SQLite); a user without a record has no attributes.
        var record = store.GetUserAsync(userId).GetAwaiter().GetResult();
        var attributes = record?.Attributes ?? new Dictionary<string, string>();
        if (_users.Count >= MaxCachedUsers) _users.Clear();
        _users[userId] = attributes;
        return attributes;
    }

    private static Attributes Nest(IEnumerable<KeyValuePair<string, object?>> values)
    {
        var root = new Attributes();
        foreach (var (name, raw) in values)
        {
            var node = root;
            var parts = name.Split('.');
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!node.TryGetValue(parts[i], out var child) || child.AsObject is not { } obj)
                {
                    obj = new Attributes();
                    node.Set(parts[i], obj);
                }
                node = obj;
            }
            node.Set(parts[^1], raw switch
            {
                string s => AttributeValue.FromString(s),
                double d => AttributeValue.FromNumber(d),
                bool b => AttributeValue.FromBoolean(b),
                string[] list => AttributeValue.FromArray(list.Select(AttributeValue.FromString)),
                DateTimeOffset t => AttributeValue.FromString(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
                _ => AttributeValue.Null,
            });
        }
        return root;
    }
}
