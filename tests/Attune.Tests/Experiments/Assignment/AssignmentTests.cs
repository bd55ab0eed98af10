using Attune.Experiments.Assignment;
using Attune.Validation;

namespace Attune.Tests.Experiments.Assignment;

/// <summary>What the spec suite does not pin: JavaScript number text, sticky assignments across sign-in, validation, the hot path.</summary>
public sealed class AssignmentTests
{
    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(123.456, "123.456")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(123456789012345680000.0, "123456789012345680000")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(double.NaN, "NaN")]
    public void NumbersPrintAsJavaScriptPrintsThem(double value, string expected)
    {
        Assert.Equal(expected, AttributeValue.FromNumber(value).ToString());
    }

    [Fact]
    public void NumericIdsHashAsTheirJavaScriptText()
    {
        Assert.Equal(Hashing.Hash("seed", "123", 2), Hashing.Hash("seed", AttributeValue.FromNumber(123), 2));
        Assert.Equal(Hashing.Hash("seed", "1.5", 1), Hashing.Hash("seed", AttributeValue.FromNumber(1.5), 1));
    }

    private static readonly Experiment s_checkout = new()
    {
        Key = "checkout",
        Variations = ["control", "green", "blue"],
        Meta = [new VariationMeta("control"), new VariationMeta("green"), new VariationMeta("blue")],
        HashAttribute = "id",
        FallbackAttribute = "anonymousId",
        HashVersion = 2,
    };

    [Fact]
    public void AnAssignmentMadeBeforeSignInIsKeptAfterIt()
    {
        // Arrange: an anonymous visitor, then the same person signed in, then on another device with only the user id.
        var sticky = new InMemoryStickyBucketService();
        var anonymous = new EvaluationContext { Attributes = new() { ["anonymousId"] = "a-123" }, StickyBucketService = sticky };
        // A user id whose own hash would give another variation than the anonymous id's.
        var before = Assigner.Run(s_checkout, anonymous);
        string userId = Enumerable.Range(0, 100).Select(i => $"u{i}")
            .First(id => Assigner.Run(s_checkout, new EvaluationContext { Attributes = new() { ["id"] = id } }).VariationId != before.VariationId);

        // Act
        var identified = Assigner.Run(s_checkout, new EvaluationContext
        {
            Attributes = new() { ["id"] = userId, ["anonymousId"] = "a-123" }, StickyBucketService = sticky,
        });
        var otherDevice = Assigner.Run(s_checkout, new EvaluationContext { Attributes = new() { ["id"] = userId }, StickyBucketService = sticky });

        // Assert
        Assert.True(before.InExperiment);
        Assert.Equal("anonymousId", before.HashAttribute);
        Assert.False(before.StickyBucketUsed);
        Assert.Equal(before.VariationId, identified.VariationId);
        Assert.True(identified.StickyBucketUsed);
        Assert.Equal("id", identified.HashAttribute);
        Assert.Equal(before.VariationId, otherDevice.VariationId);
        Assert.Equal(before.Key, sticky.GetAssignments("id", userId)!.Assignments["checkout__0"]);
    }

    [Fact]
    public void RaisingTheBucketVersionReassignsAndTheMinimumExcludesOldAssignments()
    {
        var sticky = new InMemoryStickyBucketService();
        sticky.SaveAssignments(new StickyAssignmentsDocument("id", "u1", new Dictionary<string, string> { ["checkout__0"] = "blue" }));
        var context = new EvaluationContext { Attributes = new() { ["id"] = "u1" }, StickyBucketService = sticky };

        var kept = Assigner.Run(s_checkout, context);
        var rebucketed = Assigner.Run(s_checkout with { BucketVersion = 1 }, context);
        var excluded = Assigner.Run(s_checkout with { BucketVersion = 2, MinBucketVersion = 1 }, context);

        Assert.Equal("blue", kept.Key);
        Assert.True(kept.StickyBucketUsed);
        Assert.False(rebucketed.StickyBucketUsed);
        Assert.True(rebucketed.HashUsed);
        Assert.False(excluded.InExperiment);
    }

    [Fact]
    public void WithoutStickyBucketingTheFallbackAttributeIsNotUsed()
    {
        var result = Assigner.Run(s_checkout, new EvaluationContext { Attributes = new() { ["anonymousId"] = "a-123" } });

        Assert.False(result.InExperiment);
        Assert.Equal("id", result.HashAttribute);
    }

    [Fact]
    public void WeightsSplitPeopleInProportion()
    {
        var experiment = new Experiment { Key = "split", Variations = [0, 1], Weights = [0.2, 0.8], HashVersion = 2 };
        int[] counts = new int[2];
        for (int i = 0; i < 20_000; i++) counts[Assigner.Run(experiment, new EvaluationContext { Attributes = new() { ["id"] = $"user-{i}" } }).VariationId]++;

        Assert.InRange(counts[0] / 20_000.0, 0.19, 0.21);
    }

    [Theory]
    [InlineData("""{"age": {"$gtt": 3}}""", "condition.age.$gtt", "unknown operator")]
    [InlineData("""{"country": {"$in": "DE"}}""", "condition.country.$in", "must be an array")]
    [InlineData("""{"ua": {"$regex": "(("}}""", "condition.ua.$regex", "not a valid regular expression")]
    [InlineData("""{"$or": {"a": 1}}""", "condition.$or", "must be an array")]
    [InlineData("""{"a": {"$type": "int"}}""", "condition.a.$type", "must be one of")]
    [InlineData("""{"v": {"$vgt": true}}""", "condition.v.$vgt", "must be a version")]
    [InlineData("""{"a": {"$eq": 1, "b": 2}}""", "condition.a", "mixes operators")]
    [InlineData("""[1]""", "condition", "must be an object")]
    public void ProblemsAreReportedByPath(string json, string field, string message)
    {
        var problems = new List<FieldError>();

        var condition = Condition.Compile(AttributeJson.Parse(json), problems);

        var problem = Assert.Single(problems);
        Assert.Equal(field, problem.Field);
        Assert.Contains(message, problem.Message);
        Assert.NotNull(condition); // still compiled: evaluated as the SDK would
    }

    [Fact]
    public void RuleProblemsNameTheField()
    {
        var problems = new List<FieldError>();
        GrowthBookJson.ReadFeature(AttributeJson.Parse("""
            {"defaultValue": false, "rules": [
              {"force": true, "coverage": 1.5},
              {"variations": [1, 2], "weights": [0.5, 0.6], "hashAttribute": "user id"},
              {"variations": [1, 2], "coverge": 0.5}
            ]}
            """), problems);

        Assert.Equal(["rules[0].coverage", "rules[1].hashAttribute", "rules[1].weights", "rules[2].coverge"], problems.Select(p => p.Field).Order());
    }

    [Fact]
    public void ConditionsAndHashingDoNotAllocate()
    {
        // Arrange
        var condition = Condition.Parse("""
            {"country": {"$in": ["DE", "FR", "NL"]}, "age": {"$gte": 18}, "plan": "pro", "tags": {"$elemMatch": {"$eq": "beta"}},
             "app": {"$vgte": "2.1.0"}, "$or": [{"device": "mobile"}, {"device": "tablet"}]}
            """);
        var attributes = new Attributes
        {
            ["id"] = "u-42", ["country"] = "DE", ["age"] = 31, ["plan"] = "pro", ["device"] = "mobile", ["app"] = "2.3.1",
            ["tags"] = AttributeValue.FromArray(["alpha", "beta"]),
        };
        Assert.True(condition.Evaluate(attributes));
        Hashing.Hash("seed", attributes["id"], 2);

        // Act
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool all = true;
        for (int i = 0; i < 1000; i++)
        {
            all &= condition.Evaluate(attributes);
            all &= Hashing.Hash("checkout", attributes["id"], 2) is >= 0;
            all &= Hashing.Hash("checkout", attributes["age"], 1) is >= 0;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.True(all);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ARunAllocatesOnlyItsResult()
    {
        var experiment = new Experiment
        {
            Key = "checkout", Variations = ["control", "green"], Weights = [0.5, 0.5], HashVersion = 2,
            Condition = Condition.Parse("""{"country": {"$in": ["DE", "FR"]}}"""),
        };
        var context = new EvaluationContext { Attributes = new() { ["id"] = "u-42", ["country"] = "DE" } };
        Assert.True(Assigner.Run(experiment, context).InExperiment);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Assigner.Run(experiment, context);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;

        Assert.InRange(perRun, 1, 200);
    }
}
