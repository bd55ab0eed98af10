using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Attune.Model;

/// <summary>
/// The event fields that the store keeps beside its integer columns (session, channel, anonymous id, recommendation id,
/// query, context), as one compact JSON object.
/// </summary>
public static class EventExtra
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The JSON of the extra fields, or null when the event has none.</summary>
    public static string? ToJson(Event e)
    {
        if (e.SessionId is null && e.Channel is null && e.ContextJson is null && e.RecommendationId is null && e.Query is null
            && e.AnonymousId is null)
            return null;
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (e.SessionId is not null) w.WriteString("sessionId", e.SessionId);
            if (e.Channel is not null) w.WriteString("channel", e.Channel);
            if (e.AnonymousId is not null) w.WriteString("anonymousId", e.AnonymousId);
            if (e.RecommendationId is not null) w.WriteString("recommendationId", e.RecommendationId);
            if (e.Query is not null) w.WriteString("query", e.Query);
            if (e.ContextJson is not null)
            {
                w.WritePropertyName("context");
                w.WriteRawValue(e.ContextJson, skipInputValidation: true);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
