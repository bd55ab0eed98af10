using System.Text.Json;

namespace Attune.Evaluation.Tuning;

/// <summary>
/// The file <c>attune tune --out</c> writes and <c>attune evaluate --params-file</c> reads:
/// <c>{"model", "params": {...}, "metric", "value", "trials"}</c>. Reading uses only <c>params</c> (and reports <c>model</c>).
/// </summary>
public static class TunedParametersFile
{
    public static void Write(string path, TuningResult result)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("model", result.Model);
        ParameterJson.Write(w, "params", result.BestParameters);
        w.WriteString("metric", result.Metric);
        w.WriteNumber("value", result.BestValue);
        w.WriteNumber("trials", result.Trials.Count);
        w.WriteString("protocol", result.Protocol);
        w.WriteNumber("seconds", Math.Round(result.Seconds, 3));
        w.WriteEndObject();
    }

    /// <summary>The parameters and, when present, the model they were tuned for.</summary>
    public static (string? Model, Dictionary<string, string> Parameters) Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("params", out var parameters))
            throw new InvalidDataException($"{path} has no \"params\" object");
        string? model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        return (model, ParameterJson.Read(parameters));
    }
}
