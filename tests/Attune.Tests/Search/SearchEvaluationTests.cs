using System.Text.Json;
using Attune.Demo;
using Attune.Evaluation.Search;
using Attune.Tests.EndToEnd;

namespace Attune.Tests.Search;

/// <summary>
/// The search evaluation: its metrics against hand-computed values, the judged demo set (its groups mean what they say), the
/// files' format errors, and the whole <c>attune demo --search-set</c> → <c>attune evaluate --protocol search</c> path with the
/// issue's floors (hybrid beats words alone on paraphrases and does not lose on words; personal ranking wins on per-person
/// judgements; nothing judged relevant is answered with an empty page).
/// </summary>
public sealed class SearchEvaluationTests
{
    private static readonly DemoOptions s_small = new() { Users = 1_500, Items = 1_000, Days = 45, Seed = 5, End = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) };

    [Fact]
    public void MetricsMatchTheirTrecDefinitions()
    {
        var grades = new Dictionary<string, int> { ["a"] = 3, ["b"] = 1, ["c"] = 2 };
        // Ranked b, x, a: DCG = 1/log2(2) + 3/log2(4) = 2.5; ideal a, c, b = 3 + 2/log2(3) + 1/log2(4) = 4.7619.
        Assert.Equal(2.5 / (3 + 2 / Math.Log2(3) + 0.5), SearchMetrics.NdcgAt(10, ["b", "x", "a"], grades), 10);
        Assert.Equal(1.0, SearchMetrics.NdcgAt(10, ["a", "c", "b"], grades), 10);
        Assert.Equal(0.5, SearchMetrics.ReciprocalRankAt(10, ["x", "c"], grades));
        Assert.Equal(0, SearchMetrics.ReciprocalRankAt(1, ["x", "c"], grades));
        Assert.Equal(2.0 / 3, SearchMetrics.RecallAt(100, ["c", "x", "b"], grades), 10);
        var score = new SearchScore();
        score.Add([], grades);
        score.Add(["a", "c", "b"], grades);
        Assert.Equal(0.5, score.ZeroResultRate);
        Assert.Equal(0.5, score.Ndcg10, 10);
    }

    [Fact]
    public void TheDemoSetsGroupsMeanWhatTheySay()
    {
        var shop = DemoShop.Generate(s_small);
        var set = DemoSearchSet.Build(shop);
        var groups = set.Queries.GroupBy(q => q.Group).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal([DemoSearchSet.Lexical, DemoSearchSet.Paraphrase, DemoSearchSet.Personal], groups.Keys.Order());
        Assert.True(groups[DemoSearchSet.Paraphrase].Count >= 40, $"{groups[DemoSearchSet.Paraphrase].Count} paraphrases");
        Assert.All(set.Queries, q => Assert.NotNull(q.UserId));
        Assert.All(set.Queries, q => Assert.NotEmpty(set.Judgements[q.Id]));
        var titles = shop.Items.ToDictionary(i => i.Id, i => DemoSearchSet.Words(i.Title!));

        // A paraphrase shares no word (nor stem) with the titles of its most relevant items.
        foreach (var q in groups[DemoSearchSet.Paraphrase])
        {
            var grades = set.Judgements[q.Id];
            int top = grades.Values.Max();
            foreach (var (item, grade) in grades.Where(g => g.Value == top))
                foreach (string w in DemoSearchSet.Words(q.Text))
                    Assert.DoesNotContain(titles[item], t => DemoSearchSet.SameStem(w, t));
        }

        // The same personal query has different right answers for different people.
        var personal = groups[DemoSearchSet.Personal].GroupBy(q => q.Text).First(g => g.Count() >= 2).ToList();
        var best = personal.Select(q => set.Judgements[q.Id].Where(g => g.Value == 3).Select(g => g.Key).Order().ToList()).ToList();
        Assert.Contains(best.Skip(1), b => !b.SequenceEqual(best[0]));
    }

    [Fact]
    public void BadFilesAreRefusedNamingTheFileAndLine()
    {
        using var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "queries.tsv"), "qid\tgroup\tuser\tquery\nq1\tlexical\t\tboots\nq2\tlexical\t\n");
        File.WriteAllText(Path.Combine(dir.Path, "qrels.txt"), "q1 0 i1 2\n");
        var e = Assert.Throws<FormatException>(() => SearchJudgements.Read(dir.Path));
        Assert.Contains("queries.tsv line 3", e.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir.Path, "queries.tsv"), "q1\tlexical\t\tboots\n");
        File.WriteAllText(Path.Combine(dir.Path, "qrels.txt"), "q1 0 i1 2\nq9 0 i1 1\n");
        e = Assert.Throws<FormatException>(() => SearchJudgements.Read(dir.Path));
        Assert.Contains("qrels.txt line 2", e.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir.Path, "qrels.txt"), "q1 0 i1 2\nq1 0 i2 0\n");
        var read = SearchJudgements.Read(dir.Path);
        Assert.Equal(["i1"], read.Grades["q1"].Keys); // grade 0: judged, not relevant
        Assert.Null(read.Queries[0].UserId);
    }

    /// <summary>On a catalog of the demo shop's size (5,000 items: a small catalog's categories hold so few items that any order
    /// finds a person's favourites, and personal ranking has nothing to show).</summary>
    [Fact]
    public async Task TheCommandLineEvaluationMeetsTheIssuesFloors()
    {
        using var dir = TestPaths.NewTempDirectory();
        string set = Path.Combine(dir.Path, "set");
        var (code, output) = await AttuneProcess.RunAsync("demo", "--search-set", set, "--users", "2000", "--items", "5000", "--days", "45", "--seed", "5");
        Assert.True(code == 0, output);
        Assert.Contains("paraphrase", output, StringComparison.Ordinal);
        foreach (string file in (string[])["items.jsonl", "events.jsonl", "queries.tsv", "qrels.txt"]) Assert.True(File.Exists(Path.Combine(set, file)), file);

        string json = Path.Combine(dir.Path, "result.json");
        (code, output) = await AttuneProcess.RunAsync("evaluate", "--protocol", "search", "--dataset", set, "--json", json,
            "--require", "hybrid.all.ndcg@10=0.3");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("rejected", output, StringComparison.Ordinal);
        var metrics = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("metrics");
        double M(string name) => metrics.GetProperty(name).GetDouble();

        // Meaning: hybrid beats words alone on paraphrases by at least 20 %, and does not lose on the lexical queries.
        Assert.True(M("hybrid.paraphrase.ndcg@10") >= 1.2 * M("lexical.paraphrase.ndcg@10"), output);
        Assert.True(M("hybrid.lexical.ndcg@10") >= M("lexical.lexical.ndcg@10") - 0.005, output);
        // The person: personal ranking beats the same search without them by at least 15 % on per-person judgements, and
        // costs (almost) nothing where taste is beside the point.
        Assert.True(M("personal.personal.ndcg@10") >= 1.15 * M("hybrid.personal.ndcg@10"), output);
        Assert.True(M("personal.lexical.ndcg@10") >= M("hybrid.lexical.ndcg@10") - 0.02, output);
        // No empty page for a query with relevant items.
        Assert.Equal(0, M("hybrid.all.zero-results"));
        Assert.Equal(0, M("personal.all.zero-results"));

        // --model is for the other protocols; a folder without a catalog is named.
        File.Delete(Path.Combine(set, "items.jsonl"));
        (code, output) = await AttuneProcess.RunAsync("evaluate", "--protocol", "search", "--dataset", set);
        Assert.NotEqual(0, code);
        Assert.Contains("items.jsonl", output, StringComparison.Ordinal);
    }
}
