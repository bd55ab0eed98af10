using System.Globalization;
using System.Text.Json;

namespace Attune.Evaluation.Tuning;

/// <summary>Model parameters as a JSON object: numbers and booleans written as such, other values as strings; read back as text.</summary>
public static class ParameterJson
{
    public static void Write(Utf8JsonWriter writer, string propertyName, IReadOnlyDictionary<string, string> parameters)
    {
        writer.WriteStartObject(propertyName);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
                writer.WriteNumber(name, d);
            else if (bool.TryParse(value, out bool b)) writer.WriteBoolean(name, b);
            else writer.WriteString(name, value);
        }
        writer.WriteEndObject();
    }

    public static Dictionary<string, string> Read(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object) throw new InvalidDataException("\"params\" must be a JSON object");
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in parameters.EnumerateObject())
        {
            values[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Number => p.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => throw new InvalidDataException($"parameter '{p.Name}' must be a number, a boolean or a string"),
            };
        }
        return values;
    }
}
