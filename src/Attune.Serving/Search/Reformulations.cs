using Attune.Search.Understanding;

namespace Attune.Serving.Search;

/// <summary>
/// Synonyms learned from how people reword a search: when a query's words match nothing in the catalog and the same person's
/// next search, within <see cref="WindowMs"/>, matches, the first is taken to mean the second. Once <see cref="MinPeople"/>
/// different people made the same rewording, the first query is searched as the second too ("rucksack" ⇒ "backpack").
/// Thread-safe.
/// </summary>
/// <param name="matchesWords">Whether a query's words match an item (the catalog search).</param>
/// <param name="learn">Adds the synonym (from, to); true when it was new.</param>
public sealed class Reformulations(Func<string, bool> matchesWords, Func<string, string, bool> learn)
{
    /// <summary>The longest pause between a search and its rewording.</summary>
    public const long WindowMs = 120_000;

    /// <summary>Different people who must make the same rewording before it is learned.</summary>
    public const int MinPeople = 3;

    /// <summary>People and rewordings remembered; when full, the maps start over.</summary>
    private const int Capacity = 200_000;

    private readonly object _gate = new();
    private readonly Dictionary<string, (string Query, long Ms)> _last = new(StringComparer.Ordinal);
    private readonly Dictionary<(string From, string To), List<string>> _pairs = new();
    private long _learned;

    /// <summary>Synonyms learned since the start.</summary>
    public long Learned => Interlocked.Read(ref _learned);

    public void Observe(string personId, string query, long timestampMs)
    {
        string q = Synonyms.Normalize(query);
        if (q.Length == 0) return;
        (string From, string To)? learned = null;
        lock (_gate)
        {
            if (_last.TryGetValue(personId, out var previous) && previous.Query != q
                && timestampMs - previous.Ms is >= 0 and <= WindowMs
                && !matchesWords(previous.Query) && matchesWords(q))
            {
                var key = (previous.Query, q);
                if (!_pairs.TryGetValue(key, out var people))
                {
                    if (_pairs.Count >= Capacity) _pairs.Clear();
                    _pairs[key] = people = new List<string>(MinPeople);
                }
                if (people.Count < MinPeople && !people.Contains(personId))
                {
                    people.Add(personId);
                    if (people.Count == MinPeople) learned = key;
                }
            }
            if (_last.Count >= Capacity) _last.Clear();
            _last[personId] = (q, timestampMs);
        }
        if (learned is { } pair && learn(pair.From, pair.To)) Interlocked.Increment(ref _learned);
    }

    /// <summary>Erases a person from what is being counted (a synonym already learned stays: it holds nothing of theirs).</summary>
    public void Forget(string personId)
    {
        lock (_gate)
        {
            _last.Remove(personId);
            foreach (var people in _pairs.Values) people.Remove(personId);
        }
    }
}
