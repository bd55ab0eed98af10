using Attune.Evaluation.Search;
using Attune.Serving.Recipes;

namespace Attune.Serving.Search;

/// <summary>
/// Scores an engine's search against judged queries (<see cref="SearchJudgements"/>) in three modes, each the product's own
/// path (the <c>search</c> scenario through the whole pipeline, rules and guardrails included), with a recipe:
/// <list type="bullet">
/// <item><c>lexical</c>: words only (the <c>lexical</c> source), asked anonymously: BM25 alone.</item>
/// <item><c>hybrid</c>: words and meaning fused (the <c>search</c> source), asked anonymously.</item>
/// <item><c>personal</c>: the default recipe's search scenario (hybrid relevance blended with the person's tastes), asked as
/// the query's person (anonymously when the query names nobody).</item>
/// </list>
/// </summary>
public static class SearchEvaluation
{
    public const string LexicalMode = "lexical", HybridMode = "hybrid", PersonalMode = "personal";

    public static IReadOnlyList<string> Modes { get; } = [LexicalMode, HybridMode, PersonalMode];

    /// <summary>Results asked for per query (recall is measured at 100).</summary>
    public const int Depth = 100;

    private const string LexicalRecipe = "evaluation-lexical", HybridRecipe = "evaluation-hybrid";

    /// <summary>Scores every judged query in every mode. Waits for the item vectors first.</summary>
    public static async Task<SearchEvaluationResult> RunAsync(ServingEngine engine, SearchJudgements judgements, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(judgements);
        await engine.PutRecipeAsync(Only(LexicalRecipe, "lexical"), ct).ConfigureAwait(false);
        await engine.PutRecipeAsync(Only(HybridRecipe, "search"), ct).ConfigureAwait(false);
        await engine.Search.WhenVectorsReadyAsync(ct).ConfigureAwait(false);

        var results = new Dictionary<string, IReadOnlyDictionary<string, SearchScore>>(StringComparer.Ordinal);
        var perQuery = new List<QueryResult>(judgements.Queries.Count * Modes.Count);
        foreach (string mode in Modes)
        {
            var groups = new Dictionary<string, SearchScore>(StringComparer.Ordinal) { ["all"] = new() };
            foreach (var query in judgements.Queries)
            {
                ct.ThrowIfCancellationRequested();
                if (!judgements.Grades.TryGetValue(query.Id, out var grades) || grades.Count == 0) continue;
                bool personal = mode == PersonalMode && query.UserId is not null;
                var answer = engine.Recommend(new RecommendationRequest
                {
                    UserId = personal ? query.UserId : null,
                    AnonymousId = personal ? null : "evaluation-" + query.Id,
                    Scenario = "search",
                    Recipe = mode switch { LexicalMode => LexicalRecipe, HybridMode => HybridRecipe, _ => null },
                    Query = query.Text,
                    Count = Depth,
                    Explain = false,
                });
                var ranked = new string[answer.Items.Count];
                for (int r = 0; r < ranked.Length; r++) ranked[r] = answer.Items[r].Id;
                groups["all"].Add(ranked, grades);
                perQuery.Add(new QueryResult(query.Id, query.Group, mode, SearchMetrics.NdcgAt(10, ranked, grades), ranked.Length,
                    ranked.Length > 10 ? ranked[..10] : ranked));
                if (!groups.TryGetValue(query.Group, out var score)) groups[query.Group] = score = new SearchScore();
                score.Add(ranked, grades);
            }
            results[mode] = groups;
        }
        return new SearchEvaluationResult(results, perQuery);
    }

    private static Recipe Only(string name, string source) => new()
    {
        Name = name,
        Description = "The search evaluation's " + source + " relevance alone",
        Scenarios = new(StringComparer.OrdinalIgnoreCase) { ["search"] = new RecipeScenario { Sources = new() { [source] = 1f } } },
    };
}

/// <summary>A search evaluation: mode → group → score (group <c>all</c> holds every query), and each query's result.</summary>
public sealed record SearchEvaluationResult(IReadOnlyDictionary<string, IReadOnlyDictionary<string, SearchScore>> Scores,
    IReadOnlyList<QueryResult> Queries);

/// <summary>One query in one mode: its nDCG@10, how many results it answered, and its first ten.</summary>
public sealed record QueryResult(string Id, string Group, string Mode, double Ndcg10, int Results, IReadOnlyList<string> Top10);
