using System.Text.Json;
using Attune.Experiments.Statistics;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// <c>POST /v1/stats/analyze</c>: the experiment statistics engine over HTTP, one gbstats-compatible test per request
/// (docs/statistics.md). It reads no stored data, so an analyst's serve key is enough.
/// </summary>
public static class StatsAnalyzeApi
{
    public static IEndpointRouteBuilder MapStatsAnalyzeApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/stats/analyze", Analyze)
            .WithName("AnalyzeExperimentStatistics")
            .WithSummary("Run one experiment test (gbstats 0.8.0) on sufficient statistics")
            .WithDescription("Body: {\"test\": a gbstats test class (TwoSidedTTest, OneSidedTreatmentGreaterTTest, " +
                "OneSidedTreatmentLesserTTest, SequentialTwoSidedTTest, SequentialOneSidedTreatmentGreaterTTest, " +
                "SequentialOneSidedTreatmentLesserTTest, EffectBayesianABTest), \"config\": its gbstats config fields, \"control\" and " +
                "\"treatment\": statistics with a gbstats type (SampleMeanStatistic, ProportionStatistic, RatioStatistic, " +
                "RegressionAdjustedStatistic, RegressionAdjustedRatioStatistic, QuantileStatistic, QuantileClusteredStatistic)}. " +
                "The answer has gbstats' result keys; infinite interval ends are the strings \"inf\" and \"-inf\". Statistics no test " +
                "can use (n < 2, zero variance) give 200 with gbstats' errorMessage; malformed input gives 400 naming the field.")
            .WithTags("Experiments")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Accepts<AnalyzeRequestShape>("application/json")
            .Produces<AnalyzeResultShape>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    public static async Task<IResult> Analyze(HttpContext context, AttuneServices s)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            AnalysisRequest request;
            try
            {
                request = StatisticsJson.ParseRequest(body!.Records[0]);
            }
            catch (StatisticsInputException e)
            {
                return Problems.BadField(e.Path, e.Problem);
            }
            return Results.Text(StatisticsJson.Serialize(request.Run()), "application/json");
        }
    }

    /// <summary>The request's shape for the OpenAPI document; the engine reads the body itself, strictly.</summary>
    public sealed record AnalyzeRequestShape(string Test, JsonElement? Config, JsonElement Control, JsonElement Treatment);

    /// <summary>
    /// The answer's shape for the OpenAPI document: frequentist tests add pValue and pValueErrorMessage, the Bayesian test
    /// chanceToWin, risk and riskType. Interval ends may be the strings "inf"/"-inf".
    /// </summary>
    public sealed record AnalyzeResultShape(double Expected, JsonElement[] Ci, UpliftShape Uplift, string? ErrorMessage, double? PValue,
        string? PValueErrorMessage, double? ChanceToWin, double[]? Risk, string? RiskType);

    /// <summary>The effect's normal distribution.</summary>
    public sealed record UpliftShape(string Dist, double Mean, double Stddev);
}
