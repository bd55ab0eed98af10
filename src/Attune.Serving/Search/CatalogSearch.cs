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

    /// <summary>Items searchable now.</summary>
    public int Count => _lexical.Count;

    /// <summary>Indexes (or re-indexes) <paramref name="items"/> and makes them searchable.</summary>
    public void Upsert(IEnumerable<Item> items)
    {
        foreach (var item in items) _lexical.Upsert(item);
        _lexical.Refresh();
    }

    public void Remove(string itemId)
    {
        _lexical.Delete(itemId);
        _lexical.Refresh();
    }

    /// <summary>The most relevant items for <paramref name="query"/> (lexical relevance, BM25), best first.</summary>
    public IReadOnlyList<LexicalHit> Find(string query, int depth) => _lexical.Search(query, depth);

    public void Dispose() => _lexical.Dispose();
}
