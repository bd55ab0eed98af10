using Attune.Experiments.Assignment;
using Attune.Serving;
using Attune.Serving.Engine;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Predictions;

/// <summary>Experiments' targeting sees a person's predictions as numbers (<c>{"clv.palive": {"$exists": true, "$lt": 0.3}}</c>).</summary>
public sealed class PredictionTargetingTests
{
    [Fact]
    public async Task TargetingConditionsSeeTheCustomerValueOfBuyersOnly()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        Func<string, IReadOnlyDictionary<string, double>?> predict = user => user == "buyer"
            ? new Dictionary<string, double> { ["clv.palive"] = 0.2, ["clv.value90d"] = 140 }
            : null;
        Func<string, bool, IReadOnlyList<string>> segmentsOf = (id, anonymous) => id == "buyer" && !anonymous ? ["vip", "rfm-at-risk"] : [];
        var attributes = new ExperimentAttributes(store, () => predict, () => segmentsOf);
        var vip = Condition.Compile(AttributeJson.FromElement(System.Text.Json.JsonDocument.Parse("""{"segments": {"$in": ["vip"]}}""").RootElement));
        // GrowthBook's comparison operators treat a missing attribute like 0 ($lt 0.3 would hold for non-buyers): "$exists" first.
        var lapsing = Condition.Compile(AttributeJson.FromElement(System.Text.Json.JsonDocument.Parse("""{"clv.palive": {"$exists": true, "$lt": 0.3}}""").RootElement));
        var valuable = Condition.Compile(AttributeJson.FromElement(System.Text.Json.JsonDocument.Parse("""{"clv.value90d": {"$gte": 100}}""").RootElement));

        var buyer = AttributeValue.FromObject(attributes.For(new RecommendationRequest { UserId = "buyer", Scenario = "for-you" }));
        var browser = AttributeValue.FromObject(attributes.For(new RecommendationRequest { UserId = "browser", Scenario = "for-you" }));
        Assert.True(lapsing.Evaluate(buyer));
        Assert.True(valuable.Evaluate(buyer));
        Assert.False(lapsing.Evaluate(browser)); // no prediction: the condition does not hold
        Assert.True(vip.Evaluate(buyer)); // segments: a person's segment ids, matched by $in
        Assert.False(vip.Evaluate(browser));
        // Without a predictions source, nothing is added.
        var none = new ExperimentAttributes(store, () => null, () => null);
        Assert.False(lapsing.Evaluate(AttributeValue.FromObject(none.For(new RecommendationRequest { UserId = "buyer", Scenario = "for-you" }))));
    }
}
