using System.Globalization;
using Attune.Model;

namespace Attune.Search.Suggest;

/// <summary>What a suggestion completes the typed text to.</summary>
public enum SuggestionKind
{
    /// <summary>A query people searched for.</summary>
    Query,
    /// <summary>A catalog category (its path is the key).</summary>
    Category,
    /// <summary>A brand of the catalog.</summary>
    Brand,
    /// <summary>An item, by its title (its id is the key).</summary>
    Item,
}

/// <param name="Text">What to show: the query, the category's name ("Shoes › Running"), the brand, the item's title.</param>
/// <param name="Key">The normalized query, the category path, the brand, or the item id.</param>
/// <param name="Weight">How popular: searches of the query, items of the category or brand, the item's weight.</param>
/// <param name="Leading">Whether the text begins with what was typed (shown before a match further in).</param>
public readonly record struct SuggestionMatch(SuggestionKind Kind, string Text, string Key, double Weight, bool Leading);

/// <summary>
/// Autocomplete over the catalog (titles, categories, brands) and the queries people searched for. A suggestion matches when
/// every word typed begins a word of it ("run sho" → "Running Shoes", "Stride Trail Running Shoe"). A past query is suggested
/// to everyone only once <see cref="MinPeople"/> different people searched it (a rare query says something about the one
/// person who typed it); each person's own recent queries are kept apart and suggested to them alone.
/// Writes (items, queries) are cheap; lookups read an immutable snapshot rebuilt at most once per <see cref="RebuildAfter"/>
/// after a change, so a change is suggestible within that time. Thread-safe.
/// </summary>
public sealed class SuggestionIndex
{
    /// <summary>People who must have searched a query before others are offered it.</summary>
    public const int MinPeople = 3;

    /// <summary>Distinct queries counted; when full, the ones searched once are dropped.</summary>
    public const int QueryCapacity = 100_000;

    /// <summary>Recent queries kept per person, newest first.</summary>
    public const int RecentPerPerson = 10;

    /// <summary>People whose recent queries are kept; when full, the map starts over.</summary>
    public const int PersonCapacity = 200_000;

    /// <summary>Longest query counted, in characters (longer ones are pasted text, not searches to suggest).</summary>
    public const int MaxQueryLength = 100;

    /// <summary>Candidates scored per lookup at most (a one-letter prefix of a large catalog); the heaviest of each word first.</summary>
    private const int MaxCandidates = 20_000;

    /// <summary>How long after a change lookups may still read the snapshot before it (the rebuild runs in the background).</summary>
    public static readonly TimeSpan RebuildAfter = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (string Title, string? Brand, string? Category)> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _itemWeights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _brands = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _categories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueryStat> _queries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _recent = new(StringComparer.Ordinal);
    private Snapshot _snapshot = Snapshot.Empty;
    private bool _dirty;
    private long _builtAt;
    private int _building;

    private sealed class QueryStat(string text)
    {
        public string Text = text;
        public long Searches;
        /// <summary>The first <see cref="MinPeople"/> people who searched it (enough to know it is not one person's).</summary>
        public readonly List<string> People = new(MinPeople);
    }

    /// <param name="Stat">A query's counts, read at each lookup (a search counted does not rebuild the snapshot).</param>
    private sealed record Entry(SuggestionKind Kind, string Text, string Key, string[] Words, double Weight, QueryStat? Stat = null)
    {
        /// <summary>The words joined by single spaces (what "begins with the typed text" compares).</summary>
        public string Joined { get; } = string.Join(' ', Words);

        public double CurrentWeight => Stat is { } s ? Interlocked.Read(ref s.Searches) : Weight;
    }

    private sealed record Snapshot(Entry[] Entries, string[] Words, int[][] Postings)
    {
        public static readonly Snapshot Empty = new([], [], []);
    }

    public SuggestionIndex(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Distinct queries counted.</summary>
    public int QueryCount
    {
        get { lock (_gate) return _queries.Count; }
    }

    /// <summary>Adds or replaces items; hidden and blocked ones are removed (never suggested).</summary>
    public void Upsert(IEnumerable<Item> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_gate)
        {
            foreach (var item in items)
            {
                RemoveLocked(item.Id);
                if (item.Hidden || item.Blocked) continue;
                string? category = item.Categories.Count > 0 ? item.Categories[0] : null;
                _items[item.Id] = (item.Title ?? item.Id, item.Brand, category);
                if (item.Brand is { Length: > 0 } brand) _brands[brand] = _brands.GetValueOrDefault(brand) + 1;
                if (category is not null) _categories[category] = _categories.GetValueOrDefault(category) + 1;
            }
            _dirty = true;
        }
    }

    public void Remove(string itemId)
    {
        lock (_gate)
        {
            RemoveLocked(itemId);
            _dirty = true;
        }
    }

    private void RemoveLocked(string itemId)
    {
        if (!_items.Remove(itemId, out var old)) return;
        if (old.Brand is { } b && --CollectionsMarshalRef(_brands, b) <= 0) _brands.Remove(b);
        if (old.Category is { } c && --CollectionsMarshalRef(_categories, c) <= 0) _categories.Remove(c);
    }

    private static ref int CollectionsMarshalRef(Dictionary<string, int> map, string key) =>
        ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);

    /// <summary>How popular each item is (titles are ranked by it); items not named keep 0.</summary>
    public void SetItemWeights(IEnumerable<KeyValuePair<string, double>> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        lock (_gate)
        {
            _itemWeights.Clear();
            foreach (var (id, w) in weights) if (w > 0) _itemWeights[id] = w;
            _dirty = true;
        }
    }

    /// <summary>Counts a search by <paramref name="personId"/> (ignored when empty, too long or too short).</summary>
    public void AddQuery(string personId, string query)
    {
        ArgumentNullException.ThrowIfNull(personId);
        if (Normalize(query) is not { } key) return;
        lock (_gate)
        {
            if (!_queries.TryGetValue(key, out var stat))
            {
                if (_queries.Count >= QueryCapacity) DropRareQueries();
                _queries[key] = stat = new QueryStat(key);
            }
            Interlocked.Increment(ref stat.Searches);
            if (stat.People.Count < MinPeople && !stat.People.Contains(personId))
            {
                stat.People.Add(personId);
                if (stat.People.Count == MinPeople) _dirty = true; // now suggested to everyone
            }

            if (!_recent.TryGetValue(personId, out var recent))
            {
                if (_recent.Count >= PersonCapacity) _recent.Clear();
                _recent[personId] = recent = new List<string>(RecentPerPerson);
            }
            recent.Remove(key);
            recent.Insert(0, key);
            if (recent.Count > RecentPerPerson) recent.RemoveAt(recent.Count - 1);
        }
    }

    private void DropRareQueries()
    {
        var rare = new List<string>();
        foreach (var (key, stat) in _queries) if (stat.Searches <= 1) rare.Add(key);
        if (rare.Count == 0) _queries.Clear();
        foreach (string key in rare) _queries.Remove(key);
    }

    /// <summary>Moves an anonymous visitor's recent queries to the user they turned out to be.</summary>
    public void Link(string anonymousId, string userId)
    {
        lock (_gate)
        {
            if (!_recent.Remove(anonymousId, out var moved)) return;
            if (!_recent.TryGetValue(userId, out var recent)) _recent[userId] = recent = new List<string>(RecentPerPerson);
            foreach (string q in moved) if (!recent.Contains(q)) recent.Add(q);
            if (recent.Count > RecentPerPerson) recent.RemoveRange(RecentPerPerson, recent.Count - RecentPerPerson);
        }
    }

    /// <summary>Erases a person: their recent queries, and their name from the queries' people (the counts stay).</summary>
    public void Forget(string personId)
    {
        lock (_gate)
        {
            _recent.Remove(personId);
            foreach (var stat in _queries.Values)
                if (stat.People.Remove(personId)) _dirty = true;
        }
    }

    /// <summary>The person's recent queries that match <paramref name="typed"/>, newest first (all of them when it is empty).</summary>
    public IReadOnlyList<string> Recent(string personId, string typed, int count)
    {
        var words = Words(typed);
        var found = new List<string>(count);
        lock (_gate)
        {
            if (!_recent.TryGetValue(personId, out var recent)) return found;
            foreach (string q in recent)
            {
                if (found.Count == count) break;
                if (Matches(Words(q), words)) found.Add(q);
            }
        }
        return found;
    }

    /// <summary>
    /// Up to <paramref name="perKind"/> matches of each kind, those beginning with the typed text first, then the most popular.
    /// Empty <paramref name="typed"/> gives the most searched queries only.
    /// </summary>
    public Dictionary<SuggestionKind, List<SuggestionMatch>> Find(string typed, int perKind)
    {
        var snapshot = Current();
        var words = Words(typed);
        var found = new Dictionary<SuggestionKind, List<SuggestionMatch>>
        {
            [SuggestionKind.Query] = [], [SuggestionKind.Category] = [], [SuggestionKind.Brand] = [], [SuggestionKind.Item] = [],
        };
        IEnumerable<int> candidates;
        if (words.Length == 0)
        {
            var queries = new List<int>();
            for (int e = 0; e < snapshot.Entries.Length; e++) if (snapshot.Entries[e].Kind == SuggestionKind.Query) queries.Add(e);
            candidates = queries;
        }
        else candidates = Candidates(snapshot, words);
        string prefix = string.Join(' ', words);
        foreach (int e in candidates)
        {
            var entry = snapshot.Entries[e];
            if (!Matches(entry.Words, words)) continue;
            bool leading = entry.Joined.StartsWith(prefix, StringComparison.Ordinal);
            found[entry.Kind].Add(new SuggestionMatch(entry.Kind, entry.Text, entry.Key, entry.CurrentWeight, leading));
        }
        foreach (var list in found.Values)
        {
            list.Sort(static (a, b) => a.Leading != b.Leading ? (a.Leading ? -1 : 1)
                : a.Weight != b.Weight ? b.Weight.CompareTo(a.Weight) : string.CompareOrdinal(a.Text, b.Text));
            if (list.Count > perKind) list.RemoveRange(perKind, list.Count - perKind);
        }
        return found;
    }

    /// <summary>Entries holding a word that begins with the longest typed word (the most selective), heaviest first per word.</summary>
    private static HashSet<int> Candidates(Snapshot snapshot, string[] words)
    {
        string longest = words[0];
        foreach (string w in words) if (w.Length > longest.Length) longest = w;
        var set = new HashSet<int>();
        int from = Array.BinarySearch(snapshot.Words, longest, StringComparer.Ordinal);
        if (from < 0) from = ~from;
        for (int k = from; k < snapshot.Words.Length && snapshot.Words[k].StartsWith(longest, StringComparison.Ordinal); k++)
        {
            foreach (int e in snapshot.Postings[k])
            {
                set.Add(e);
                if (set.Count >= MaxCandidates) return set;
            }
        }
        return set;
    }

    /// <summary>Every typed word begins some word of the entry.</summary>
    private static bool Matches(string[] entryWords, string[] typed)
    {
        foreach (string t in typed)
        {
            bool found = false;
            foreach (string w in entryWords)
                if (w.StartsWith(t, StringComparison.Ordinal)) { found = true; break; }
            if (!found) return false;
        }
        return true;
    }

    private Snapshot Current()
    {
        long now = _time.GetTimestamp();
        bool due;
        lock (_gate) due = _dirty && (_builtAt == 0 || _time.GetElapsedTime(_builtAt, now) >= RebuildAfter);
        if (due && Interlocked.Exchange(ref _building, 1) == 0)
        {
            // The first lookup builds in place (nothing to answer from yet); later ones keep answering from the last snapshot.
            if (ReferenceEquals(Volatile.Read(ref _snapshot), Snapshot.Empty)) RebuildOnce();
            else _ = Task.Run(RebuildOnce);
        }
        return Volatile.Read(ref _snapshot);
    }

    private void RebuildOnce()
    {
        try { Rebuild(); }
        finally { Volatile.Write(ref _building, 0); }
    }

    /// <summary>Builds the lookup snapshot now (tests, and after a bulk load).</summary>
    public void Rebuild()
    {
        var entries = new List<Entry>();
        lock (_gate)
        {
            _dirty = false;
            _builtAt = _time.GetTimestamp();
            foreach (var stat in _queries.Values)
                if (stat.People.Count >= MinPeople) entries.Add(new Entry(SuggestionKind.Query, stat.Text, stat.Text, Words(stat.Text), stat.Searches, stat));
            foreach (var (path, count) in _categories)
                entries.Add(new Entry(SuggestionKind.Category, CategoryName(path), path, Words(path), count));
            foreach (var (brand, count) in _brands)
                entries.Add(new Entry(SuggestionKind.Brand, brand, brand, Words(brand), count));
            foreach (var (id, (title, _, _)) in _items)
                entries.Add(new Entry(SuggestionKind.Item, title, id, Words(title), _itemWeights.GetValueOrDefault(id)));
        }
        // Heaviest first, so that a posting list read in order meets the most popular entries first.
        entries.Sort(static (a, b) => b.Weight.CompareTo(a.Weight));
        var postings = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int e = 0; e < entries.Count; e++)
            foreach (string w in entries[e].Words)
            {
                if (!postings.TryGetValue(w, out var list)) postings[w] = list = [];
                if (list.Count == 0 || list[^1] != e) list.Add(e);
            }
        var words = postings.Keys.ToArray();
        Array.Sort(words, StringComparer.Ordinal);
        var lists = new int[words.Length][];
        for (int k = 0; k < words.Length; k++) lists[k] = [.. postings[words[k]]];
        Volatile.Write(ref _snapshot, new Snapshot([.. entries], words, lists));
    }

    /// <summary>"shoes/running-shoes" → "Shoes › Running shoes".</summary>
    public static string CategoryName(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int k = 0; k < parts.Length; k++)
        {
            string p = parts[k].Replace('-', ' ').Replace('_', ' ');
            parts[k] = p.Length == 0 ? p : char.ToUpper(p[0], CultureInfo.InvariantCulture) + p[1..];
        }
        return string.Join(" › ", parts);
    }

    /// <summary>A query as counted: lower case, single spaces; null when empty, one character or longer than
    /// <see cref="MaxQueryLength"/>.</summary>
    public static string? Normalize(string? query)
    {
        if (string.IsNullOrWhiteSpace(query)) return null;
        string key = string.Join(' ', query.Trim().ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return key.Length is < 2 or > MaxQueryLength ? null : key;
    }

    /// <summary>Lower-case words (letters and digits; anything else separates).</summary>
    public static string[] Words(string? text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var words = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool letter = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (letter && start < 0) start = i;
            else if (!letter && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return [.. words];
    }
}
