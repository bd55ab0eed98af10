using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Tests.Server;

namespace Attune.Tests.Experiments.Statistics;

/// <summary><c>POST /v1/stats/analyze</c> on the real server: gbstats' answers, 400 naming the field, serve scope.</summary>
public sealed class StatsAnalyzeApiTests : IAsyncLifetime
{
    private const string ServeKey = "serve-key-0123456789";
    private const string IngestKey = "ingest-key-0123456789";
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Attune:ApiKeys:0:Key"] = ServeKey,
        ["Attune:ApiKeys:0:Scopes:0"] = "serve",
        ["Attune:ApiKeys:1:Key"] = IngestKey,
        ["Attune:ApiKeys:1:Scopes:0"] = "ingest",
        ["Attune:MaxRequestBodyBytes"] = "65536",
    });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(string json, string key = ServeKey) =>
        _server.ClientWithKey(key).PostAsync("/v1/stats/analyze", new StringContent(json, Encoding.UTF8, "application/json"));

    private static GbstatsInlineCases.Case Case(string id) => GbstatsInlineCases.All.Single(c => c.Id == id);

    [Theory]
    [InlineData("freq_two_sided_relative")]
    [InlineData("seq_one_sided_lesser_absolute")]
    [InlineData("bayes_gaussian_relative_informative_prior")]
    [InlineData("freq_two_sided_ratio_cuped")]
    public async Task AnswersAsGbstats(string id)
    {
        var c = Case(id);
        var r = await Post(c.Request);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        ResultAssert.Matches(JsonDocument.Parse(c.Expected).RootElement, await HttpAssert.Ok(r), id);
    }

    [Fact]
    public async Task TooFewUnitsIsA200WithGbstatsErrorMessage()
    {
        var c = Case("freq_two_sided_negative_variance_default_output");
        var body = await HttpAssert.Ok(await Post(c.Request.Replace("\"n\": 2,", "\"n\": 1,")));
        Assert.Equal("ZERO_NEGATIVE_VARIANCE", body.GetProperty("errorMessage").GetString());
        Assert.Equal(0, body.GetProperty("expected").GetDouble());
    }

    [Theory]
    [InlineData("""{"test":"TTest","control":{},"treatment":{}}""", "test")]
    [InlineData("""{"test":"TwoSidedTTest","config":{"alpha":2},"control":{},"treatment":{}}""", "config.alpha")]
    [InlineData("""{"test":"TwoSidedTTest","control":{"type":"SampleMeanStatistic","n":5,"sum":1},"treatment":{}}""", "control.sum_squares")]
    [InlineData("""{"test":"TwoSidedTTest","control":{"type":"SampleMeanStatistic","n":5,"sum":1,"sum_squares":3},"treatment":{"type":"Normal"}}""", "treatment.type")]
    [InlineData("""{"test":"EffectBayesianABTest","config":{"prior_effect":{"variance":-1}},"control":{},"treatment":{}}""", "config.prior_effect.variance")]
    [InlineData("""{"test":"TwoSidedTTest","control":{"type":"SampleMeanStatistic","n":5,"sum":1,"sum_squares":3},"treatment":{"type":"SampleMeanStatistic","n":"5","sum":1,"sum_squares":3}}""", "treatment.n")]
    [InlineData("""{"test":"TwoSidedTTest","extra":1}""", "extra")]
    [InlineData("""[{"test":"TwoSidedTTest"}]""", "body")]
    [InlineData("""{"test":""", "body")]
    public async Task MalformedInputIsA400NamingTheField(string json, string field) =>
        await HttpAssert.ProblemNaming(await Post(json), HttpStatusCode.BadRequest, field);

    [Fact]
    public async Task NeedsTheServeScope()
    {
        var c = Case("freq_two_sided_relative");
        await HttpAssert.Problem(await Post(c.Request, IngestKey), HttpStatusCode.Forbidden);
        await HttpAssert.Problem(await _server.Client.PostAsync("/v1/stats/analyze", new StringContent(c.Request, Encoding.UTF8, "application/json")),
            HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task IsInTheOpenApiDocument()
    {
        var document = await HttpAssert.Ok(await _server.ClientWithKey(ServeKey).GetAsync("/openapi/v1.json"));
        var post = document.GetProperty("paths").GetProperty("/v1/stats/analyze").GetProperty("post");
        Assert.Equal("AnalyzeExperimentStatistics", post.GetProperty("operationId").GetString());
        Assert.True(post.GetProperty("responses").TryGetProperty("400", out _));
    }
}
