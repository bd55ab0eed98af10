using System.Net;
using System.Text.Json;
using Attune.Model;
using Attune.Validation;

namespace Attune.Client;

/// <summary>
/// The server answered 4xx or 5xx. Carries its <c>application/problem+json</c> body (RFC 9457): status, title, detail, the
/// errors by field (<c>[3].timestamp</c> in a batch) and, for a batch where every record was rejected, each rejected record.
/// </summary>
public sealed class AttuneApiException : Exception
{
    public AttuneApiException(HttpStatusCode status, string? title, string? detail, IReadOnlyDictionary<string, string[]> errors,
        IReadOnlyList<RejectedRecord>? rejected, string method, string path)
        : base($"{method} {path}: {(int)status} {title}{(string.IsNullOrEmpty(detail) ? "" : ": " + detail)}")
    {
        StatusCode = status;
        Title = title;
        Detail = detail;
        Errors = errors;
        Rejected = rejected;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem's title (e.g. <c>Invalid input</c>); the reason phrase when the body was not a problem.</summary>
    public string? Title { get; }

    /// <summary>The problem's detail; the start of the body when it was not a problem.</summary>
    public string? Detail { get; }

    /// <summary>Messages by field; empty when the problem names none.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>A batch write where every record was rejected: each record's index and problems. Null otherwise.</summary>
    public IReadOnlyList<RejectedRecord>? Rejected { get; }

    internal static async Task<AttuneApiException> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var request = response.RequestMessage;
        string method = request?.Method.Method ?? "?", path = request?.RequestUri?.AbsolutePath ?? "?";
        string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase) && body.Length > 0)
        {
            try
            {
                var problem = JsonSerializer.Deserialize<ProblemBody>(body, AttuneJson.Options);
                if (problem is not null)
                    return new AttuneApiException(response.StatusCode, problem.Title ?? response.ReasonPhrase, problem.Detail,
                        problem.Errors ?? s_noErrors, problem.Rejected, method, path);
            }
            catch (JsonException) { }
        }
        string detail = body.Length > 500 ? body[..500] : body;
        return new AttuneApiException(response.StatusCode, response.ReasonPhrase, detail, s_noErrors, null, method, path);
    }

    private static readonly IReadOnlyDictionary<string, string[]> s_noErrors = new Dictionary<string, string[]>();

    private sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail,
        Dictionary<string, string[]>? Errors, List<RejectedRecord>? Rejected);
}
