using System.Text;
using Attune.Validation;

namespace Attune.Tests.Server;

/// <summary>The one scan behind every JSON body: paths of bad text and repeated names, and no false alarms.</summary>
public sealed class JsonTextCheckTests
{
    private static string[] Fields(string json) => [.. JsonTextCheck.Scan(Encoding.UTF8.GetBytes(json)).Select(p => p.Field)];

    [Fact]
    public void NamesThePathOfEachProblem()
    {
        Assert.Equal(["[1].context.page"], Fields("""[{"a":1},{"context":{"page":"x","page":"y"}}]"""));
        Assert.Equal(["tags[2]"], Fields("""{"tags":["a","b","\ud800"]}"""));
        Assert.Equal([""], Fields("\"\\udc00\""));
        Assert.Equal(["a"], Fields("""{"a":1,"\u0061":2}""")); // the same name, once escaped
        Assert.Equal(["k3"], Fields("{" + string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"k{i}\":{i}")) + ",\"k3\":0}"));
    }

    [Fact]
    public void AcceptsWhatIsValid()
    {
        Assert.Empty(Fields("""{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"\ud83d\ude00 é ✓","d":"\n\"\\"}"""));
        Assert.Empty(Fields("{" + string.Join(",", Enumerable.Range(0, 300).Select(i => $"\"k{i}\":{i}")) + "}"));
    }

    [Fact]
    public void FindsInvalidUtf8InValuesAndNames()
    {
        byte[] value = [.. "{\"a\":\"x"u8, 0xFF, .. "\"}"u8];
        Assert.Equal(["a"], JsonTextCheck.Scan(value).Select(p => p.Field));
        byte[] name = [.. "{\"o\":{\"x"u8, 0xC0, .. "\":1}}"u8];
        Assert.Equal(["o"], JsonTextCheck.Scan(name).Select(p => p.Field));
    }
}
