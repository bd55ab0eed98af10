using System.Text.Json;
using Attune.Evaluation.Tuning;

namespace Attune.Evaluation.Running;

/// <summary>
/// Writes an <see cref="EvaluationResult"/> as JSON: <c>{"protocol", "model", "params", "dataset", "split", "metrics": {...},
/// "cases", "trainSeconds", "scoreSeconds", "scoreMsPerCase", "peakMemoryMB", "threads", "notes"}</c>, metric names lower case.
/// </summary>
public static class ResultJson
{
    public static void Write(string path, EvaluationResult result)
    {
        using var stream = File.Create(path);
        Write(stream, result);
    }

    public static void Write(Stream stream, EvaluationResult result)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("protocol", result.Protocol);
        w.WriteString("model", result.Model);
        ParameterJson.Write(w, "params", result.Parameters);
        w.WriteString("dataset", result.Dataset);
        w.WriteString("split", result.Split);
        w.WriteStartObject("metrics");
        foreach (var (name, value) in result.Metrics) w.WriteNumber(name.ToLowerInvariant(), Math.Round(value, 6));
        w.WriteEndObject();
        w.WriteNumber("cases", result.Cases);
        w.WriteNumber("trainSeconds", Math.Round(result.TrainSeconds, 3));
        w.WriteNumber("scoreSeconds", Math.Round(result.ScoreSeconds, 3));
        w.WriteNumber("scoreMsPerCase", Math.Round(result.ScoreMsPerCase, 4));
        w.WriteNumber("peakMemoryMB", Math.Round(result.PeakMemoryMB, 1));
        w.WriteNumber("threads", result.Threads);
        w.WriteStartArray("notes");
        foreach (string note in result.Notes) w.WriteStringValue(note);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
