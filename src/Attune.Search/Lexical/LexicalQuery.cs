using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Index;
using Lucene.Net.Search;

namespace Attune.Search.Lexical;

/// <summary>
/// What a person typed, as a Lucene query, without Lucene's query syntax: the text is analysed like the indexed fields and
/// each term becomes a disjunction over the fields weighted by <see cref="Boosts"/> (the best field counts, the others a
/// little: <see cref="TieBreaker"/>), plus a fuzzy match of the title, brand and categories for words of four letters or more
/// (one edit; two from eight letters: typos) at a lower weight; the words' sum is scaled by the share of them the item
/// matches (coordination). Two or more words add the phrase in the title (within two
/// positions), and each pair of adjacent words as a phrase in the description (within one position: "flat feet"); the last
/// word also matches as a prefix of a title word (as-you-type).
/// </summary>
internal static class LexicalQuery
{
    /// <summary>Field weights: a word in the title says more about the item than one in its description.</summary>
    public static readonly (string Field, float Boost)[] Boosts =
    [
        (LexicalIndex.Title, 3f), (LexicalIndex.Brand, 2.5f), (LexicalIndex.Categories, 2f), (LexicalIndex.Tags, 1.5f),
        (LexicalIndex.Attributes, 1f), (LexicalIndex.Description, 1f),
    ];

    public const float TieBreaker = 0.1f, FuzzyWeight = 0.4f, PhraseBoost = 2f, PrefixBoost = 1f, PairBoost = 3f;

    /// <summary>Word pairs looked for as phrases in descriptions.</summary>
    public const int MaxPairs = 8;

    /// <summary>Words beyond these are ignored (a pasted paragraph is not a query); characters beyond <see cref="MaxChars"/> too.</summary>
    public const int MaxTerms = 32, MaxChars = 1_000;

    private static readonly string[] s_fuzzyFields = [LexicalIndex.Title, LexicalIndex.Brand, LexicalIndex.Categories];

    /// <summary>The query for <paramref name="text"/>, or null when it holds no searchable word.</summary>
    public static Query? Build(Analyzer analyzer, string text, IndexReader? reader = null)
    {
        if (text.Length > MaxChars) text = text[..MaxChars];
        var terms = Terms(analyzer, LexicalIndex.Title, text);
        if (terms.Count == 0) return null;
        // The words, scored with coordination (the share of them an item matches); phrases and prefixes add to that without it.
        var words = new BooleanQuery(disableCoord: false);
        var query = new BooleanQuery(disableCoord: true);
        query.Add(words, Occur.SHOULD);
        foreach (string term in terms)
        {
            var any = new DisjunctionMaxQuery(TieBreaker);
            foreach (var (field, boost) in Boosts) any.Add(new TermQuery(new Term(field, term)) { Boost = boost });
            // A word the titles, brands or categories hold is not a typo: fuzzy matching (the costly part of a query) is for the rest.
            if (term.Length >= 4 && !Known(reader, term))
            {
                int edits = term.Length >= 8 ? 2 : 1;
                foreach (string field in s_fuzzyFields)
                    any.Add(new FuzzyQuery(new Term(field, term), edits, prefixLength: 1) { Boost = FuzzyWeight * BoostOf(field) });
            }
            words.Add(any, Occur.SHOULD);
        }
        if (terms.Count >= 2)
        {
            var phrase = new PhraseQuery { Slop = 2, Boost = PhraseBoost };
            foreach (string term in terms) phrase.Add(new Term(LexicalIndex.Title, term));
            query.Add(phrase, Occur.SHOULD);
        }
        // Adjacent words found together in the description: "flat feet" is a need, "flat" and "feet" apart are not.
        for (int k = 1; k < terms.Count && k <= MaxPairs; k++)
        {
            var pair = new PhraseQuery { Slop = 1, Boost = PairBoost };
            pair.Add(new Term(LexicalIndex.Description, terms[k - 1]));
            pair.Add(new Term(LexicalIndex.Description, terms[k]));
            query.Add(pair, Occur.SHOULD);
        }
        var raw = Terms(analyzer, LexicalIndex.TitleRaw, text);
        if (raw.Count > 0 && raw[^1].Length >= 2)
            query.Add(new PrefixQuery(new Term(LexicalIndex.TitleRaw, raw[^1])) { Boost = PrefixBoost }, Occur.SHOULD);
        return query;
    }

    /// <summary>The distinct terms <paramref name="analyzer"/> makes of <paramref name="text"/> for <paramref name="field"/>,
    /// in order, at most <see cref="MaxTerms"/>.</summary>
    public static List<string> Terms(Analyzer analyzer, string field, string text)
    {
        var terms = new List<string>();
        using var stream = analyzer.GetTokenStream(field, text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (terms.Count < MaxTerms && stream.IncrementToken())
        {
            string t = term.ToString();
            if (!terms.Contains(t)) terms.Add(t);
        }
        stream.End();
        return terms;
    }

    private static bool Known(IndexReader? reader, string term)
    {
        if (reader is null) return false;
        foreach (string field in s_fuzzyFields)
            if (reader.DocFreq(new Term(field, term)) > 0) return true;
        return false;
    }

    private static float BoostOf(string field)
    {
        foreach (var (f, boost) in Boosts) if (f == field) return boost;
        return 1;
    }
}
