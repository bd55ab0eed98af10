namespace Attune.Search;

/// <summary>How a search finds its matches.</summary>
public enum SearchMode
{
    /// <summary>Words: BM25 over the item's fields (typos, stems, prefixes).</summary>
    Lexical,
    /// <summary>Meaning: the query's sentence vector against the items'.</summary>
    Semantic,
    /// <summary>Both: words and meaning in one score.</summary>
    Hybrid,
}
