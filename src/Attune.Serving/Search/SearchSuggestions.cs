using System.Text.Json;
using Attune.Model;
using Attune.Search.Suggest;
using Attune.Storage;

namespace Attune.Serving.Search;

/// <summary>An autocomplete request: what was typed so far, and who types it.</summary>
public sealed record SuggestRequest
{
    public string Query { get; init; } = "";
    public string? UserId { get; init; }
    public string? AnonymousId { get; init; }
    /// <summary>Suggestions wanted (1–50).</summary>
    public int Count { get; init; } = 10;
}

/// <param name="Text">What to show (and, for a query, what to search).</param>
/// <param name="Type"><c>query</c>, <c>category</c>, <c>brand</c> or <c>item</c>.</param>
/// <param name="Personal">The person's own past query, or a category, brand or item of their usual tastes.</param>
public sealed record Suggestion(string Text, string Type, bool Personal, string? ItemId = null, string? Category = null, string? Brand = null);

public sealed record SuggestAnswer(string Query, IReadOnlyList<Suggestion> Suggestions);

/// <summary>What the engine knows of the person asking: whose queries are theirs, and their usual categories and brands.</summary>
/// <param name="PersonId">The unified profile (a linked anonymous id is its user), or null for nobody.</param>
/// <param name="Personalized">Whether the person allows personalization (no: nothing of theirs is used).</param>
public sealed record SuggestPerson(string? PersonId, bool Personalized, IReadOnlySet<string> Categories, IReadOnlySet<string> Brands)
{
    public static readonly SuggestPerson Nobody = new(null, false, new HashSet<string>(), new HashSet<string>());
}

/// <summary>
/// <c>GET /v1/search/suggest</c>: completions of what a person is typing, from the catalog (categories, brands, item titles)
/// and from the queries people searched (<c>search</c> events). The person's own recent queries come first, then what many
/// people searched, then categories, brands and items; within each, those of the person's usual categories and brands first.
/// Follows the catalog (<see cref="Upsert"/>, <see cref="Remove"/>) and the stored events (<see cref="Observe"/>, deduped by
/// sequence against the start's read of past queries, <see cref="Load"/>).
/// </summary>
public sealed class SearchSuggestions(TimeProvider time)
{
    /// <summary>Days of past search events read at start.</summary>
    public const int HistoryDays = 90;

    /// <summary>The person's own queries shown at most, and categories and brands at most.</summary>
    private const int MaxOwnQueries = 3, MaxCategories = 3, MaxBrands = 2;

    public const int MaxCount = 50;

    private readonly SuggestionIndex _index = new(time);
    private long _readThrough = long.MaxValue;
    private long _appliedThrough;

    public SuggestionIndex Index => _index;

    /// <summary>Every query counted, once each, in order per person (person, query, time in ms): what reformulations learn from.</summary>
    public event Action<string, string, long>? QuerySeen;

    public void Upsert(IReadOnlyList<Item> items) => _index.Upsert(items);

    public void Remove(string itemId) => _index.Remove(itemId);

    public void Link(string anonymousId, string userId) => _index.Link(anonymousId, userId);

    public void Forget(string personId) => _index.Forget(personId);

    /// <summary>
    /// Reads the stored search events of the last <see cref="HistoryDays"/> up to <paramref name="upToSeq"/>; live events up to
    /// that sequence are left to this read, later ones counted as they arrive. Call before the change feed starts.
    /// </summary>
    public void ReadThrough(long upToSeq) => Interlocked.Exchange(ref _readThrough, upToSeq);

    public async Task LoadAsync(IAttuneStore store, CancellationToken ct)
    {
        long upTo = Interlocked.Read(ref _readThrough);
        long from = time.GetUtcNow().ToUnixTimeMilliseconds() - HistoryDays * 86_400_000L;
        await foreach (var e in store.ReadEventsOfTypeAsync((int)EventType.Search, from, upTo, ct).ConfigureAwait(false))
            if (QueryOf(e) is { } q) Count(e, q);
        _index.Rebuild();
    }

    /// <summary>A stored event reached live state (the feed, or a replay: events already counted are skipped).</summary>
    public void Observe(StoredEvent e)
    {
        if (e.TypeCode != (int)EventType.Search || e.Seq <= Interlocked.Read(ref _readThrough)) return;
        // The feed applies events in order; a replay brings events the feed already applied.
        long applied = Interlocked.Read(ref _appliedThrough);
        if (e.Seq != 0 && e.Seq <= applied) return;
        if (e.Seq != 0) Interlocked.Exchange(ref _appliedThrough, e.Seq);
        if (QueryOf(e) is { } q) Count(e, q);
    }

    private void Count(StoredEvent e, string query)
    {
        _index.AddQuery(e.ProfileId, query);
        QuerySeen?.Invoke(e.ProfileId, query, e.TimestampMs);
    }

    private static string? QueryOf(StoredEvent e)
    {
        if (e.Extra is not { } extra || !extra.Contains("\"query\"", StringComparison.Ordinal)) return null;
        try
        {
            using var doc = JsonDocument.Parse(extra);
            return doc.RootElement.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The suggestions for <paramref name="request"/>, the person's first (see the class).</summary>
    public SuggestAnswer Suggest(SuggestRequest request, SuggestPerson person)
    {
        int count = Math.Clamp(request.Count, 1, MaxCount);
        var found = _index.Find(request.Query, count);
        var list = new List<Suggestion>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool personal = person.Personalized && person.PersonId is not null;
        if (personal)
            foreach (string q in _index.Recent(person.PersonId!, request.Query, Math.Min(MaxOwnQueries, count)))
                if (seen.Add("query\n" + q)) list.Add(new Suggestion(q, "query", true));

        var queries = found[SuggestionKind.Query];
        var categories = Personal(found[SuggestionKind.Category], personal ? person.Categories : null);
        var brands = Personal(found[SuggestionKind.Brand], personal ? person.Brands : null);
        var items = found[SuggestionKind.Item];

        // Sections, each capped so that every kind can show; what a short section leaves, the others fill.
        int queryCap = (count + 1) / 2;
        int q0 = Take(list, seen, queries, queryCap - list.Count, m => new Suggestion(m.Text, "query", false), count);
        int c0 = Take(list, seen, categories, Math.Min(MaxCategories, count - list.Count), m => new Suggestion(m.Match.Text, "category", m.Personal, Category: m.Match.Key), count);
        int b0 = Take(list, seen, brands, Math.Min(MaxBrands, count - list.Count), m => new Suggestion(m.Match.Text, "brand", m.Personal, Brand: m.Match.Key), count);
        Take(list, seen, items, count - list.Count, m => new Suggestion(m.Text, "item", false, ItemId: m.Key), count);
        Take(list, seen, queries.Skip(q0), count - list.Count, m => new Suggestion(m.Text, "query", false), count);
        Take(list, seen, categories.Skip(c0), count - list.Count, m => new Suggestion(m.Match.Text, "category", m.Personal, Category: m.Match.Key), count);
        Take(list, seen, brands.Skip(b0), count - list.Count, m => new Suggestion(m.Match.Text, "brand", m.Personal, Brand: m.Match.Key), count);
        return new SuggestAnswer(request.Query, list);
    }

    /// <summary>Matches whose key the person favours first (stable otherwise).</summary>
    private static List<(SuggestionMatch Match, bool Personal)> Personal(List<SuggestionMatch> matches, IReadOnlySet<string>? favoured)
    {
        var list = new List<(SuggestionMatch, bool)>(matches.Count);
        if (favoured is { Count: > 0 })
            foreach (var m in matches) if (favoured.Contains(m.Key)) list.Add((m, true));
        foreach (var m in matches) if (favoured is null || !favoured.Contains(m.Key)) list.Add((m, false));
        return list;
    }

    /// <summary>Adds up to <paramref name="max"/> of <paramref name="source"/> not shown yet; returns how many were read.</summary>
    private static int Take<T>(List<Suggestion> list, HashSet<string> seen, IEnumerable<T> source, int max, Func<T, Suggestion> make, int count)
    {
        int read = 0, added = 0;
        foreach (var m in source)
        {
            if (added >= max || list.Count >= count) break;
            read++;
            var s = make(m);
            if (!seen.Add(s.Type + "\n" + (s.ItemId ?? s.Category ?? s.Brand ?? s.Text))) continue;
            list.Add(s);
            added++;
        }
        return read;
    }
}
