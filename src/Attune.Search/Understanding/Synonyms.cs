using System.Text;

namespace Attune.Search.Understanding;

/// <summary>
/// Other words for what a query says, searched beside its own: from a file in the Solr format (<c>a, b, c</c> are
/// equivalent; <c>a =&gt; b</c> rewrites a to b; <c>#</c> starts a comment), and learned from people's reformulations
/// (<see cref="Learn"/>). A query's variants replace one phrase at a time, whole words only, case-insensitive:
/// "rucksack for hiking" with "rucksack, backpack" also searches "backpack for hiking". Thread-safe.
/// </summary>
public sealed class Synonyms
{
    /// <summary>Variants searched per query at most (its own words first).</summary>
    public const int MaxVariants = 4;

    private readonly object _gate = new();
    private Dictionary<string, string[]> _configured = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _learned = new(StringComparer.Ordinal);
    private volatile Dictionary<string, string[]> _all = new(StringComparer.Ordinal);
    private volatile int _longest;

    /// <summary>Where the configured ones came from (null: none).</summary>
    public string? Source { get; private set; }

    /// <summary>The configured synonyms, phrase → what it is also searched as.</summary>
    public IReadOnlyDictionary<string, string[]> Configured => _configured;

    /// <summary>The learned ones, phrase → what it is also searched as.</summary>
    public IReadOnlyDictionary<string, string[]> Learned
    {
        get { lock (_gate) return new Dictionary<string, string[]>(_learned, StringComparer.Ordinal); }
    }

    /// <summary>Reads a synonyms file (replacing what an earlier one said).</summary>
    /// <exception cref="FormatException">A line is malformed; the message names the file and line.</exception>
    public void Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        int number = 0;
        foreach (string raw in File.ReadLines(path))
        {
            number++;
            string line = raw;
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            if (string.IsNullOrWhiteSpace(line)) continue;
            int arrow = line.IndexOf("=>", StringComparison.Ordinal);
            if (arrow >= 0)
            {
                var from = Phrases(line[..arrow]);
                var to = Phrases(line[(arrow + 2)..]);
                if (from.Count == 0 || to.Count == 0 || line.IndexOf("=>", arrow + 2, StringComparison.Ordinal) >= 0)
                    throw new FormatException($"{path}, line {number}: expected \"a, b => c, d\" (phrases before and after one =>)");
                foreach (string f in from) Add(map, f, to);
            }
            else
            {
                var group = Phrases(line);
                if (group.Count < 2) throw new FormatException($"{path}, line {number}: expected two or more phrases separated by commas");
                foreach (string f in group) Add(map, f, group);
            }
        }
        lock (_gate)
        {
            _configured = map.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
            Source = path;
            Publish();
        }
    }

    /// <summary>Searches <paramref name="to"/> beside <paramref name="from"/> from now on (a reformulation many people made).</summary>
    public bool Learn(string from, string to)
    {
        string f = Normalize(from), t = Normalize(to);
        if (f.Length == 0 || t.Length == 0 || f == t) return false;
        lock (_gate)
        {
            if (_learned.TryGetValue(f, out var known) && known.Contains(t)) return false;
            _learned[f] = known is null ? [t] : [.. known, t];
            Publish();
        }
        return true;
    }

    private void Publish()
    {
        var all = new Dictionary<string, string[]>(_configured, StringComparer.Ordinal);
        foreach (var (f, to) in _learned) all[f] = all.TryGetValue(f, out var c) ? [.. c, .. to.Where(t => !c.Contains(t))] : to;
        int longest = 0;
        foreach (string key in all.Keys) longest = Math.Max(longest, key.Count(c => c == ' ') + 1);
        _all = all;
        _longest = longest;
    }

    /// <summary>Whether any synonym is known.</summary>
    public bool IsEmpty => _all.Count == 0;

    /// <summary>
    /// <paramref name="text"/> itself, then up to <see cref="MaxVariants"/> − 1 variants, each with one phrase of it replaced by
    /// one of its synonyms (longest phrase first).
    /// </summary>
    public IReadOnlyList<string> Variants(string text)
    {
        var all = _all;
        if (all.Count == 0 || string.IsNullOrWhiteSpace(text)) return [text];
        string[] words = Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var variants = new List<string>(MaxVariants) { text };
        for (int length = Math.Min(_longest, words.Length); length >= 1 && variants.Count < MaxVariants; length--)
            for (int start = 0; start + length <= words.Length && variants.Count < MaxVariants; start++)
            {
                string phrase = string.Join(' ', words, start, length);
                if (!all.TryGetValue(phrase, out var others)) continue;
                foreach (string other in others)
                {
                    if (other == phrase) continue;
                    var variant = new StringBuilder();
                    for (int k = 0; k < start; k++) variant.Append(words[k]).Append(' ');
                    variant.Append(other);
                    for (int k = start + length; k < words.Length; k++) variant.Append(' ').Append(words[k]);
                    string v = variant.ToString();
                    if (!variants.Contains(v)) variants.Add(v);
                    if (variants.Count == MaxVariants) break;
                }
            }
        return variants;
    }

    private static void Add(Dictionary<string, List<string>> map, string from, IEnumerable<string> to)
    {
        if (!map.TryGetValue(from, out var list)) map[from] = list = [];
        foreach (string t in to) if (t != from && !list.Contains(t)) list.Add(t);
    }

    private static List<string> Phrases(string part)
    {
        var phrases = new List<string>();
        foreach (string p in part.Split(','))
            if (Normalize(p) is { Length: > 0 } n && !phrases.Contains(n)) phrases.Add(n);
        return phrases;
    }

    /// <summary>Lower case, words separated by single spaces (punctuation other than inside words dropped).</summary>
    public static string Normalize(string text)
    {
        var b = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '\'') { if (space && b.Length > 0) b.Append(' '); b.Append(char.ToLowerInvariant(c)); space = false; }
            else space = true;
        }
        return b.ToString();
    }
}
