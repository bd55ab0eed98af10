using System.Text.Encodings.Web;
using System.Text.Json;
using Attune.Decisions.Service;
using Microsoft.AspNetCore.Http;

namespace Attune.Server.Apis;

/// <summary>
/// The answer of <c>POST /v1/decisions/{point}/rank</c> (the shape of <see cref="DecisionsApi.RankOutput"/>), written straight
/// to the response: the hottest decision path skips building output records and the serializer's reflection.
/// </summary>
internal sealed class RankAnswer(RankResult result, bool slots) : IResult
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var body = response.BodyWriter;
        using (var w = new Utf8JsonWriter(body, s_options))
        {
            var first = result.Slots[0];
            w.WriteStartObject();
            w.WriteString("eventId", result.EventId);
            w.WriteString("point", result.Point);
            w.WriteString("chosen", first.ChosenId);
            WriteRanking(w, first.Ranking);
            w.WriteBoolean("activated", result.Activated);
            w.WriteString("policy", result.Policy);
            if (result.Experiment is { } experiment)
            {
                w.WriteString("experiment", experiment);
                w.WriteString("variant", result.Variant);
            }
            if (slots)
            {
                w.WriteStartArray("slots");
                foreach (var slot in result.Slots)
                {
                    w.WriteStartObject();
                    w.WriteString("id", slot.SlotId);
                    w.WriteString("chosen", slot.ChosenId);
                    WriteRanking(w, slot.Ranking);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        await body.FlushAsync(context.RequestAborted);
    }

    private static void WriteRanking(Utf8JsonWriter w, IReadOnlyList<RankedAction> ranking)
    {
        w.WriteStartArray("ranking");
        for (int i = 0; i < ranking.Count; i++)
        {
            var r = ranking[i];
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            w.WriteNumber("probability", r.Probability);
            w.WriteNumber("score", r.Score);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
