using Attune.Model;
using Attune.Search.Lexical;

namespace Attune.Serving.Search;

/// <summary>
/// The engine's search index over its catalog: filled when the catalog loads, then following every item change the engine
/// applies (HTTP writes, imports, other nodes: whatever reaches the catalog through the change feed), searchable as soon as
/// the change is applied. In memory, rebuilt at start from the catalog.
/// </summary>
public sealed class CatalogSearch : IDisposable
{
    private readonly LexicalIndex _lexical = LexicalIndex.InMemory();
    private long _version;

    [ThreadStatic] private static (CatalogSearch? Search, long Version, string? Query, int Depth, IReadOnlyList<LexicalHit>? Hits) t_last;

    /// <summary>Items searchable now.</summary>
    public int Count => _lexical.Count;

    /// <summary>Indexes (or re-indexes) <paramref name="items"/> and makes them searchable.</summary>
    public void Upsert(IEnumerable<Item> items)
    {
        foreach (var item in items) _lexical.Upsert(item);
        _lexical.Refresh();
        Interlocked.Increment(ref _version);
    }

    public void Remove(string itemId)
    {
        _lexical.Delete(itemId);
        _lexical.Refresh();
        Interlocked.Increment(ref _version);
    }

    /// <summary>
    /// The most relevant items for <paramref name="query"/> (lexical relevance, BM25), best first. The thread's last answer is
    /// kept until the index changes: one request asks twice on a large catalog (its candidate pool, then its scores).
    /// </summary>
    public IReadOnlyList<LexicalHit> Find(string query, int depth)
    {
        long version = Interlocked.Read(ref _version);
        var last = t_last;
        if (ReferenceEquals(last.Search, this) && last.Version == version && last.Depth == depth && last.Query == query) return last.Hits!;
        var hits = _lexical.Search(query, depth);
        t_last = (this, version, query, depth, hits);
        return hits;
    }

    public void Dispose() => _lexical.Dispose();
}
