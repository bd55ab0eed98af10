using System.Globalization;
using System.Text.RegularExpressions;
using Attune.Model;

namespace Attune.Search.Understanding;

/// <summary>
/// What a query asks for beyond its words: a price range ("under 100", "between 20 and 50", "€30-60", "over 200"), and the
/// brand, category and colour it names, recognised against the catalog's own vocabulary. "red stride running shoes under 100"
/// → colour red, brand Stride, category shoes/running, price below 100, words "red stride running shoes".
/// </summary>
/// <param name="Text">What is searched for: the query without its price phrase.</param>
public sealed record QueryInterpretation(string Text, double? MinPrice, double? MaxPrice, string? Brand, string? Category, string? Color)
{
    /// <summary>Whether anything beyond the words was recognised.</summary>
    public bool IsEmpty => MinPrice is null && MaxPrice is null && Brand is null && Category is null && Color is null;

    /// <summary>Whether <paramref name="price"/> is within the range asked for (no price: only when no range was asked).</summary>
    public bool PriceFits(double? price) =>
        MinPrice is null && MaxPrice is null
        || price is { } p && (MinPrice is not { } min || p >= min) && (MaxPrice is not { } max || p <= max);
}

/// <summary>
/// Recognises <see cref="QueryInterpretation"/>s. The vocabulary (brands, category paths, colours) grows with every item the
/// catalog search indexes; matching is whole words, case-insensitive, a plural "s" forgiven, the longest name first.
/// Thread-safe: reads take a snapshot of the vocabulary.
/// </summary>
public sealed partial class QueryInterpreter
{
    private readonly object _gate = new();
    private Vocabulary _vocabulary = new([], [], []);

    private sealed record Vocabulary(string[][] Brands, (string Path, string[] Words, string[] Leaf)[] Categories, string[] Colors);

    private readonly HashSet<string> _brands = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _categories = new(StringComparer.Ordinal);
    private readonly HashSet<string> _colors = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _brandNames = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds the brand, categories and colour of <paramref name="items"/> to the vocabulary.</summary>
    public void Learn(IEnumerable<Item> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        bool changed = false;
        lock (_gate)
        {
            foreach (var item in items)
            {
                if (item.Brand is { Length: > 1 } brand && _brands.Add(brand)) { _brandNames[Normalize(brand)] = brand; changed = true; }
                foreach (string c in item.Categories) changed |= _categories.Add(c);
                if ((item.Properties.GetValueOrDefault("color") ?? item.Properties.GetValueOrDefault("colour")) is string color && color.Length > 1)
                    changed |= _colors.Add(color.ToLowerInvariant());
            }
            if (!changed) return;
            var brands = _brandNames.Keys.Select(b => b.Split(' ', StringSplitOptions.RemoveEmptyEntries)).OrderByDescending(w => w.Length).ToArray();
            var categories = _categories.Select(c => (c, Words(c.Replace('/', ' ').Replace('-', ' ').Replace('_', ' ')).ToArray(),
                Words(c[(c.LastIndexOf('/') + 1)..].Replace('-', ' ').Replace('_', ' ')).ToArray())).ToArray();
            _vocabulary = new Vocabulary(brands, categories, [.. _colors]);
        }
    }

    /// <summary>Interpretations kept per query text until the vocabulary grows.</summary>
    public const int CacheSize = 20_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Vocabulary Vocabulary, QueryInterpretation Meaning)> _cache =
        new(StringComparer.Ordinal);

    public QueryInterpretation Interpret(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var v = _vocabulary;
        if (_cache.TryGetValue(query, out var cached) && ReferenceEquals(cached.Vocabulary, v)) return cached.Meaning;
        var meaning = Interpret(query, v);
        if (_cache.Count >= CacheSize) _cache.Clear();
        _cache[query] = (v, meaning);
        return meaning;
    }

    private QueryInterpretation Interpret(string query, Vocabulary v)
    {
        var (text, min, max) = Price(query);
        var words = Words(text);
        string? brand = null;
        foreach (var name in v.Brands)
        {
            if (!ContainsRun(words, name)) continue;
            lock (_gate) brand = _brandNames[string.Join(' ', name)];
            break;
        }
        // The category whose every word the query holds, the most specific (most words; a leaf before its department).
        string? category = null;
        int best = 0;
        foreach (var (path, pathWords, leafWords) in v.Categories)
        {
            int matched = 0;
            foreach (string w in pathWords) if (words.Any(q => SameWord(q, w))) matched++;
            // A leaf counts when its own words are all there: "running shoes" names shoes/running, "boots" names shoes/boots.
            bool leafNamed = leafWords.Length > 0 && leafWords.All(l => words.Any(q => SameWord(q, l)));
            if (!leafNamed || matched <= best) continue;
            best = matched;
            category = path;
        }
        string? color = v.Colors.FirstOrDefault(c => words.Contains(c, StringComparer.Ordinal));
        return new QueryInterpretation(text, min, max, brand, category, color);
    }

    /// <summary>The query without its price phrase, and the range it asks for.</summary>
    internal static (string Text, double? Min, double? Max) Price(string query)
    {
        var m = Between().Match(query);
        if (m.Success)
        {
            double a = Number(m.Groups["a"].Value), b = Number(m.Groups["b"].Value);
            return (Remove(query, m), Math.Min(a, b), Math.Max(a, b));
        }
        m = Below().Match(query);
        if (m.Success) return (Remove(query, m), null, Number(m.Groups["n"].Value));
        m = Above().Match(query);
        if (m.Success) return (Remove(query, m), Number(m.Groups["n"].Value), null);
        return (query, null, null);
    }

    private static string Remove(string query, Match m) => MultipleSpaces().Replace(query.Remove(m.Index, m.Length), " ").Trim();

    private static double Number(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?:\bbetween\s+)?(?<![\w.])(?:[€$£]\s?)?(?<a>\d{1,7}(?:\.\d{1,2})?)\s?(?:€|\$|£|eur|euros?|usd|dollars?)?\s*(?:-|–|to|and)\s*(?:[€$£]\s?)?(?<b>\d{1,7}(?:\.\d{1,2})?)(?:\s?(?:€|\$|£|eur|euros?|usd|dollars?|gbp|pounds?))?(?=\s|$)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Between();

    [GeneratedRegex(@"(?:\b(?:under|below|less\s+than|cheaper\s+than|up\s+to|at\s+most|max(?:imum)?)\s+|<\s?)(?:[€$£]\s?)?(?<n>\d{1,7}(?:\.\d{1,2})?)(?:\s?(?:€|\$|£|eur|euros?|usd|dollars?|gbp|pounds?))?(?=\s|$)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Below();

    [GeneratedRegex(@"(?:\b(?:over|above|more\s+than|at\s+least|from|min(?:imum)?)\s+|>\s?)(?:[€$£]\s?)?(?<n>\d{1,7}(?:\.\d{1,2})?)(?:\s?(?:€|\$|£|eur|euros?|usd|dollars?|gbp|pounds?))?(?=\s|$)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Above();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex MultipleSpaces();

    private static bool ContainsRun(List<string> words, string[] name)
    {
        for (int i = 0; i + name.Length <= words.Count; i++)
        {
            bool all = true;
            for (int k = 0; k < name.Length && all; k++) all = SameWord(words[i + k], name[k]);
            if (all) return true;
        }
        return false;
    }

    /// <summary>Equal ignoring case, or one is the other with a plural "s" or "es".</summary>
    private static bool SameWord(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || a.Length == b.Length + 1 && a.EndsWith('s') && a.StartsWith(b, StringComparison.Ordinal)
        || b.Length == a.Length + 1 && b.EndsWith('s') && b.StartsWith(a, StringComparison.Ordinal)
        || a.Length == b.Length + 2 && a.EndsWith("es", StringComparison.Ordinal) && a.StartsWith(b, StringComparison.Ordinal)
        || b.Length == a.Length + 2 && b.EndsWith("es", StringComparison.Ordinal) && b.StartsWith(a, StringComparison.Ordinal);

    private static string Normalize(string name) => string.Join(' ', Words(name));

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        foreach (string w in text.ToLowerInvariant().Split([' ', ',', '.', ';', ':', '!', '?', '"', '(', ')', '/'], StringSplitOptions.RemoveEmptyEntries))
            words.Add(w);
        return words;
    }
}
