using Attune.Experiments.Assignment;

namespace Attune.Tests.Experiments.Assignment;

/// <summary>
/// Every case of the GrowthBook SDK conformance suite (<c>../shared/datasets/growthbook-sdk-spec/cases.json</c>, spec v5), one
/// test per case named <c>section[index] case name</c>. Sections left out are listed as skipped with the reason. A clone without
/// <c>../shared</c> skips these and still runs <see cref="GrowthBookSpecSubsetTests"/>.
/// </summary>
public sealed class GrowthBookSpecTests
{
    private const string NoData = "../shared/datasets is not present";

    public static IEnumerable<TheoryDataRow<string, int, string>> Cases()
    {
        string? path = TestPaths.SharedDatasets is { } root ? Path.Combine(root, "growthbook-sdk-spec", "cases.json") : null;
        if (path is null || !File.Exists(path))
        {
            yield return new TheoryDataRow<string, int, string>("none", 0, "[]") { TestDisplayName = "GrowthBook spec cases (not present)" };
            yield break;
        }
        foreach (var row in Rows(AttributeJson.Parse(File.ReadAllText(path)))) yield return row;
    }

    /// <summary>One row per case of a cases.json-shaped document; rows of left-out sections carry their skip reason.</summary>
    internal static IEnumerable<TheoryDataRow<string, int, string>> Rows(AttributeValue doc)
    {
        foreach (var (section, cases) in doc.AsObject!)
        {
            if (cases.Kind != AttributeKind.Array) continue; // specVersion
            string? skip = SpecRunner.Sections.Contains(section) ? null
                : SpecRunner.LeftOut.TryGetValue(section, out var reason) ? reason : $"no runner for section {section}";
            var items = cases.AsList!;
            for (int i = 0; i < items.Count; i++)
            {
                yield return new TheoryDataRow<string, int, string>(section, i, items[i].ToJson())
                {
                    TestDisplayName = $"{section}[{i}] {CaseName(section, items[i])}",
                    Skip = skip,
                };
            }
        }
    }

    private static string CaseName(string section, in AttributeValue c)
    {
        var items = c.AsArray;
        return section switch
        {
            "hash" => $"hash(\"{items[0].AsString}\", \"{items[1].AsString}\", {items[2]})",
            "getEqualWeights" => $"getEqualWeights({items[0]})",
            _ => items[0].AsString ?? c.ToJson(),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConformsToTheSpec(string section, int index, string json)
    {
        Assert.SkipWhen(section == "none", NoData);
        _ = index;
        SpecRunner.Run(section, AttributeJson.Parse(json).AsList!.ToArray());
    }

    [Fact]
    public void EverySectionOfTheSuiteIsRunOrNamedAsLeftOut()
    {
        string? root = TestPaths.SharedDatasets;
        Assert.SkipWhen(root is null, NoData);
        var doc = AttributeJson.Parse(File.ReadAllText(Path.Combine(root, "growthbook-sdk-spec", "cases.json")));

        var sections = doc.AsObject!.Where(kv => kv.Value.Kind == AttributeKind.Array).Select(kv => kv.Key).ToList();

        Assert.Equal(13, sections.Count);
        Assert.All(sections, s => Assert.True(SpecRunner.Sections.Contains(s) || SpecRunner.LeftOut.ContainsKey(s), s));
    }
}
