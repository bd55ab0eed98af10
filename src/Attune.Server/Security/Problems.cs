using System.Text.Json;
using Attune.Model;
using Attune.Validation;
using Microsoft.AspNetCore.Http;

namespace Attune.Server.Security;

/// <summary>RFC 9457 problem responses (<c>application/problem+json</c>), written directly so that they work in middleware too.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static Task Write(HttpContext context, int status, string title, string detail, bool authenticate = false,
        IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var r = context.Response;
        r.StatusCode = status;
        r.ContentType = ContentType;
        if (authenticate) r.Headers.WWWAuthenticate = "Bearer";
        return JsonSerializer.SerializeAsync(r.Body, new ProblemBody(Type(status), title, status, detail, errors), AttuneJson.Options);
    }

    public static IResult Result(int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null,
        IReadOnlyList<RejectedRecord>? rejected = null) =>
        new ProblemResult(new ProblemBody(Type(status), title, status, detail, errors, rejected));

    /// <summary>A 400 naming each bad field; for batches the field is prefixed with the record's index, e.g. <c>[3].timestamp</c>.</summary>
    public static IResult Validation(IReadOnlyList<RejectedRecord> rejected, bool batch)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var r in rejected)
        {
            foreach (var e in r.Errors)
            {
                string key = batch ? (e.Field.Length == 0 ? $"[{r.Index}]" : $"[{r.Index}].{e.Field}") : (e.Field.Length == 0 ? "body" : e.Field);
                errors[key] = errors.TryGetValue(key, out var prior) ? [.. prior, e.Message] : [e.Message];
            }
        }
        string first = errors.First() is var f ? $"{f.Key}: {f.Value[0]}" : "";
        return Result(StatusCodes.Status400BadRequest, "Invalid input", first, errors, batch ? rejected : null);
    }

    public static IResult BadField(string field, string message) =>
        Result(StatusCodes.Status400BadRequest, "Invalid input", $"{field}: {message}",
            new Dictionary<string, string[]> { [field] = [message] });

    public static IResult NotFound(string what, string id) =>
        Result(StatusCodes.Status404NotFound, $"{what} not found", $"No {what.ToLowerInvariant()} with id '{id}'.");

    private static string Type(int status) => $"https://httpwg.org/specs/rfc9110.html#status.{status}";

    private sealed record ProblemBody(string Type, string Title, int Status, string Detail,
        IReadOnlyDictionary<string, string[]>? Errors = null, IReadOnlyList<RejectedRecord>? Rejected = null);

    private sealed class ProblemResult(ProblemBody body) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
    {
        public int? StatusCode => body.Status;
        public string ContentType => Problems.ContentType;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = body.Status;
            httpContext.Response.ContentType = Problems.ContentType;
            return JsonSerializer.SerializeAsync(httpContext.Response.Body, body, AttuneJson.Options);
        }
    }
}
