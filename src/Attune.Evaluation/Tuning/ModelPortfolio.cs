using Attune.Algorithms.Data;

namespace Attune.Evaluation.Tuning;

/// <summary>A configuration <see cref="ModelSearch"/> tries: a model, its parameters, and where they come from.</summary>
/// <param name="Origin">Why it is tried: <c>default</c> (a model's defaults), <c>portfolio</c> (good on a shared benchmark,
/// named in <see cref="Candidate.Note"/>), <c>refine</c> or <c>random</c> (the search's own steps).</param>
public sealed record Candidate(string Model, IReadOnlyDictionary<string, string> Parameters, string Origin, string? Note = null);

/// <summary>
/// What <see cref="ModelSearch"/> starts from, per kind of question (<see cref="PredictionTask"/>): every single model's
/// defaults (always tried: the search never returns less than the best of them), then a portfolio of configurations that did
/// well on the shared public benchmarks (docs/benchmarks.md). A configuration is in the portfolio because it is good on some
/// data; which one suits new data is decided on that data's validation split, never by the dataset's name.
/// </summary>
public static class ModelPortfolio
{
    private static IReadOnlyDictionary<string, string> P(params string[] pairs)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=');
            d[pair[..eq]] = pair[(eq + 1)..];
        }
        return d;
    }

    /// <summary>The single models whose defaults are always tried, cheapest first.</summary>
    public static IReadOnlyList<Candidate> Defaults(PredictionTask task) => task == PredictionTask.HeldOutSet
        ?
        [
            new("popularity", P(), "default"),
            new("als", P(), "default"),
            new("itemknn", P(), "default"),
            new("ease", P(), "default"),
        ]
        :
        [
            new("popularity", P(), "default"),
            new("itemknn", P(), "default"),
            new("sequence", P(), "default"),
        ];

    /// <summary>Configurations that did well on one of the shared benchmarks, best bets first; tried while the budget lasts.</summary>
    public static IReadOnlyList<Candidate> Portfolio(PredictionTask task) => task == PredictionTask.HeldOutSet
        ?
        [
            new("hybrid", P("components=ease,als"), "portfolio", "EASE + iALS, weights learned: MovieLens 100k"),
            // Averaged over three seeds: one fit's ranking depends on its initial factors (MovieLens 100k MAP 0.1543–0.1558
            // over seven seeds for the blend of this iALS with EASE); steps around it keep the averaging.
            new("als", P("alpha=0.19151", "alpha0=0.21991", "factors=79", "reg=0.143248", "regExp=0.736295", "seeds=3"), "portfolio",
                "iALS tuned on MovieLens 100k validation (bench/params), three seeds averaged"),
            new("hybrid", P("components=ease,als", "als.alpha=0.19151", "als.alpha0=0.21991", "als.factors=79", "als.reg=0.143248",
                "als.regExp=0.736295", "als.seeds=3"), "portfolio", "EASE + the tuned iALS"),
            new("hybrid", P(), "portfolio", "every component, weights learned"),
            new("ease", P("lambda=250"), "portfolio", "EASE, lighter regularisation"),
            new("ease", P("lambda=1000"), "portfolio", "EASE, heavier regularisation"),
        ]
        :
        [
            new("sequence", P("learn=true"), "portfolio", "learned blend: Diginetica, Toys, Sports"),
            new("sequence", P("learn=true", "stack=users"), "portfolio", "learned blend over users' histories: Toys, Sports"),
            new("sequence", P("learn=true", "k=200", "lambdaSession=3", "idf=0.5", "lengthNorm=0.25", "lambdaAfter=8", "beforeWeight=0.9",
                "lambdaBefore=4", "transitions=0.3", "window=5", "stepDecay=0.7", "backward=0.3", "rowNorm=0.8", "keep=500", "history=3",
                "historyDecay=0.3", "lambdaRepeat=5", "stackCandidates=300", "blend=2", "repeat=2.4"), "portfolio",
                "short sessions: Diginetica"),
            new("sequence", P("transitions=0", "knnHistory=50", "lambdaSession=5", "k=1000", "idf=0.3", "lambdaAfter=100", "beforeWeight=1",
                "lambdaBefore=100"), "portfolio", "long histories, neighbours only: Yelp"),
            new("hybrid", P(), "portfolio", "every component, weights learned"),
            // Last: a minute to train, and once tried the search keeps time for blending it (ModelSearch.BlendReserve).
            new("sasrec", P(), "portfolio", "SASRec (self-attention over the history): blended with the sequence model, Toys, LastFM"),
        ];
}
