using Attune.Model;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Attune.Search.Lexical;

/// <summary>
/// The catalog's full-text index (Lucene.NET): each item's title, brand, categories, tags, description and text attributes,
/// analysed in English (stemming, so "shoes" finds "shoe"; stop words dropped) and ranked by BM25. Items are added, replaced
/// and removed by id; <see cref="Refresh"/> makes the changes searchable (near-real-time: no commit to disk needed). In memory
/// by default, or in a folder (<see cref="Open"/>) kept beside the store.
/// </summary>
/// <remarks>
/// Queries are never parsed as Lucene syntax: the text is analysed like the titles and each term becomes a weighted
/// disjunction over the fields (<see cref="LexicalQuery"/>), so quotes, colons, brackets or <c>AND</c> in what a shopper
/// types are just text.
/// </remarks>
public sealed class LexicalIndex : IDisposable
{
    internal const LuceneVersion Version = LuceneVersion.LUCENE_48;
    internal const string Id = "id", Title = "title", TitleRaw = "title_raw", Brand = "brand", Categories = "categories",
        Tags = "tags", Description = "description", Attributes = "attributes";

    private readonly LuceneDirectory _directory;
    private readonly Analyzer _analyzer;
    private readonly IndexWriter _writer;
    private readonly SearcherManager _searchers;

    private LexicalIndex(LuceneDirectory directory)
    {
        _directory = directory;
        _analyzer = CreateAnalyzer();
        _writer = new IndexWriter(directory, new IndexWriterConfig(Version, _analyzer)
        {
            OpenMode = OpenMode.CREATE_OR_APPEND,
            Similarity = new BM25Similarity(),
        });
        _searchers = new SearcherManager(_writer, true, new Bm25SearcherFactory());
    }

    /// <summary>An index held in memory (rebuilt from the catalog at start).</summary>
    public static LexicalIndex InMemory() => new(new RAMDirectory());

    /// <summary>An index in <paramref name="folder"/> (created when missing).</summary>
    public static LexicalIndex Open(string folder)
    {
        System.IO.Directory.CreateDirectory(folder);
        return new LexicalIndex(FSDirectory.Open(folder));
    }

    /// <summary>Items searchable now (after the last <see cref="Refresh"/>).</summary>
    public int Count
    {
        get
        {
            var searcher = _searchers.Acquire();
            try { return searcher.IndexReader.NumDocs; }
            finally { _searchers.Release(searcher); }
        }
    }

    /// <summary>Adds or replaces <paramref name="item"/> (by id); a hidden or blocked item is removed instead.</summary>
    public void Upsert(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Hidden || item.Blocked)
        {
            Delete(item.Id);
            return;
        }
        _writer.UpdateDocument(new Term(Id, item.Id), ToDocument(item));
    }

    public void Delete(string itemId) => _writer.DeleteDocuments(new Term(Id, itemId));

    /// <summary>Makes every change so far searchable (cheap when nothing changed).</summary>
    public void Refresh() => _searchers.MaybeRefreshBlocking();

    /// <summary>Writes the changes to the folder (an in-memory index has nothing to write).</summary>
    public void Commit() => _writer.Commit();

    /// <summary>The <paramref name="count"/> most relevant items for what a person typed (an empty list when nothing matches or
    /// the text holds no searchable word).</summary>
    public IReadOnlyList<SearchHit> Search(string text, int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var searcher = _searchers.Acquire();
        try
        {
            var query = LexicalQuery.Build(_analyzer, text, searcher.IndexReader);
            if (query is null) return [];
            var top = searcher.Search(query, count);
            var hits = new SearchHit[top.ScoreDocs.Length];
            var fields = new HashSet<string> { Id };
            for (int i = 0; i < hits.Length; i++)
            {
                var doc = searcher.Doc(top.ScoreDocs[i].Doc, fields);
                hits[i] = new SearchHit(doc.Get(Id), top.ScoreDocs[i].Score);
            }
            return hits;
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>
    /// The words of what a person typed that <paramref name="item"/>'s text holds (title, brand, categories, tags, text
    /// attributes, description), compared after English analysis ("shoes" matches "shoe"), as the person typed them, in their
    /// order. Typos forgiven by the search are not listed.
    /// </summary>
    public IReadOnlyList<string> MatchedWords(string text, Item item)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(item);
        var words = QueryWords(text);
        if (words.Count == 0) return [];
        var terms = new HashSet<string>(StringComparer.Ordinal);
        AddTerms(item.Title, terms);
        AddTerms(item.Brand, terms);
        foreach (string c in item.Categories) AddTerms(c, terms);
        foreach (string t in item.Tags) AddTerms(t, terms);
        AddTerms(item.Description, terms);
        foreach (var (_, value) in item.Properties)
        {
            if (value is string v) AddTerms(v, terms);
            else if (value is IEnumerable<string> many) foreach (string m in many) AddTerms(m, terms);
        }
        var matched = new List<string>(words.Count);
        foreach (var (term, word) in words)
            if (terms.Contains(term) && !matched.Contains(word, StringComparer.OrdinalIgnoreCase)) matched.Add(word);
        return matched;
    }

    /// <summary><paramref name="title"/> with the words of <paramref name="text"/> it holds wrapped in <c>&lt;em&gt;</c>, the rest
    /// HTML-escaped: ready for a results page.</summary>
    public string Highlight(string text, string title)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(title);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (term, _) in QueryWords(text)) wanted.Add(term);
        var html = new System.Text.StringBuilder(title.Length + 32);
        int at = 0;
        using (var stream = _analyzer.GetTokenStream(Description, title))
        {
            var term = stream.AddAttribute<Lucene.Net.Analysis.TokenAttributes.ICharTermAttribute>();
            var offset = stream.AddAttribute<Lucene.Net.Analysis.TokenAttributes.IOffsetAttribute>();
            stream.Reset();
            while (stream.IncrementToken())
            {
                if (!wanted.Contains(term.ToString()) || offset.StartOffset < at) continue;
                html.Append(System.Net.WebUtility.HtmlEncode(title[at..offset.StartOffset]))
                    .Append("<em>").Append(System.Net.WebUtility.HtmlEncode(title[offset.StartOffset..offset.EndOffset])).Append("</em>");
                at = offset.EndOffset;
            }
            stream.End();
        }
        return html.Append(System.Net.WebUtility.HtmlEncode(title[at..])).ToString();
    }

    /// <summary>Each analysed term of what a person typed, with the word it came from.</summary>
    private List<(string Term, string Word)> QueryWords(string text)
    {
        if (text.Length > LexicalQuery.MaxChars) text = text[..LexicalQuery.MaxChars];
        var words = new List<(string, string)>();
        using var stream = _analyzer.GetTokenStream(Description, text);
        var term = stream.AddAttribute<Lucene.Net.Analysis.TokenAttributes.ICharTermAttribute>();
        var offset = stream.AddAttribute<Lucene.Net.Analysis.TokenAttributes.IOffsetAttribute>();
        stream.Reset();
        while (words.Count < LexicalQuery.MaxTerms && stream.IncrementToken())
            words.Add((term.ToString(), text[offset.StartOffset..offset.EndOffset]));
        stream.End();
        return words;
    }

    private void AddTerms(string? text, HashSet<string> terms)
    {
        if (string.IsNullOrEmpty(text)) return;
        using var stream = _analyzer.GetTokenStream(Description, text);
        var term = stream.AddAttribute<Lucene.Net.Analysis.TokenAttributes.ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken()) terms.Add(term.ToString());
        stream.End();
    }

    public void Dispose()
    {
        _searchers.Dispose();
        _writer.Dispose();
        _analyzer.Dispose();
        _directory.Dispose();
    }

    /// <summary>English analysis for the text fields; the id as one token; an unstemmed copy of the title for prefixes.</summary>
    internal static Analyzer CreateAnalyzer() => new PerFieldAnalyzerWrapper(new EnglishAnalyzer(Version), new Dictionary<string, Analyzer>
    {
        [Id] = new KeywordAnalyzer(),
        [TitleRaw] = new StandardAnalyzer(Version, CharArraySet.Empty),
    });

    private static Document ToDocument(Item item)
    {
        var doc = new Document { new StringField(Id, item.Id, Field.Store.YES) };
        if (item.Title is { } title)
        {
            doc.Add(new TextField(Title, title, Field.Store.NO));
            doc.Add(new TextField(TitleRaw, title, Field.Store.NO));
        }
        if (item.Brand is { } brand) doc.Add(new TextField(Brand, brand, Field.Store.NO));
        foreach (string path in item.Categories) doc.Add(new TextField(Categories, path.Replace('/', ' ').Replace('-', ' '), Field.Store.NO));
        foreach (string tag in item.Tags) doc.Add(new TextField(Tags, tag, Field.Store.NO));
        if (item.Description is { } description) doc.Add(new TextField(Description, description, Field.Store.NO));
        foreach (var (name, value) in item.Properties)
        {
            if (value is string s) doc.Add(new TextField(Attributes, s, Field.Store.NO));
            else if (value is IEnumerable<string> many) foreach (string v in many) doc.Add(new TextField(Attributes, v, Field.Store.NO));
            else if (value is System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } json)
                doc.Add(new TextField(Attributes, json.GetString()!, Field.Store.NO));
        }
        return doc;
    }

    private sealed class Bm25SearcherFactory : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = new CoverageSimilarity() };
    }

    /// <summary>BM25, times the share of the query's words an item matches (Lucene's coordination factor, which BM25 leaves
    /// out): "running shoes for flat feet" ranks a shoe whose description speaks of flat feet above one that only says
    /// running shoe in a shorter title.</summary>
    private sealed class CoverageSimilarity : BM25Similarity
    {
        public override float Coord(int overlap, int maxOverlap) => maxOverlap <= 0 ? 1f : (float)overlap / maxOverlap;
    }
}
