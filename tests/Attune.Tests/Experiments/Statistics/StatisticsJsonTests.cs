using System.Text.Json;
using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>The JSON contract: malformed input names its field; bad statistics are answers, not errors.</summary>
public sealed class StatisticsJsonTests
{
    private const string Control = """{"type":"SampleMeanStatistic","n":3407,"sum":1396.87,"sum_squares":52377.9767}""";
    private const string Treatment = """{"type":"SampleMeanStatistic","n":3461,"sum":2422.7,"sum_squares":134698.29}""";

    private static string Request(string test = "TwoSidedTTest", string config = """{"difference_type":"relative","alpha":0.05}""",
        string control = Control, string treatment = Treatment) =>
        $$"""{"test":"{{test}}","config":{{config}},"control":{{control}},"treatment":{{treatment}}}""";

    public static TheoryData<string, string> MalformedRequests() => new()
    {
        { "not json", "body" },
        { "[1,2]", "body" },
        { """{"config":{},"control":{},"treatment":{}}""", "test" },
        { Request(test: "WelchTest"), "test" },
        { """{"test":7,"control":{},"treatment":{}}""", "test" },
        { """{"test":"TwoSidedTTest","control":{"type":"SampleMeanStatistic","n":1,"sum":1,"sum_squares":1}}""", "treatment" },
        { Request().Replace("\"test\"", "\"colour\":1,\"test\""), "colour" },
        { Request(config: "[]"), "config" },
        { Request(config: """{"alpha":"0.05"}"""), "config.alpha" },
        { Request(config: """{"alpha":1.5}"""), "config.alpha" },
        { Request(config: """{"alpha":0}"""), "config.alpha" },
        { Request(config: """{"difference_type":"percent"}"""), "config.difference_type" },
        { Request(config: """{"inverse":true}"""), "config.inverse" },
        { Request(config: """{"sequential_tuning_parameter":1000}"""), "config.sequential_tuning_parameter" },
        { Request(config: """{"post_stratify":"yes"}"""), "config.post_stratify" },
        { Request(config: """{"total_users":12.5,"difference_type":"scaled"}"""), "config.total_users" },
        { Request("SequentialTwoSidedTTest", """{"sequential_tuning_parameter":0}"""), "config.sequential_tuning_parameter" },
        { Request("SequentialTwoSidedTTest", """{"rho":-1}"""), "config.rho" },
        { Request("EffectBayesianABTest", """{"prior_effect":{"mean":0,"variance":0,"proper":true}}"""), "config.prior_effect.variance" },
        { Request("EffectBayesianABTest", """{"prior_effect":{"mean":0,"sd":1}}"""), "config.prior_effect.sd" },
        { Request("EffectBayesianABTest", """{"prior_type":"log"}"""), "config.prior_type" },
        { Request("EffectBayesianABTest", """{"inverse":1}"""), "config.inverse" },
        { Request(control: """{"n":10,"sum":1,"sum_squares":2}"""), "control.type" },
        { Request(control: """{"type":"MeanStatistic","n":10,"sum":1}"""), "control.type" },
        { Request(control: """{"type":"SampleMeanStatistic","n":10,"sum":1}"""), "control.sum_squares" },
        { Request(control: """{"type":"SampleMeanStatistic","n":10,"sum":1,"sum_squares":2,"mean":0.1}"""), "control.mean" },
        { Request(control: """{"type":"SampleMeanStatistic","n":10.5,"sum":1,"sum_squares":2}"""), "control.n" },
        { Request(control: """{"type":"SampleMeanStatistic","n":-3,"sum":1,"sum_squares":2}"""), "control.n" },
        { Request(control: """{"type":"SampleMeanStatistic","n":10,"sum":"1","sum_squares":2}"""), "control.sum" },
        { Request(control: """{"type":"SampleMeanStatistic","n":10,"sum":1e400,"sum_squares":2}"""), "control.sum" },
        { Request(control: """{"type":"SampleMeanStatistic","n":10,"n":11,"sum":1,"sum_squares":2}"""), "control.n" },
        { Request(control: """{"type":"ProportionStatistic","n":10,"sum":1,"sum_squares":1}"""), "control.sum_squares" },
        { Request(treatment: "42"), "treatment" },
        { Request(control: """{"type":"RatioStatistic","n":10,"m_statistic":{"n":10,"sum":1},"m_d_sum_of_products":1}"""), "control.d_statistic" },
        { Request(control: """{"type":"RatioStatistic","n":10,"m_statistic":[],"d_statistic":{"n":10,"sum":1},"m_d_sum_of_products":1}"""), "control.m_statistic" },
        { Request(control: """{"type":"RegressionAdjustedStatistic","n":10,"post_statistic":{"n":10,"sum":1,"sum_squares":2},"pre_statistic":{"n":10,"sum":1},"post_pre_sum_of_products":1,"theta":null}"""), "control.pre_statistic" },
        { Request(control: """{"type":"RegressionAdjustedStatistic","n":10,"post_statistic":{"n":10,"sum":1,"sum_squares":2},"pre_statistic":{"n":10,"sum":1,"sum_squares":2},"post_pre_sum_of_products":1,"theta":"auto"}"""), "control.theta" },
        { Request(control: """{"type":"RegressionAdjustedStatistic","n":10,"post_statistic":{"n":10,"sum":1,"sum_squares":2},"pre_statistic":{"n":10,"sum":1,"sum_squares":2},"post_pre_sum_of_products":1}""",
            treatment: """{"type":"RegressionAdjustedStatistic","n":10,"post_statistic":{"n":10,"sum":1},"pre_statistic":{"n":10,"sum":1},"post_pre_sum_of_products":1}"""), "treatment.post_statistic" },
        { Request(control: """{"type":"QuantileStatistic","n":100,"n_star":100,"nu":1.2,"quantile_hat":1,"quantile_lower":0.9,"quantile_upper":1.1}"""), "control.nu" },
        { Request(config: """{"post_stratify":true}""", control: """{"type":"QuantileStatistic","n":100,"n_star":100,"nu":0.5,"quantile_hat":1,"quantile_lower":0.9,"quantile_upper":1.1}"""), "config.post_stratify" },
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public void MalformedInputNamesTheField(string json, string field)
    {
        var e = Assert.Throws<StatisticsInputException>(() => StatisticsJson.Analyze(json));
        Assert.Equal(field, e.Path);
        Assert.StartsWith(field + ": ", e.Message);
    }

    [Fact]
    public void TooFewUnitsIsAnAnswerWithGbstatsErrorMessage()
    {
        var r = JsonDocument.Parse(StatisticsJson.Analyze(Request(control: """{"type":"SampleMeanStatistic","n":1,"sum":1,"sum_squares":1}"""))).RootElement;
        Assert.Equal("ZERO_NEGATIVE_VARIANCE", r.GetProperty("errorMessage").GetString());
        Assert.Equal(1.0, r.GetProperty("pValue").GetDouble());
    }

    [Fact]
    public void ConfigAndThetaMayBeLeftOutForGbstatsDefaults()
    {
        string cuped = """{"type":"RegressionAdjustedStatistic","n":3000,"post_statistic":{"n":3000,"sum":1396.87,"sum_squares":52377.9767},"pre_statistic":{"n":3000,"sum":16.87,"sum_squares":527.9767},"post_pre_sum_of_products":1.0}""";
        string json = $$"""{"test":"EffectBayesianABTest","control":{{cuped}},"treatment":{{cuped.Replace("1396.87", "1500")}}}""";
        var request = StatisticsJson.ParseRequest(json);
        var config = Assert.IsType<EffectBayesianConfig>(request.Config);
        Assert.Equal(0.05, config.Alpha);
        Assert.False(config.PriorEffect.Proper);
        var r = JsonDocument.Parse(StatisticsJson.Analyze(json)).RootElement;
        Assert.Equal(["expected", "ci", "uplift", "errorMessage", "chanceToWin", "risk", "riskType"], r.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void NestedStatisticsMayNameTheirType()
    {
        string ratio = """{"type":"RatioStatistic","n":100,"m_statistic":{"type":"ProportionStatistic","n":100,"sum":40},"d_statistic":{"type":"SampleMeanStatistic","n":100,"sum":150,"sum_squares":300},"m_d_sum_of_products":70}""";
        var request = StatisticsJson.ParseRequest(Request(control: ratio, treatment: ratio.Replace("\"sum\":40", "\"sum\":45")));
        var control = Assert.IsType<RatioStatistic>(request.Control);
        Assert.IsType<ProportionStatistic>(control.MStatistic);
        Assert.Null(request.Run().ErrorMessage);
    }

    [Fact]
    public void IndentedOutputKeepsPythonNumbersOnTheirOwnLines()
    {
        var c = GbstatsInlineCases.All.Single(x => x.Id == "seq_one_sided_lesser_absolute");
        string indented = StatisticsJson.Analyze(c.Request, indented: true);
        Assert.Contains("\"ci\": [\n    \"-inf\",\n    0.5953217750613832\n  ]", indented.ReplaceLineEndings("\n"));
        Assert.Equal(StatisticsJson.Analyze(c.Request), JsonSerializer.Serialize(JsonDocument.Parse(indented).RootElement));
    }
}
