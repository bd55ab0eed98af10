using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Attune.Demo;

/// <summary>One judged query: its id, its group (<see cref="DemoSearchSet.Lexical"/>, <see cref="DemoSearchSet.Paraphrase"/>
/// or <see cref="DemoSearchSet.Personal"/>), the person asking and the text.</summary>
public sealed record DemoSearchQuery(string Id, string Group, string? UserId, string Text);

/// <summary>
/// Judged search queries over a demo shop, made from its hidden truth, for <c>attune evaluate --protocol search</c>:
/// <list type="bullet">
/// <item><b>lexical</b>: a title's noun, alone or with an adjective ("waterproof parka"); relevant: the items whose title
/// has that noun (2 when the adjective matches too, else 1). Aspect requests that share a word with the relevant titles
/// ("running shoes for flat feet") are lexical too.</item>
/// <item><b>paraphrase</b>: a request that shares no word with the relevant items' titles: a category asked for in other
/// words ("jogging footwear": the category's items, 1), or what an item is for ("support for overpronation": the items
/// with that aspect 2, the rest of their category 1).</item>
/// <item><b>personal</b>: a broad query ("shoes", "headphones") asked by a person who likes that category; relevant: the
/// matching items this person would like best by their hidden taste (the best 10 → 3, next 20 → 2, next 30 → 1). The
/// same query has different right answers for different people.</item>
/// </list>
/// Every query is asked by a person with a history; only the personal queries' judgements depend on who. Only items a
/// shopper can see (not hidden, not blocked) are judged. Deterministic for the shop's options.
/// </summary>
public sealed class DemoSearchSet
{
    public const string Lexical = "lexical", Paraphrase = "paraphrase", Personal = "personal";

    /// <summary>People asking each personal query.</summary>
    public const int PeoplePerQuery = 8;

    private const int StreamQueries = 5;

    private static readonly HashSet<string> s_stopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "at", "by", "for", "from", "in", "it", "my", "of", "on", "or", "over", "the", "to", "when", "with",
        "something", "somewhere", "while",
    };

    private DemoSearchSet(List<DemoSearchQuery> queries, Dictionary<string, Dictionary<string, int>> judgements)
    {
        Queries = queries;
        Judgements = judgements;
    }

    public IReadOnlyList<DemoSearchQuery> Queries { get; }

    /// <summary>Query id → item id → grade (1 or more); items not listed are not relevant.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, int>> Judgements { get; }

    /// <summary>The judged queries of <paramref name="shop"/>. <paramref name="activeUsers"/>: people with a history to
    /// personalize from (the personal queries are asked by them only); null = every user.</summary>
    public static DemoSearchSet Build(DemoShop shop, IReadOnlySet<string>? activeUsers = null)
    {
        ArgumentNullException.ThrowIfNull(shop);
        var queries = new List<DemoSearchQuery>();
        var judgements = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var byText = new Dictionary<string, string>(StringComparer.Ordinal);
        var rng = DemoRandom.For(shop.Options.Seed, StreamQueries, 0);

        void Add(string text, string? userId, Dictionary<string, int> grades, bool alwaysLexical = false)
        {
            if (grades.Count == 0) return;
            if (userId is null && byText.ContainsKey(text)) return; // the first (more specific) judgement of a text wins
            string group = userId is not null ? Personal : alwaysLexical || SharesTitleWord(shop, text, grades) ? Lexical : Paraphrase;
            string id = "q" + (queries.Count + 1).ToString("D4", CultureInfo.InvariantCulture);
            if (userId is null) byText[text] = id;
            queries.Add(new DemoSearchQuery(id, group, userId, text));
            judgements[id] = grades;
        }

        // Aspects first: their judgement of a text shared with a paraphrase is the finer one.
        for (int l = 0; l < shop.LeafCount; l++)
        {
            if (!DemoCatalog.Aspects.TryGetValue(shop.LeafPaths[l], out var aspects)) continue;
            foreach (var aspect in aspects)
            {
                foreach (string q in aspect.Queries)
                {
                    var grades = new Dictionary<string, int>(StringComparer.Ordinal);
                    foreach (int i in shop.LeafItems[l]) grades[shop.ItemArray[i].Id] = ReferenceEquals(shop.ItemAspect[i], aspect) ? 2 : 1;
                    if (grades.ContainsValue(2)) Add(q, null, grades);
                }
            }
        }
        for (int l = 0; l < shop.LeafCount; l++)
        {
            if (!DemoCatalog.Paraphrases.TryGetValue(shop.LeafPaths[l], out var paraphrases)) continue;
            foreach (string q in paraphrases)
            {
                var grades = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (int i in shop.LeafItems[l]) grades[shop.ItemArray[i].Id] = 1;
                Add(q, null, grades);
            }
        }

        // Lexical: each leaf's nouns, alone and with an adjective the catalog has for it.
        var shown = new List<int>();
        for (int l = 0; l < shop.LeafCount; l++) shown.AddRange(shop.LeafItems[l]);
        shown.Sort();
        for (int l = 0; l < shop.LeafCount; l++)
        {
            var leaf = DemoCatalog.Leaves[l];
            foreach (string nounTitle in leaf.Nouns)
            {
                string noun = nounTitle.ToLowerInvariant();
                Add(noun, null, LexicalGrades(shop, shown, noun, null), alwaysLexical: true);
                var adjectives = new List<string>();
                foreach (int i in shop.LeafItems[l])
                    if (shop.ItemNoun[i] == noun && !adjectives.Contains(shop.ItemAdjective[i])) adjectives.Add(shop.ItemAdjective[i]);
                if (adjectives.Count == 0) continue;
                adjectives.Sort(StringComparer.Ordinal);
                string adjective = adjectives[rng.Next(adjectives.Count)];
                Add(adjective + " " + noun, null, LexicalGrades(shop, shown, noun, adjective), alwaysLexical: true);
            }
        }

        // Personal: each department, and each durable category, asked by people who like it.
        var tastes = shop.Truth.Tastes;
        var broad = new List<(string Text, int[] Leaves)>();
        for (int d = 0; d < DemoCatalog.Departments.Length; d++)
        {
            var leaves = new List<int>();
            for (int l = 0; l < shop.LeafCount; l++) if (shop.LeafDept[l] == d) leaves.Add(l);
            broad.Add((DemoCatalog.Departments[d], [.. leaves]));
        }
        for (int l = 0; l < shop.LeafCount; l++)
        {
            var leaf = DemoCatalog.Leaves[l];
            if (leaf.RepurchaseDays > 0) continue;
            string name = leaf.Path[(leaf.Path.IndexOf('/') + 1)..].Replace('-', ' ');
            broad.Add((leaf.Department == "shoes" ? name + " shoes" : name, [l]));
        }
        var people = new List<string>();
        foreach (var (text, leaves) in broad)
        {
            people.Clear();
            foreach (var user in shop.Users)
            {
                if (activeUsers is not null && !activeUsers.Contains(user.Id)) continue;
                var taste = tastes[user.Id];
                foreach (int l in leaves)
                {
                    if (taste.CategoryAffinity.GetValueOrDefault(shop.LeafPaths[l]) < 0.1) continue;
                    people.Add(user.Id);
                    break;
                }
            }
            for (int k = 0; k < PeoplePerQuery && people.Count > 0; k++)
            {
                int pick = rng.Next(people.Count);
                string userId = people[pick];
                people.RemoveAt(pick);
                Add(text, userId, PersonalGrades(shop, tastes[userId], leaves));
            }
        }
        // Everyone searches: the other queries are asked by someone too (their judgements do not depend on who), so that
        // personal ranking is seen not to cost relevance where taste is beside the point.
        var askers = new List<string>();
        foreach (var user in shop.Users) if (activeUsers is null || activeUsers.Contains(user.Id)) askers.Add(user.Id);
        if (askers.Count > 0)
        {
            var who = DemoRandom.For(shop.Options.Seed, StreamQueries, 1);
            for (int k = 0; k < queries.Count; k++)
                if (queries[k].UserId is null) queries[k] = queries[k] with { UserId = askers[who.Next(askers.Count)] };
        }
        return new DemoSearchSet(queries, judgements);
    }

    private static Dictionary<string, int> LexicalGrades(DemoShop shop, List<int> shown, string noun, string? adjective)
    {
        var grades = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (int i in shown)
        {
            string n = shop.ItemNoun[i];
            if (n != noun && !n.EndsWith(" " + noun, StringComparison.Ordinal)) continue;
            grades[shop.ItemArray[i].Id] = adjective is null || shop.ItemAdjective[i] == adjective ? 2 : 1;
        }
        return grades;
    }

    private static Dictionary<string, int> PersonalGrades(DemoShop shop, DemoTaste taste, int[] leaves)
    {
        var scored = new List<(double Score, string Id)>();
        foreach (int l in leaves)
            foreach (int i in shop.LeafItems[l]) scored.Add((shop.Truth.Score(taste, shop.ItemArray[i]), shop.ItemArray[i].Id));
        scored.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Id, b.Id));
        var grades = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < scored.Count && r < 60; r++) grades[scored[r].Id] = r < 10 ? 3 : r < 30 ? 2 : 1;
        return grades;
    }

    /// <summary>Whether a word of <paramref name="text"/> (bar stop words) is a word of a relevant item's title, or shares
    /// its stem ("cooking" and "cook").</summary>
    private static bool SharesTitleWord(DemoShop shop, string text, Dictionary<string, int> grades)
    {
        var words = Words(text);
        int best = grades.Values.Max();
        var titles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in shop.ItemArray)
            if (grades.TryGetValue(item.Id, out int g) && g == best) foreach (string w in Words(item.Title!)) titles.Add(w);
        foreach (string w in words)
            foreach (string t in titles)
                if (SameStem(w, t)) return true;
        return false;
    }

    /// <summary>The lower-case words of <paramref name="text"/> without stop words, as the set compares them.</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        foreach (string raw in text.ToLowerInvariant().Split([' ', '-', ',', '.', '\'', '&'], StringSplitOptions.RemoveEmptyEntries))
            if (!s_stopWords.Contains(raw)) words.Add(raw);
        return words;
    }

    /// <summary>Whether two words are the same or share a stem ("cooking", "cook"; "stretchy", "stretching"): the set's own
    /// cautious test, stricter than an English stemmer.</summary>
    public static bool SameStem(string a, string b)
    {
        if (a == b) return true;
        if (a.Length < 4 || b.Length < 4) return false;
        var (shorter, longer) = a.Length <= b.Length ? (a, b) : (b, a);
        return longer.StartsWith(shorter[..Math.Max(4, shorter.Length - 1)], StringComparison.Ordinal) && longer.Length - shorter.Length <= 3;
    }

    /// <summary>One event as the API and the importer read it (its context as an object), then a newline.</summary>
    private static void WriteEvent(Stream stream, Model.Event e)
    {
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("type", e.Type);
            if (e.UserId is { } user) w.WriteString("userId", user);
            if (e.AnonymousId is { } anonymous) w.WriteString("anonymousId", anonymous);
            if (e.ItemId is { } item) w.WriteString("itemId", item);
            if (e.Value is { } value) w.WriteNumber("value", value);
            w.WriteString("timestamp", e.Timestamp);
            if (e.SessionId is { } session) w.WriteString("sessionId", session);
            if (e.Channel is { } channel) w.WriteString("channel", channel);
            if (e.ContextJson is { } context)
            {
                w.WritePropertyName("context");
                w.WriteRawValue(context, skipInputValidation: true);
            }
            if (e.RecommendationId is { } recommendation) w.WriteString("recommendationId", recommendation);
            if (e.Query is { } query) w.WriteString("query", query);
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }

    /// <summary>
    /// Writes the set as <c>attune evaluate --protocol search</c> reads it: <c>items.jsonl</c> (the catalog),
    /// <c>events.jsonl</c> (the behaviour personal ranking learns from), <c>queries.tsv</c> (<c>qid, group, user, query</c>)
    /// and <c>qrels.txt</c> (TREC: <c>qid 0 item grade</c>).
    /// </summary>
    public void Write(DemoShop shop, IEnumerable<Model.Event> events, string directory)
    {
        ArgumentNullException.ThrowIfNull(shop);
        ArgumentNullException.ThrowIfNull(events);
        Directory.CreateDirectory(directory);
        using (var w = new StreamWriter(Path.Combine(directory, "items.jsonl"), false, new UTF8Encoding(false)))
            foreach (var item in shop.Items) w.WriteLine(JsonSerializer.Serialize(item, Model.AttuneJson.Options));
        using (var stream = new FileStream(Path.Combine(directory, "events.jsonl"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            foreach (var e in events) WriteEvent(stream, e);
        }
        using (var w = new StreamWriter(Path.Combine(directory, "queries.tsv"), false, new UTF8Encoding(false)))
        {
            w.WriteLine("qid\tgroup\tuser\tquery");
            foreach (var q in Queries) w.WriteLine($"{q.Id}\t{q.Group}\t{q.UserId ?? ""}\t{q.Text}");
        }
        using (var w = new StreamWriter(Path.Combine(directory, "qrels.txt"), false, new UTF8Encoding(false)))
        {
            foreach (var q in Queries)
            {
                var grades = Judgements[q.Id].ToList();
                grades.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                foreach (var (item, grade) in grades) w.WriteLine($"{q.Id} 0 {item} {grade.ToString(CultureInfo.InvariantCulture)}");
            }
        }
    }
}
