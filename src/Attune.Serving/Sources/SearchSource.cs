using Attune.Search;

namespace Attune.Serving.Sources;

/// <summary>
/// Relevance to the request's query (<see cref="RecommendationRequest.Query"/>): the catalog search's best
/// <see cref="Depth"/> matches scored by their relevance, nothing else. Three of them: <c>search</c> (hybrid: words and
/// meaning in one score: ½ BM25 over the best + ½ cosine), <c>lexical</c> (words only, BM25) and <c>semantic</c> (meaning only). The <c>search</c>
/// scenario restricts its answer to what they found, and blends it with the person's tastes (the other sources) like any
/// scenario.
/// </summary>
public sealed class SearchSource(string name = "search", SearchMode mode = SearchMode.Hybrid) : CandidateSource
{
    /// <summary>The names of the three in the default registry, comma-separated (what the search scenario restricts to).</summary>
    public const string Names = "search,lexical,semantic";

    /// <summary>How many matches a query brings to the blend (the rest of the catalog scores 0).</summary>
    public const int Depth = 500;

    public override string Name => name;

    public override string Description => mode switch
    {
        SearchMode.Lexical => "Relevance to the search query by its words (BM25 over titles, brands, categories, tags, descriptions and attributes)",
        SearchMode.Semantic => "Relevance to the search query by its meaning (sentence vectors of the query and the item's text)",
        _ => "Relevance to the search query: its words (BM25) and its meaning (sentence vectors) in one score",
    };

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        if (context.Search is not { } search || context.Request.Query is not { } query) return SourceScores.None;
        var catalog = context.State.Catalog;
        foreach (var hit in search.Find(query, Depth, mode))
            if (catalog.IndexOf(hit.ItemId) is >= 0 and var j && j < context.ItemCount) pool.Add(j);
        return SourceScores.None;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        if (context.Search is not { } search || context.Request.Query is not { } query) return SourceScores.None;
        var hits = search.Find(query, Depth, mode);
        if (hits.Count == 0) return SourceScores.None;
        int n = context.ItemCount;
        Array.Clear(buffer, 0, n);
        var catalog = context.State.Catalog;
        foreach (var hit in hits)
            if (catalog.IndexOf(hit.ItemId) is >= 0 and var j && j < n) buffer[j] = hit.Score;
        return new SourceScores(buffer, n);
    }

    /// <summary>"Matches “trail”, “runner”" (the query's words the item holds), or "Related to “…”" when it matched by meaning only.</summary>
    public override string? Explain(SourceContext context, int item)
    {
        if (context.Request.Query is not { } query) return null;
        var words = context.Search is { } search && context.State.Catalog.Columns.Items[item] is { } it ? search.MatchedWords(query, it) : [];
        if (words.Count == 0) return $"Related to “{(query.Length > 40 ? query[..40] + "…" : query)}”";
        var reason = new System.Text.StringBuilder("Matches ");
        for (int k = 0; k < words.Count && k < 4; k++) reason.Append(k == 0 ? "" : ", ").Append('“').Append(words[k]).Append('”');
        return reason.ToString();
    }
}
