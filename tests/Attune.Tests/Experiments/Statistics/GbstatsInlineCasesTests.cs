using System.Text.Json;
using Attune.Experiments.Statistics;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>The cases kept in <see cref="GbstatsInlineCases"/>: these run in every clone, with or without ../shared.</summary>
public sealed class GbstatsInlineCasesTests
{
    public static TheoryData<string> Ids() => [.. GbstatsInlineCases.All.Select(c => c.Id)];

    [Theory]
    [MemberData(nameof(Ids))]
    public void InlineCaseMatchesGbstats(string id)
    {
        var c = GbstatsInlineCases.All.Single(x => x.Id == id);
        var actual = JsonDocument.Parse(StatisticsJson.Analyze(c.Request)).RootElement;
        ResultAssert.Matches(JsonDocument.Parse(c.Expected).RootElement, actual, c.Id);
    }

    [Fact]
    public void EveryTestClassIsCovered()
    {
        var covered = GbstatsInlineCases.All.Select(c => JsonDocument.Parse(c.Request).RootElement.GetProperty("test").GetString()).ToHashSet();
        Assert.Equal(StatisticalTests.Names.OrderBy(n => n), covered.OrderBy(n => n));
    }

    [Fact]
    public void OutputIsGbstatsJsonCharacterForCharacter()
    {
        // json.dumps of gbstats' result for freq_two_sided_negative_variance_default_output: Python's float repr, key order.
        var c = GbstatsInlineCases.All.Single(x => x.Id == "freq_two_sided_negative_variance_default_output");
        Assert.Equal(c.Expected.Replace(": ", ":").Replace(", ", ","), StatisticsJson.Analyze(c.Request));
    }
}
