using System.Text.Json;
using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>
/// Every case of ../shared/datasets/experiments-gbstats/cases.json (GrowthBook's gbstats 0.8.0 at commit 8f1db44, MIT): the
/// engine's output matches <c>computed_full_precision</c> key for key.
/// </summary>
public sealed class GbstatsReferenceTests
{
    private const string NoData = "../shared/datasets is not present";

    private static JsonElement? Cases()
    {
        if (TestPaths.SharedDatasets is not { } root) return null;
        string file = Path.Combine(root, "experiments-gbstats", "cases.json");
        return File.Exists(file) ? JsonDocument.Parse(File.ReadAllText(file)).RootElement : null;
    }

    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        if (Cases() is { } cases)
        {
            foreach (var c in cases.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("id").GetString()!);
        }
        else
        {
            data.Add("(cases.json absent)");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void CaseMatchesGbstatsFullPrecision(string id)
    {
        Assert.SkipWhen(Cases() is null, NoData);
        var c = Cases()!.Value.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("id").GetString() == id);
        var input = c.GetProperty("input");
        var expected = c.GetProperty("computed_full_precision");
        string function = c.GetProperty("function").GetString()!;

        if (function.StartsWith("EffectBayesianABTest.get_risk", StringComparison.Ordinal))
        {
            var risk = EffectBayesianABTest.GetRisk(input.GetProperty("mu").GetDouble(), input.GetProperty("sigma").GetDouble());
            ResultAssert.Close(expected[0].GetDouble(), risk.Control, id + " risk[0]");
            ResultAssert.Close(expected[1].GetDouble(), risk.Treatment, id + " risk[1]");
        }
        else if (function.StartsWith("compute_theta", StringComparison.Ordinal))
        {
            var a = (RegressionAdjustedStatistic)StatisticsJson.ParseStatistic(input.GetProperty("control"), "control");
            var b = (RegressionAdjustedStatistic)StatisticsJson.ParseStatistic(input.GetProperty("treatment"), "treatment");
            ResultAssert.Close(expected.GetDouble(), Cuped.ComputeTheta(a, b), id);
        }
        else
        {
            string request = JsonSerializer.Serialize(new Dictionary<string, JsonElement>
            {
                ["test"] = JsonSerializer.SerializeToElement(function.Split(' ')[0]),
                ["config"] = c.GetProperty("config"),
                ["control"] = input.GetProperty("control"),
                ["treatment"] = input.GetProperty("treatment"),
            });
            var actual = JsonDocument.Parse(StatisticsJson.Analyze(request)).RootElement;
            ResultAssert.Matches(expected, actual, id);
        }
    }

    [Fact]
    public void SrmCasesMatchGbstatsCheckSrm()
    {
        Assert.SkipWhen(Cases() is null, NoData);
        var cases = Cases()!.Value.GetProperty("srm_cases_computed").GetProperty("cases");
        Assert.Equal(5, cases.GetArrayLength());
        foreach (var c in cases.EnumerateArray())
        {
            var users = c.GetProperty("users").EnumerateArray().Select(u => u.GetInt64()).ToArray();
            var weights = c.GetProperty("weights").EnumerateArray().Select(w => w.GetDouble()).ToArray();
            ResultAssert.Close(c.GetProperty("p_value").GetDouble(), SampleRatioMismatch.PValue(users, weights), string.Join(",", users));
        }
    }
}
