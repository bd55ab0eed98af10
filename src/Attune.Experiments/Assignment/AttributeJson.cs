using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attune.Experiments.Assignment;

/// <summary>Reads and writes <see cref="AttributeValue"/>s as JSON (numbers as JavaScript prints them; object key order kept).</summary>
public static class AttributeJson
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Parses JSON text. Throws <see cref="JsonException"/> when it is not JSON.</summary>
    public static AttributeValue Parse(string json)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        return FromElement(doc.RootElement);
    }

    public static AttributeValue FromElement(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String: return AttributeValue.FromString(e.GetString());
            case JsonValueKind.Number: return AttributeValue.FromNumber(e.GetDouble());
            case JsonValueKind.True: return AttributeValue.True;
            case JsonValueKind.False: return AttributeValue.False;
            case JsonValueKind.Array:
                var items = new AttributeValue[e.GetArrayLength()];
                int i = 0;
                foreach (var item in e.EnumerateArray()) items[i++] = FromElement(item);
                return AttributeValue.FromArray(items);
            case JsonValueKind.Object:
                var obj = new Attributes();
                foreach (var p in e.EnumerateObject()) obj.Set(p.Name, FromElement(p.Value));
                return AttributeValue.FromObject(obj);
            default: return AttributeValue.Null;
        }
    }

    public static AttributeValue Read(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return AttributeValue.FromString(reader.GetString());
            case JsonTokenType.Number: return AttributeValue.FromNumber(reader.GetDouble());
            case JsonTokenType.True: return AttributeValue.True;
            case JsonTokenType.False: return AttributeValue.False;
            case JsonTokenType.Null: return AttributeValue.Null;
            case JsonTokenType.StartArray:
                var items = new List<AttributeValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(Read(ref reader));
                return AttributeValue.FromArray(items.ToArray());
            case JsonTokenType.StartObject:
                var obj = new Attributes();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    obj.Set(name, Read(ref reader));
                }
                return AttributeValue.FromObject(obj);
            default: throw new JsonException($"Unexpected JSON token {reader.TokenType}");
        }
    }

    public static void Write(Utf8JsonWriter writer, in AttributeValue value)
    {
        switch (value.Kind)
        {
            case AttributeKind.Null: writer.WriteNullValue(); break;
            case AttributeKind.Boolean: writer.WriteBooleanValue(value.AsBoolean); break;
            case AttributeKind.String: writer.WriteStringValue(value.StringUnchecked); break;
            case AttributeKind.Number:
                double d = value.NumberUnchecked;
                if (!double.IsFinite(d))
                {
                    writer.WriteNullValue();
                    break;
                }
                Span<char> buf = stackalloc char[Js.MaxNumberLength];
                Js.TryFormatNumber(d, buf, out int n);
                Span<byte> utf8 = stackalloc byte[Js.MaxNumberLength];
                int bytes = Encoding.ASCII.GetBytes(buf[..n], utf8);
                writer.WriteRawValue(utf8[..bytes], skipInputValidation: true);
                break;
            case AttributeKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.ArrayUnchecked) Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                var obj = value.AsObject!;
                writer.WriteStartObject();
                for (int i = 0; i < obj.Count; i++)
                {
                    writer.WritePropertyName(obj.KeyAt(i));
                    Write(writer, obj.ValueAt(i));
                }
                writer.WriteEndObject();
                break;
        }
    }

    /// <summary>Compact JSON text (JSON.stringify's output for these values).</summary>
    public static string Serialize(in AttributeValue value)
    {
        switch (value.Kind)
        {
            case AttributeKind.Null: return "null";
            case AttributeKind.Boolean: return value.AsBoolean ? "true" : "false";
            case AttributeKind.Number: return double.IsFinite(value.NumberUnchecked) ? Js.ToJsString(value) : "null";
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions)) Write(writer, value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>System.Text.Json support: <see cref="AttributeValue"/> reads and writes as the JSON it holds.</summary>
public sealed class AttributeValueJsonConverter : JsonConverter<AttributeValue>
{
    public override bool HandleNull => true;

    public override AttributeValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => AttributeJson.Read(ref reader);

    public override void Write(Utf8JsonWriter writer, AttributeValue value, JsonSerializerOptions options) => AttributeJson.Write(writer, value);
}

/// <summary>System.Text.Json support: <see cref="Attributes"/> reads and writes as a JSON object.</summary>
public sealed class AttributesJsonConverter : JsonConverter<Attributes>
{
    public override Attributes? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var v = AttributeJson.Read(ref reader);
        return v.Kind == AttributeKind.Object ? v.AsObject : v.IsNull ? null : throw new JsonException("Attributes must be a JSON object");
    }

    public override void Write(Utf8JsonWriter writer, Attributes value, JsonSerializerOptions options) =>
        AttributeJson.Write(writer, AttributeValue.FromObject(value));
}
