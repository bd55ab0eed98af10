using Attune.Serving.Models;
using Attune.Tests.Algorithms;

namespace Attune.Tests.Serving;

/// <summary>
/// The engine's time split of a shop's data: a tuning on a large shop fits on a sample of people that keeps every held-out
/// person, and tunes the factor and sequence models, never choosing worse than the configuration on the held-out items.
/// </summary>
public sealed class HeldOutCheckTests(DemoShopFixture demo) : IClassFixture<DemoShopFixture>
{
    [Fact]
    public void A_sample_keeps_the_held_out_people_and_measures_them_alike()
    {
        var check = HeldOutCheck.Create(demo.Training, people: 300)!;
        Assert.Equal(demo.Training.Users, check.People);
        Assert.Same(check, check.Sample(demo.Training.Users)); // small enough already

        var sample = check.Sample(1_000);
        Assert.Equal(1_000, sample.People);
        var full = check.Report("factors=32 iterations=8", 7, TestContext.Current.CancellationToken);
        var sampled = sample.Report("factors=32 iterations=8", 7, TestContext.Current.CancellationToken);
        Assert.Equal(300, sampled["evaluatedUsers"]);
        // The same people, the same held-out items: popularity (counted over fewer people) and the factor model (fitted on a
        // third of them) stay in the same range, and the factor model still beats popularity.
        Assert.InRange(sampled["popularity.hitRate@20"], full["popularity.hitRate@20"] * 0.5, full["popularity.hitRate@20"] * 1.5 + 0.02);
        Assert.True(sampled["als.hitRate@20"] > sampled["popularity.hitRate@20"], string.Join(", ", sampled));
    }

    [Fact]
    public void A_tuning_measures_both_components_and_never_chooses_worse_than_the_configuration()
    {
        var check = HeldOutCheck.Create(demo.Training, people: 300)!.Sample(1_500);
        var configured = new Dictionary<string, string> { ["als"] = "factors=32 iterations=8", ["sequence"] = "knnHistory=10 sample=300" };

        var tunings = check.Tune(configured, TimeSpan.FromSeconds(6), seed: 3, TestContext.Current.CancellationToken);

        Assert.Equal(["als", "sequence"], tunings.Select(t => t.Component));
        foreach (var t in tunings)
        {
            Assert.Equal(configured[t.Component], t.Defaults);
            Assert.True(t.TunedValue >= t.DefaultValue, t.ToString());
            Assert.True(t.DefaultValue > 0, t.ToString());
            Assert.True(t.Trials >= 1);
            if (t.Parameters != t.Defaults) Assert.True(t.TunedValue >= t.DefaultValue * 1.005 - 1e-4, t.ToString()); // moved only past the margin (values rounded to 4 places)
        }
        Assert.Contains("knnHistory=10", tunings[1].Parameters);
        Assert.Contains("sample=300", tunings[1].Parameters);
    }
}
