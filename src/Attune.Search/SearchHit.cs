namespace Attune.Search;

/// <summary>One item a search found, and its relevance: BM25 for a lexical search, cosine similarity for a semantic one,
/// the fused score for a hybrid one. Comparable within one answer only.</summary>
public readonly record struct SearchHit(string ItemId, float Score);
