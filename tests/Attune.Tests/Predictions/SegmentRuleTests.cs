using Attune.Predictions.Propensity;
using Attune.Predictions.Segments;

namespace Attune.Tests.Predictions;

/// <summary>The segment rule language, RFM scores and behavioural clusters.</summary>
public sealed class SegmentRuleTests
{
    private static PersonFacts Person(float purchases = 0, float? purchase7d = null, double? value90d = null, string? country = null,
        bool anonymous = false, string? rfm = null)
    {
        var features = new float[PersonFeatures.Count];
        features[PersonFeatures.IndexOf("purchasesAll")] = purchases;
        var predictions = new float[SegmentFields.Predictions.Count];
        Array.Fill(predictions, float.NaN);
        if (purchase7d is { } p) predictions[0] = p;
        return new PersonFacts
        {
            Id = "p", Anonymous = anonymous, Features = features, Predictions = predictions, ClvValue90d = value90d, RfmSegment = rfm,
            User = country is null ? null : new Dictionary<string, string> { ["country"] = country },
        };
    }

    [Theory]
    [InlineData("predictions.purchase7d > 0.6 and clv.value90d > 100", true)]
    [InlineData("predictions.purchase7d > 0.6 and clv.value90d > 200", false)]
    [InlineData("predictions.purchase7d >= 0.75 or activity.purchasesAll = 0", true)]
    [InlineData("predictions.purchase7d > 0.75 or activity.purchasesAll = 0", false)]
    [InlineData("not (activity.purchasesAll < 3)", true)]
    [InlineData("activity.purchasesAll != 3", false)]
    [InlineData("user.country in ('DE', 'AT') and not anonymous", true)]
    [InlineData("user.country not in ('DE', 'AT')", false)]
    [InlineData("user.country = \"DE\" and anonymous = false", true)]
    [InlineData("rfm.segment = 'champions'", true)]
    [InlineData("clv.palive < 0.5", false)] // missing: every comparison is false
    [InlineData("not clv.palive < 0.5", true)]
    [InlineData("user.city = 'Berlin'", false)]
    public void RulesMatchPeople(string rule, bool matches)
    {
        var person = Person(purchases: 3, purchase7d: 0.75f, value90d: 150, country: "DE", rfm: "champions");
        Assert.Equal(matches, SegmentRule.Parse(rule).Matches(person));
    }

    [Theory]
    [InlineData("predictions.purchase8d > 0.5", 0, "unknown field 'predictions.purchase8d'")]
    [InlineData("activity.purchasesAll > 2 and", 29, "expected a field name")]
    [InlineData("activity.purchasesAll >", 23, "expected a number")]
    [InlineData("activity.purchasesAll > 'x'", 24, "expected a number")]
    [InlineData("rfm.segment > 'a'", 12, "is text")]
    [InlineData("(activity.purchasesAll > 2", 26, "expected ')'")]
    [InlineData("activity.purchasesAll > 2)", 25, "unexpected ')'")]
    [InlineData("user.country = 'DE", 15, "not closed")]
    [InlineData("activity.purchasesAll in ('1')", 22, "'in' takes text fields")]
    [InlineData("", 0, "empty")]
    [InlineData("cluster ~ 'x'", 8, "expected a comparison")]
    public void BadRulesNameThePosition(string rule, int position, string reason)
    {
        var e = Assert.Throws<SegmentRuleException>(() => SegmentRule.Parse(rule));
        Assert.Equal(position, e.Position);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith($"at position {position}: ", e.Message);
    }

    [Fact]
    public void RfmScoresAreQuintilesAmongBuyersAndMapToTheClassicSegments()
    {
        // 100 buyers: recency 1..100 days, purchases 1..100, spend 10..1000.
        var rfm = RfmScores.Fit(Enumerable.Range(1, 100).Select(i => ((float)i, (float)i, i * 10f)).Append((5f, 0f, 0f)));
        Assert.Equal(100, rfm.Buyers);
        Assert.Equal((5, 5, 5, "champions"), rfm.Score(1, 100, 1000));
        Assert.Equal((1, 5, 5, "cannot-lose"), rfm.Score(100, 100, 1000));
        Assert.Equal((5, 1, 1, "new"), rfm.Score(1, 1, 10));
        Assert.Equal((1, 1, 1, "hibernating"), rfm.Score(100, 1, 10));
        Assert.Equal((3, 3, 3, "need-attention"), rfm.Score(50, 50, 500));
        Assert.Equal((0, 0, 0, null), rfm.Score(3, 0, 0)); // not a buyer
        // Every (R, F) cell has a segment of the map.
        var names = RfmScores.Segments.Select(s => s.Id).ToHashSet();
        for (int r = 1; r <= 5; r++) for (int f = 1; f <= 5; f++) Assert.Contains(RfmScores.SegmentOf(r, f), names);
        // Ties share a score: most buyers bought once.
        var tied = RfmScores.Fit(Enumerable.Range(0, 100).Select(i => (1f, i < 80 ? 1f : 5f, 10f)));
        Assert.Equal(3, tied.Score(1, 1, 10).F); // the 80 one-time buyers share the middle rank 40 %: score 3
        Assert.Equal(5, tied.Score(1, 5, 10).F);
    }

    [Fact]
    public void ClustersSeparateTastesAndAreNamedByTheirStrongestCategories()
    {
        // Two tastes in a 2-d space: shoes lovers near (1, 0), bag lovers near (0, 1); items likewise.
        var random = new Random(3);
        var people = new float[200 * 2];
        for (int i = 0; i < 200; i++)
        {
            bool shoes = i < 120;
            people[2 * i] = (shoes ? 1f : 0.1f) + (float)random.NextDouble() * 0.2f;
            people[2 * i + 1] = (shoes ? 0.1f : 1f) + (float)random.NextDouble() * 0.2f;
        }
        var items = new float[120 * 2];
        var categories = new string?[120];
        for (int j = 0; j < 120; j++)
        {
            bool shoes = j < 60;
            items[2 * j] = shoes ? 1f : (float)random.NextDouble() * 0.3f;
            items[2 * j + 1] = shoes ? (float)random.NextDouble() * 0.3f : 1f;
            categories[j] = shoes ? "shoes/running" : "bags";
        }
        var (assignment, clusters) = BehaviourClusters.Fit(people, 2, 2, items, categories);
        Assert.Equal(2, clusters.Length);
        var shoesCluster = clusters[assignment[0]];
        var bagsCluster = clusters[assignment[199]];
        Assert.NotSame(shoesCluster, bagsCluster);
        Assert.Equal(120, shoesCluster.Members);
        Assert.Equal(80, bagsCluster.Members);
        Assert.Equal("shoes/running", shoesCluster.Name); // the 50 items its centre scores highest are all running shoes
        Assert.Equal("bags", bagsCluster.Name);
        for (int i = 0; i < 200; i++) Assert.Equal(i < 120 ? assignment[0] : assignment[199], assignment[i]);
    }
}
