using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Attune.Experiments.Statistics;

/// <summary>
/// The JSON contract of the statistics engine, which other tools depend on. Input:
/// <c>{"test": NAME, "config": {...}, "control": STATISTIC, "treatment": STATISTIC}</c>, with gbstats' test class names, config
/// field names and statistic <c>type</c> names (docs/statistics.md lists them). Output: the keys of gbstats' result dataclass,
/// in its order (<c>expected</c>, <c>ci</c>, <c>uplift</c>, <c>errorMessage</c>, then <c>pValue</c>, <c>pValueErrorMessage</c> or
/// <c>chanceToWin</c>, <c>risk</c>, <c>riskType</c>), numbers as Python prints them and infinities as the strings
/// <c>"inf"</c>/<c>"-inf"</c>.
/// </summary>
/// <remarks>
/// Parsing is strict: a missing, unknown, duplicated or ill-typed field throws <see cref="StatisticsInputException"/> naming its
/// path. A statistic that no test can use (n &lt; 2, zero variance) is not malformed: the output carries gbstats' errorMessage.
/// </remarks>
public static partial class StatisticsJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    /// <summary>Parses, runs and writes one request: the whole contract in one call.</summary>
    /// <exception cref="StatisticsInputException">Malformed input.</exception>
    public static string Analyze(string json, bool indented = false) => Serialize(ParseRequest(json).Run(), indented);

    /// <summary>Parses a request from its JSON text.</summary>
    /// <exception cref="StatisticsInputException">Malformed input; <c>body</c> when it is not JSON at all.</exception>
    public static AnalysisRequest ParseRequest(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new StatisticsInputException("body", $"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
        using (doc) return ParseRequest(doc.RootElement);
    }

    /// <summary>Parses a request from a JSON element (the HTTP layer's already parsed body).</summary>
    /// <exception cref="StatisticsInputException">Malformed input.</exception>
    public static AnalysisRequest ParseRequest(JsonElement root)
    {
        var fields = new JsonFields(root, "", "the request", "test", "config", "control", "treatment");
        string test = fields.String("test");
        if (StatisticalTests.KindOf(test) is not { } kind)
            throw new StatisticsInputException("test", $"unknown test '{test}'; known tests: {string.Join(", ", StatisticalTests.Names)}");
        var config = ParseConfig(fields.Optional("config"), kind, test);
        var control = ParseStatistic(fields.Required("control"), "control");
        var treatment = ParseStatistic(fields.Required("treatment"), "treatment");
        CheckPair(control, treatment, config);
        return new AnalysisRequest(test, config, control, treatment);
    }

    /// <summary>The result as contract JSON.</summary>
    public static string Serialize(TestResult result, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, result);
        }
        if (!indented) return Encoding.UTF8.GetString(buffer.WrittenSpan);
        // Utf8JsonWriter does not indent raw values; a parsed element writes its numbers' original text, indented.
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        var pretty = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(pretty, new JsonWriterOptions { Indented = true }))
        {
            doc.RootElement.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(pretty.WrittenSpan);
    }

    /// <summary>Writes the result object with gbstats' keys, in gbstats' order.</summary>
    public static void Write(Utf8JsonWriter writer, TestResult result)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("expected");
        WriteNumber(writer, result.Expected);
        writer.WriteStartArray("ci");
        WriteNumber(writer, result.Ci.Lower);
        WriteNumber(writer, result.Ci.Upper);
        writer.WriteEndArray();
        writer.WriteStartObject("uplift");
        writer.WriteString("dist", result.Uplift.Dist);
        writer.WritePropertyName("mean");
        WriteNumber(writer, result.Uplift.Mean);
        writer.WritePropertyName("stddev");
        WriteNumber(writer, result.Uplift.StdDev);
        writer.WriteEndObject();
        WriteNullableString(writer, "errorMessage", result.ErrorMessage);
        switch (result)
        {
            case FrequentistTestResult f:
                writer.WritePropertyName("pValue");
                if (f.PValue is { } p) WriteNumber(writer, p);
                else writer.WriteNullValue();
                WriteNullableString(writer, "pValueErrorMessage", f.PValueErrorMessage);
                break;
            case BayesianTestResult b:
                writer.WritePropertyName("chanceToWin");
                WriteNumber(writer, b.ChanceToWin);
                writer.WriteStartArray("risk");
                WriteNumber(writer, b.Risk.Control);
                WriteNumber(writer, b.Risk.Treatment);
                writer.WriteEndArray();
                writer.WriteString("riskType", b.RiskType);
                break;
        }
        writer.WriteEndObject();
    }

    /// <summary>A number as Python's repr, or the string gbstats' reference data uses for a non-finite one.</summary>
    private static void WriteNumber(Utf8JsonWriter writer, double value)
    {
        if (double.IsPositiveInfinity(value)) writer.WriteStringValue("inf");
        else if (double.IsNegativeInfinity(value)) writer.WriteStringValue("-inf");
        else if (double.IsNaN(value)) writer.WriteStringValue("nan");
        else writer.WriteRawValue(PythonFloat.Repr(value), skipInputValidation: true);
    }

    private static void WriteNullableString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }
}
