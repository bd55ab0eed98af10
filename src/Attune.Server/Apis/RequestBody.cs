using System.Buffers;
using System.Text.Json;
using Attune.Model;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Http;


namespace Attune.Server.Apis;

/// <summary>
/// Reads a JSON body within the size limit and splits it into records (one object, or an array of up to
/// <see cref="Limits.MaxBatchSize"/>). Every failure becomes a problem response, never an exception.
/// </summary>
internal static class RequestBody
{
    /// <param name="InvalidRecords">Records of a batch whose text cannot be read (invalid UTF-8, an unpaired surrogate, a field
    /// given twice), by index, with their problems named relative to the record: reject them, go on with the others.</param>
    /// <remarks>The document reads the request's bytes in place (JsonDocument does not copy them): the pooled buffer that
    /// holds them goes back to the pool when this is disposed, not before.</remarks>
    public sealed record Parsed(JsonDocument Document, IReadOnlyList<JsonElement> Records, bool IsBatch,
        IReadOnlyDictionary<int, FieldError[]>? InvalidRecords = null) : IDisposable
    {
        internal byte[]? Buffer { get; init; }
        internal int Length { get; init; }

        /// <summary>SHA-256 of the request's bytes (what an idempotency key is stored with).</summary>
        public byte[] Sha256() => System.Security.Cryptography.SHA256.HashData(Buffer.AsSpan(0, Length));

        public void Dispose()
        {
            Document.Dispose();
            if (Buffer is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static async Task<(Parsed? Body, IResult? Problem)> ReadRecordsAsync(HttpContext context, long maxBytes, bool allowBatch)
    {
        var request = context.Request;
        if (request.ContentType is { } ct && !ct.Contains("json", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send JSON with 'Content-Type: application/json', not '{ct}'."));
        if (request.ContentLength > maxBytes)
            return (null, TooLarge(maxBytes));

        byte[]? buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and var n ? (int)n : 16 * 1024);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= maxBytes) return (null, TooLarge(maxBytes));
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                int read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0) break;
                length += read;
                if (length > maxBytes) return (null, TooLarge(maxBytes));
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, TooLarge(maxBytes));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        try
        {
            if (length == 0)
                return (null, Problems.BadField("body", "is empty; send a JSON object" + (allowBatch ? " or an array of objects" : "")));
            JsonDocument doc;
            try
            {
                // JsonDocument reads the buffer in place for its whole life: the buffer goes back to the pool with the document
                // (Parsed.Dispose), or here when no document is handed out.
                doc = JsonDocument.Parse(buffer.AsMemory(0, length), AttuneJson.DocumentOptions);
            }
            catch (JsonException e)
            {
                return (null, Problems.BadField("body",
                    $"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}"));
            }
            var root = doc.RootElement;
            // JsonDocument accepts invalid UTF-8, unpaired surrogate escapes and repeated field names; reading such a string
            // throws later, and a repeated name silently wins or loses. One scan here covers every JSON endpoint.
            var textProblems = JsonTextCheck.Scan(buffer.AsSpan(0, length));
            Dictionary<int, FieldError[]>? invalidRecords = null;
            if (textProblems.Count > 0)
            {
                if (root.ValueKind == JsonValueKind.Array && allowBatch && ByRecord(textProblems) is { } byRecord)
                    invalidRecords = byRecord;
                else
                {
                    doc.Dispose();
                    return (null, Problems.Validation([new RejectedRecord(0, textProblems)], batch: false));
                }
            }
            if (root.ValueKind == JsonValueKind.Array)
            {
                if (!allowBatch)
                {
                    doc.Dispose();
                    return (null, Problems.BadField("body", "must be one JSON object"));
                }
                int count = root.GetArrayLength();
                if (count > Limits.MaxBatchSize)
                {
                    doc.Dispose();
                    return (null, Problems.BadField("body", $"holds {count} records; at most {Limits.MaxBatchSize} per request"));
                }
                var records = new List<JsonElement>(count);
                foreach (var e in root.EnumerateArray()) records.Add(e);
                var batch = new Parsed(doc, records, true, invalidRecords) { Buffer = buffer, Length = length };
                buffer = null;
                return (batch, null);
            }
            if (root.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                return (null, Problems.BadField("body", allowBatch ? "must be a JSON object or an array of objects" : "must be a JSON object"));
            }
            var one = new Parsed(doc, [root], false) { Buffer = buffer, Length = length };
            buffer = null;
            return (one, null);
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Problems of a root array grouped by record (<c>[3].userId</c> → record 3, <c>userId</c>), or null if one lies outside.</summary>
    private static Dictionary<int, FieldError[]>? ByRecord(List<FieldError> problems)
    {
        var byRecord = new Dictionary<int, List<FieldError>>();
        foreach (var p in problems)
        {
            int close = p.Field.IndexOf(']', StringComparison.Ordinal);
            if (!p.Field.StartsWith('[') || close < 0 || !int.TryParse(p.Field.AsSpan(1, close - 1), out int index)) return null;
            string field = p.Field[(close + 1)..].TrimStart('.');
            if (!byRecord.TryGetValue(index, out var list)) byRecord[index] = list = [];
            list.Add(new FieldError(field, p.Message));
        }
        return byRecord.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    private static IResult TooLarge(long maxBytes) =>
        Problems.Result(StatusCodes.Status413PayloadTooLarge, "Body too large",
            $"The request body is larger than {maxBytes} bytes (Attune:MaxRequestBodyBytes); split it into smaller batches.",
            new Dictionary<string, string[]> { ["body"] = [$"larger than {maxBytes} bytes"] });

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(" Path:", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
