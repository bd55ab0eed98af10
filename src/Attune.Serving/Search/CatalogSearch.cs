using Attune.Model;
using Attune.Search;
using Attune.Search.Lexical;
using Attune.Search.Semantic;
using Attune.Search.Understanding;
using System.Collections.Concurrent;

namespace Attune.Serving.Search;

/// <summary>
/// The engine's search index over its catalog: filled when the catalog loads, then following every item change the engine
/// applies (HTTP writes, imports, other nodes: whatever reaches the catalog through the change feed). Lexically searchable as
/// soon as a change is applied; semantically once the item's vector is computed in the background (see
/// <see cref="SemanticSearch"/> for when that starts). In memory, rebuilt at start from the catalog.
/// </summary>
public sealed class CatalogSearch : IDisposable
{
    /// <summary>Matches the semantic list brings to a hybrid search.</summary>
    public const int SemanticDepth = 100;

    /// <summary>The cosine similarity below which a semantic match does not join a hybrid answer. all-MiniLM-L6-v2 puts a
    /// request in other words closer to what it means than unrelated text, but nonsense can sit as close to its nearest item
    /// as a real request: the floor keeps weak neighbours out of answers that matched words.</summary>
    public const float MinSimilarity = 0.3f;

    /// <summary>The floor when no word of the query matches anything (zero-result recovery: the answer is related by meaning
    /// only, and <see cref="MatchesWords"/> tells the caller so). The model puts a rare word the shop does not use ("rucksack")
    /// about as far from the catalog as nonsense ("qwerty asdf"): both get the nearest items rather than an empty page
    /// (<c>SemanticSearchTests</c>). Below this, nothing in the catalog is related at all.</summary>
    public const float RecoverySimilarity = 0.2f;

    /// <summary>The share of a hybrid score that comes from the words (the rest from the meaning).</summary>
    public const float LexicalWeight = 0.5f;

    private readonly LexicalIndex _lexical = LexicalIndex.InMemory();
    private readonly SemanticIndex? _semantic;
    private readonly SemanticSearch _mode;
    private readonly QueryInterpreter _interpreter = new();
    private readonly Synonyms _synonyms = new();
    private readonly ConcurrentDictionary<string, Facts> _facts = new(StringComparer.Ordinal);
    private long _version;

    /// <summary>What query understanding compares an item with.</summary>
    private readonly record struct Facts(string? Brand, string? Category, string? Color, double? Price);

    /// <summary>How much each recognised attribute (brand, category, colour) the item has lifts its relevance.</summary>
    public const float InterpretedBoost = 0.25f;

    /// <summary>Answers kept per (query, depth, mode) until the index changes: a shop's searches repeat their head all day.</summary>
    public const int ResultCacheSize = 20_000;

    private readonly ConcurrentDictionary<(string Query, int Depth, SearchMode Mode), (long Version, IReadOnlyList<SearchHit> Hits)> _results = new();
    private readonly ConcurrentDictionary<string, (long Version, bool Matched)> _matched = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Query, string Item), (long Version, IReadOnlyList<string> Words)> _words = new();

    /// <param name="semantic">When item vectors are computed; <see cref="SemanticSearch.Off"/> makes every search lexical.</param>
    /// <param name="embedder">The sentence model (default: all-MiniLM-L6-v2 on every core).</param>
    /// <param name="vectorFile">Where item vectors are saved for the next start (null: recomputed at every start).</param>
    public CatalogSearch(SemanticSearch semantic = SemanticSearch.OnFirstSearch, Func<ITextEmbedder>? embedder = null, string? vectorFile = null)
    {
        _mode = semantic;
        if (semantic != SemanticSearch.Off) _semantic = new SemanticIndex(embedder ?? (() => new MiniLmEmbedder()), vectorFile);
    }

    /// <summary>Items searchable now.</summary>
    public int Count => _lexical.Count;

    /// <summary>The share of its own score a match found through a synonym keeps (the query's own words rank first).</summary>
    public const float SynonymWeight = 0.9f;

    /// <summary>Other words searched beside a query's own: configured (<see cref="LoadSynonyms"/>) and learned.</summary>
    public Synonyms Synonyms => _synonyms;

    /// <summary>Reads a synonyms file (Solr format, see <see cref="Synonyms"/>); answers change at once.</summary>
    public void LoadSynonyms(string path)
    {
        _synonyms.Load(path);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Searches <paramref name="to"/> beside <paramref name="from"/> from now on; false when it was known.</summary>
    public bool LearnSynonym(string from, string to)
    {
        if (!_synonyms.Learn(from, to)) return false;
        Interlocked.Increment(ref _version);
        return true;
    }

    /// <summary>The semantic half (null when off): its model, vectors ready, pending, memory.</summary>
    public SemanticIndex? Semantic => _semantic;

    /// <summary>Indexes (or re-indexes) <paramref name="items"/> and makes them searchable.</summary>
    public void Upsert(IEnumerable<Item> items)
    {
        var list = items as IReadOnlyCollection<Item> ?? [.. items];
        _interpreter.Learn(list);
        foreach (var item in list)
        {
            _lexical.Upsert(item);
            if (item.Hidden || item.Blocked) _facts.TryRemove(item.Id, out _);
            else _facts[item.Id] = new Facts(item.Brand, item.Categories.Count > 0 ? item.Categories[0] : null,
                (item.Properties.GetValueOrDefault("color") ?? item.Properties.GetValueOrDefault("colour")) as string, item.Price);
            if (_semantic is null) continue;
            if (item.Hidden || item.Blocked) _semantic.Remove(item.Id);
            else _semantic.Upsert(item);
        }
        _lexical.Refresh();
        Interlocked.Increment(ref _version);
        if (_mode == SemanticSearch.AtStart) _semantic?.Start();
    }

    public void Remove(string itemId)
    {
        _lexical.Delete(itemId);
        _facts.TryRemove(itemId, out _);
        _semantic?.Remove(itemId);
        _lexical.Refresh();
        Interlocked.Increment(ref _version);
    }

    /// <summary>Completes when every item has its vector (at once when semantic search is off); starts the model if needed.</summary>
    public Task WhenVectorsReadyAsync(CancellationToken ct = default) => _semantic?.WhenIdleAsync(ct) ?? Task.CompletedTask;

    /// <summary>
    /// The most relevant items for <paramref name="query"/>, best first: lexical (BM25), semantic (cosine similarity of
    /// sentence vectors) or both. Answers are kept until the index changes (<see cref="ResultCacheSize"/> of them): one request
    /// asks more than once (its candidate pool, its scores, its facets), and a shop's searches repeat.
    /// </summary>
    public IReadOnlyList<SearchHit> Find(string query, int depth, SearchMode mode = SearchMode.Hybrid)
    {
        long version = Interlocked.Read(ref _version) + (_semantic is { } v ? v.Embedded + v.Restored : 0);
        if (_results.TryGetValue((query, depth, mode), out var cached) && cached.Version == version) return cached.Hits;
        var meaning = _interpreter.Interpret(query);
        string text = meaning.Text;
        IReadOnlyList<SearchHit> hits = text.Length == 0 ? [] : mode switch
        {
            SearchMode.Lexical => Lexical(text, depth),
            SearchMode.Semantic => _semantic?.Search(text, Math.Min(depth, SemanticDepth), MinSimilarity) ?? [],
            _ => Hybrid(text, depth),
        };
        if (!meaning.IsEmpty) hits = Apply(meaning, hits);
        Remember(_results, (query, depth, mode), (version, hits));
        return hits;
    }

    /// <summary>What <paramref name="query"/> asks for beyond its words (price range, brand, category, colour).</summary>
    public QueryInterpretation Interpret(string query) => _interpreter.Interpret(query);

    /// <summary>A price range is a filter; a recognised brand, category or colour lifts the items that have it.</summary>
    private List<SearchHit> Apply(QueryInterpretation meaning, IReadOnlyList<SearchHit> hits)
    {
        var kept = new List<SearchHit>(hits.Count);
        foreach (var hit in hits)
        {
            if (!_facts.TryGetValue(hit.ItemId, out var f)) continue;
            if (!meaning.PriceFits(f.Price)) continue;
            int matched = (meaning.Brand is { } b && string.Equals(b, f.Brand, StringComparison.OrdinalIgnoreCase) ? 1 : 0)
                + (meaning.Category is { } c && f.Category is { } fc && (fc == c || fc.StartsWith(c + "/", StringComparison.Ordinal)) ? 1 : 0)
                + (meaning.Color is { } color && string.Equals(color, f.Color, StringComparison.OrdinalIgnoreCase) ? 1 : 0);
            kept.Add(matched == 0 ? hit : hit with { Score = hit.Score * (1 + InterpretedBoost * matched) });
        }
        kept.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.ItemId, b.ItemId));
        return kept;
    }

    /// <summary>
    /// Words and meaning in one score: <see cref="LexicalWeight"/> × BM25 over the best BM25 of the answer, plus the rest ×
    /// the cosine similarity, over the union of the lexical matches (each scored by its similarity too: every item's vector
    /// is at hand) and the <see cref="SemanticDepth"/> closest items. A convex combination rather than rank fusion: an item that
    /// matches the words keeps the lead it earns, and one that matches only the meaning still ranks by how close it is.
    /// </summary>
    /// <summary>The words of <paramref name="query"/> that <paramref name="item"/> holds, as typed (for reasons: "Matches “trail”").</summary>
    public IReadOnlyList<string> MatchedWords(string query, Item item)
    {
        long version = Interlocked.Read(ref _version);
        if (_words.TryGetValue((query, item.Id), out var known) && known.Version == version) return known.Words;
        string text = _interpreter.Interpret(query).Text;
        var words = _lexical.MatchedWords(text, item);
        if (words.Count == 0 && !_synonyms.IsEmpty)
            foreach (string variant in _synonyms.Variants(text))
                if ((words = _lexical.MatchedWords(variant, item)).Count > 0) break;
        Remember(_words, (query, item.Id), (version, words));
        return words;
    }

    /// <summary>The item's title with the query's words in <c>&lt;em&gt;</c>, HTML-escaped.</summary>
    public string Highlight(string query, string title) => _lexical.Highlight(query, title);

    /// <summary>Whether any item matches a word of <paramref name="query"/> (false: whatever search answers is related by
    /// meaning only, and the caller may say so: "no exact matches; related items").</summary>
    public bool MatchesWords(string query)
    {
        string text = _interpreter.Interpret(query).Text;
        if (text.Length == 0) return false;
        long version = Interlocked.Read(ref _version);
        if (_matched.TryGetValue(text, out var known) && known.Version == version) return known.Matched;
        bool matched = Lexical(text, 1).Count > 0;
        Remember(_matched, text, (version, matched));
        return matched;
    }

    /// <summary>
    /// BM25 over the query's words and, when synonyms apply, over each variant: each list scaled to its own best, a variant's
    /// by <see cref="SynonymWeight"/>, an item keeping its best.
    /// </summary>
    private IReadOnlyList<SearchHit> Lexical(string text, int depth)
    {
        var variants = _synonyms.Variants(text);
        if (variants.Count == 1) return _lexical.Search(text, depth);
        var best = new Dictionary<string, float>(StringComparer.Ordinal);
        for (int v = 0; v < variants.Count; v++)
        {
            var hits = _lexical.Search(variants[v], depth);
            if (hits.Count == 0) continue;
            float scale = (v == 0 ? 1 : SynonymWeight) / hits[0].Score;
            foreach (var hit in hits)
            {
                float score = hit.Score * scale;
                if (!best.TryGetValue(hit.ItemId, out float known) || score > known) best[hit.ItemId] = score;
            }
        }
        var merged = new List<SearchHit>(best.Count);
        foreach (var (id, score) in best) merged.Add(new SearchHit(id, score));
        merged.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.ItemId, b.ItemId));
        if (merged.Count > depth) merged.RemoveRange(depth, merged.Count - depth);
        return merged;
    }

    private IReadOnlyList<SearchHit> Hybrid(string query, int depth)
    {
        var lexical = Lexical(query, depth);
        Remember(_matched, query, (Interlocked.Read(ref _version), lexical.Count > 0));
        if (_semantic?.QueryVector(query) is not { } vector) return lexical;
        if (lexical.Count == 0) return _semantic.Search(vector, SemanticDepth, RecoverySimilarity);
        var semantic = _semantic.Search(vector, SemanticDepth, MinSimilarity);
        var ids = new string[lexical.Count];
        for (int k = 0; k < ids.Length; k++) ids[k] = lexical[k].ItemId;
        var similarity = new float[ids.Length];
        _semantic.Similarities(vector, ids, similarity);
        float best = lexical[0].Score;
        var scores = new Dictionary<string, float>(lexical.Count + semantic.Count, StringComparer.Ordinal);
        for (int k = 0; k < ids.Length; k++)
            scores[ids[k]] = LexicalWeight * lexical[k].Score / best + (1 - LexicalWeight) * (float.IsNaN(similarity[k]) ? 0 : Math.Max(similarity[k], 0));
        foreach (var hit in semantic)
            if (!scores.ContainsKey(hit.ItemId)) scores[hit.ItemId] = (1 - LexicalWeight) * hit.Score;
        var hits = new List<SearchHit>(scores.Count);
        foreach (var (id, score) in scores) hits.Add(new SearchHit(id, score));
        hits.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.ItemId, b.ItemId));
        if (hits.Count > depth) hits.RemoveRange(depth, hits.Count - depth);
        return hits;
    }

    /// <summary>Keeps <paramref name="value"/>; a full cache starts over (no eviction order to keep on the hot path).</summary>
    private static void Remember<TKey, TValue>(ConcurrentDictionary<TKey, TValue> cache, TKey key, TValue value) where TKey : notnull
    {
        if (cache.Count >= ResultCacheSize) cache.Clear();
        cache[key] = value;
    }

    public void Dispose()
    {
        _semantic?.Dispose();
        _lexical.Dispose();
    }
}

/// <summary>When the catalog search computes item vectors (semantic retrieval).</summary>
public enum SemanticSearch
{
    /// <summary>Never: search is lexical only (no model loaded, no background work).</summary>
    Off,
    /// <summary>From the first search on: a process that never searches never loads the model; the first searches after a
    /// start are lexical until the vectors are ready.</summary>
    OnFirstSearch,
    /// <summary>As soon as the catalog loads.</summary>
    AtStart,
}
