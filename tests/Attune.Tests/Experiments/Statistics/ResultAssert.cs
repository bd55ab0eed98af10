using System.Globalization;
using System.Text.Json;

namespace Attune.Tests.Experiments.Statistics;

/// <summary>Compares engine output with gbstats' JSON: same keys in the same order, numbers to 1e-6 relative (1e-9 absolute near 0).</summary>
internal static class ResultAssert
{
    public const double Relative = 1e-6;
    public const double Absolute = 1e-9;

    public static void Matches(JsonElement expected, JsonElement actual, string path = "$")
    {
        if (expected.ValueKind == JsonValueKind.Number)
        {
            Assert.True(actual.ValueKind == JsonValueKind.Number, $"{path}: expected a number, got {actual}");
            Close(expected.GetDouble(), actual.GetDouble(), path);
            return;
        }
        Assert.True(expected.ValueKind == actual.ValueKind, $"{path}: expected {expected.ValueKind} {expected}, got {actual.ValueKind} {actual}");
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var expectedNames = expected.EnumerateObject().Select(p => p.Name).ToList();
                var actualNames = actual.EnumerateObject().Select(p => p.Name).ToList();
                Assert.True(expectedNames.SequenceEqual(actualNames), $"{path}: keys {string.Join(",", actualNames)}, expected {string.Join(",", expectedNames)}");
                foreach (var p in expected.EnumerateObject()) Matches(p.Value, actual.GetProperty(p.Name), path + "." + p.Name);
                break;
            case JsonValueKind.Array:
                Assert.True(expected.GetArrayLength() == actual.GetArrayLength(), $"{path}: length {actual.GetArrayLength()}, expected {expected.GetArrayLength()}");
                for (int i = 0; i < expected.GetArrayLength(); i++) Matches(expected[i], actual[i], $"{path}[{i}]");
                break;
            case JsonValueKind.String:
                Assert.True(expected.GetString() == actual.GetString(), $"{path}: '{actual.GetString()}', expected '{expected.GetString()}'");
                break;
        }
    }

    public static void Close(double expected, double actual, string what)
    {
        double tolerance = Math.Max(Absolute, Relative * Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance,
            $"{what}: {actual.ToString("R", CultureInfo.InvariantCulture)}, expected {expected.ToString("R", CultureInfo.InvariantCulture)} (±{tolerance:G3})");
    }
}
