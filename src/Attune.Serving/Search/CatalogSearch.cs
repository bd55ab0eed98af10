using Attune.Model;
using Attune.Search;
using Attune.Search.Lexical;
using Attune.Search.Semantic;

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

    /// <summary>The cosine similarity below which a semantic match is not a match. all-MiniLM-L6-v2 puts a request in other words
    /// 0.3–0.7 from what it means ("rucksack" 0.31 from a backpack, "jogging footwear" 0.66 from a running shoe), unrelated text
    /// below 0.25, and nonsense up to about 0.34 from its nearest item: a query that matches no word and only such weak meaning
    /// is answered with what is related (<see cref="MatchesWords"/> tells the caller), not with an empty page.</summary>
    public const float MinSimilarity = 0.3f;

    /// <summary>The share of a hybrid score that comes from the words (the rest from the meaning).</summary>
    public const float LexicalWeight = 0.5f;

    private readonly LexicalIndex _lexical = LexicalIndex.InMemory();
    private readonly SemanticIndex? _semantic;
    private readonly SemanticSearch _mode;
    private long _version;

    [ThreadStatic] private static (CatalogSearch? Search, long Version, string? Query, int Depth, SearchMode Mode, IReadOnlyList<SearchHit>? Hits) t_last;

    /// <param name="semantic">When item vectors are computed; <see cref="SemanticSearch.Off"/> makes every search lexical.</param>
    /// <param name="embedder">The sentence model (default: all-MiniLM-L6-v2 on every core).</param>
    public CatalogSearch(SemanticSearch semantic = SemanticSearch.OnFirstSearch, Func<ITextEmbedder>? embedder = null)
    {
        _mode = semantic;
        if (semantic != SemanticSearch.Off) _semantic = new SemanticIndex(embedder ?? (() => new MiniLmEmbedder()));
    }

    /// <summary>Items searchable now.</summary>
    public int Count => _lexical.Count;

    /// <summary>The semantic half (null when off): its model, vectors ready, pending, memory.</summary>
    public SemanticIndex? Semantic => _semantic;

    /// <summary>Indexes (or re-indexes) <paramref name="items"/> and makes them searchable.</summary>
    public void Upsert(IEnumerable<Item> items)
    {
        foreach (var item in items)
        {
            _lexical.Upsert(item);
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
        _semantic?.Remove(itemId);
        _lexical.Refresh();
        Interlocked.Increment(ref _version);
    }

    /// <summary>Completes when every item has its vector (at once when semantic search is off); starts the model if needed.</summary>
    public Task WhenVectorsReadyAsync(CancellationToken ct = default) => _semantic?.WhenIdleAsync(ct) ?? Task.CompletedTask;

    /// <summary>
    /// The most relevant items for <paramref name="query"/>, best first: lexical (BM25), semantic (cosine similarity of
    /// sentence vectors) or both fused by reciprocal rank. The thread's last answer is kept until the index changes: one
    /// request asks twice on a large catalog (its candidate pool, then its scores).
    /// </summary>
    public IReadOnlyList<SearchHit> Find(string query, int depth, SearchMode mode = SearchMode.Hybrid)
    {
        long version = Interlocked.Read(ref _version) + (_semantic?.Embedded ?? 0);
        var last = t_last;
        if (ReferenceEquals(last.Search, this) && last.Version == version && last.Depth == depth && last.Mode == mode && last.Query == query)
            return last.Hits!;
        IReadOnlyList<SearchHit> hits = mode switch
        {
            SearchMode.Lexical => _lexical.Search(query, depth),
            SearchMode.Semantic => _semantic?.Search(query, Math.Min(depth, SemanticDepth), MinSimilarity) ?? [],
            _ => Hybrid(query, depth),
        };
        t_last = (this, version, query, depth, mode, hits);
        return hits;
    }

    /// <summary>
    /// Words and meaning in one score: <see cref="LexicalWeight"/> × BM25 over the best BM25 of the answer, plus the rest ×
    /// the cosine similarity, over the union of the lexical matches (each scored by its similarity too: every item's vector
    /// is at hand) and the <see cref="SemanticDepth"/> closest items. A convex combination rather than rank fusion: an item that
    /// matches the words keeps the lead it earns, and one that matches only the meaning still ranks by how close it is.
    /// </summary>
    /// <summary>Whether any item matches a word of <paramref name="query"/> (false: whatever search answers is related by
    /// meaning only, and the caller may say so: "no exact matches; related items").</summary>
    public bool MatchesWords(string query) => _lexical.Search(query, 1).Count > 0;

    private IReadOnlyList<SearchHit> Hybrid(string query, int depth)
    {
        var lexical = _lexical.Search(query, depth);
        if (_semantic?.QueryVector(query) is not { } vector) return lexical;
        var semantic = _semantic.Search(vector, SemanticDepth, MinSimilarity);
        if (lexical.Count == 0) return semantic;
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
