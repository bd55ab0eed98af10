using System.Net;
using System.Net.Sockets;

namespace Attune.Client;

/// <summary>Which failures a call may be retried after.</summary>
internal enum RetryMode
{
    /// <summary>
    /// Sending the request twice has the effect of sending it once (reads, upserts, deletes, identify, PUTs): retried after
    /// connection errors, timeouts, 408, 429, 502, 503 and 504.
    /// </summary>
    Idempotent,

    /// <summary>
    /// Sending it twice may do it twice (training; creating or starting an experiment; <c>POST /v1/events</c> is sent with an
    /// idempotency key instead, and retried as idempotent): retried only when the request provably never reached the server: the connection
    /// was refused or the host name did not resolve.
    /// </summary>
    NotSent,
}

/// <summary>Exponential backoff with full jitter, and what counts as transient. Written by hand: about 40 lines that
/// Polly or Microsoft.Extensions.Http.Resilience would replace with a dependency for every user of the package.</summary>
internal static class Retries
{
    public static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>Whether the request never reached a server: nothing listened, or the name did not resolve.</summary>
    public static bool NeverSent(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.NameResolutionError
        || FindSocketError(e) is SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    private static SocketError? FindSocketError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SocketException s) return s.SocketErrorCode;
        }
        return null;
    }

    /// <summary>
    /// The delay before attempt <paramref name="attempt"/> + 1: the server's <c>Retry-After</c> when it sent one, else a random
    /// time in [0, base × 2^(attempt−1)] ("full jitter", so clients that failed together do not retry together); never more
    /// than <paramref name="max"/>.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan max, HttpResponseMessage? response, DateTimeOffset now)
    {
        if (response?.Headers.RetryAfter is { } retryAfter)
        {
            TimeSpan? asked = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - now : null);
            if (asked is { } a) return a < TimeSpan.Zero ? TimeSpan.Zero : a > max ? max : a;
        }
        double ceiling = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        double ms = Random.Shared.NextDouble() * Math.Min(ceiling, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }
}
