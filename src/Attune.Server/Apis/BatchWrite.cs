using System.Text.Json;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Http;

namespace Attune.Server.Apis;

/// <summary>
/// The one shape of every batch write (events, items, users): read the body, validate each record on its own, store the
/// valid ones durably, and answer with what was accepted and what was rejected by index. All rejected: a 400 problem.
/// </summary>
internal static class BatchWrite
{
    public static Task<IResult> HandleAsync<T>(HttpContext context, AttuneServices s,
        Func<JsonElement, List<FieldError>, T?> read, Func<List<T>, CancellationToken, Task> store)
        where T : class =>
        HandleAsync(context, s, read, async (records, _, ct) =>
        {
            await store(records, ct);
            return null;
        });

    /// <summary>
    /// Reads a batch, validates each record and stores the good ones; <paramref name="store"/> sees the parsed body too (its
    /// hash) and may answer instead of the batch result (a refusal), or null to answer it.
    /// </summary>
    public static async Task<IResult> HandleAsync<T>(HttpContext context, AttuneServices s,
        Func<JsonElement, List<FieldError>, T?> read, Func<List<T>, RequestBody.Parsed, CancellationToken, Task<IResult?>> store)
        where T : class
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: true);
        if (problem is not null) return problem;
        using (body)
        {
            var accepted = new List<T>(body!.Records.Count);
            var rejected = new List<RejectedRecord>();
            var errors = new List<FieldError>();
            for (int i = 0; i < body.Records.Count; i++)
            {
                errors.Clear();
                if (body.InvalidRecords is { } invalid && invalid.TryGetValue(i, out var textErrors))
                {
                    rejected.Add(new RejectedRecord(i, textErrors));
                    continue;
                }
                var record = read(body.Records[i], errors);
                if (record is not null) accepted.Add(record);
                else rejected.Add(new RejectedRecord(i, errors.ToArray()));
            }
            if (accepted.Count == 0 && rejected.Count > 0) return Problems.Validation(rejected, body.IsBatch);
            if (accepted.Count > 0 && await store(accepted, body, context.RequestAborted) is { } answer) return answer;
            return TypedResults.Ok(new BatchResult(accepted.Count, rejected));
        }
    }
}
