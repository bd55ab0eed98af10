using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Attune.Server.Security;

/// <summary>
/// CORS by key: each key lists the web origins that may use it (<c>Attune:ApiKeys:N:Origins</c>, <c>origins</c> of
/// <c>POST /v1/keys</c>; <c>*</c> = any). A preflight carries no key, so it is answered for an origin some active key lists;
/// the actual request is then checked against its own key by <see cref="ApiKeyMiddleware"/>.
/// </summary>
/// <remarks>
/// Written by hand rather than with ASP.NET Core's CORS middleware: its policy cannot see the key (the key is checked after
/// it), and it only leaves headers out where Attune refuses a request from an origin its key does not list with a 403, so
/// that the request does nothing at all (a POST from a disallowed page would otherwise be stored before the browser hid the
/// answer).
/// </remarks>
public static class KeyCors
{
    public const string AllowedMethods = "GET, POST, OPTIONS";
    public const string AllowedHeaders = "Authorization, Content-Type, " + ClientKeyRules.Header;
    public const string MaxAgeSeconds = "600";

    /// <summary>The origin as browsers send it (<c>scheme://host[:port]</c>, lower case, default port left out), or null and why.</summary>
    public static string? Normalize(string? text, out string? error)
    {
        error = null;
        text = text?.Trim();
        if (text == "*") return "*";
        if (string.IsNullOrEmpty(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || text.EndsWith("/.", StringComparison.Ordinal))
        {
            error = $"'{text}' is not an origin: scheme://host[:port] (http or https, no path), or * for any";
            return null;
        }
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }

    /// <summary>Whether <paramref name="origins"/> (normalized) lets <paramref name="origin"/> in.</summary>
    public static bool Allows(IReadOnlyList<string> origins, string origin)
    {
        for (int i = 0; i < origins.Count; i++)
        {
            if (origins[i] == "*" || string.Equals(origins[i], origin, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>Whether the request's <c>Origin</c> is this server's own (same scheme, host and port as the request).</summary>
    public static bool IsSameOrigin(HttpContext context, string origin)
    {
        var r = context.Request;
        string own = $"{r.Scheme}://{r.Host.Value}";
        if (string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)) return true;
        // The Host header may name the default port the Origin leaves out.
        return Normalize(own, out _) is { } normalized && string.Equals(origin, normalized, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Lets the page at <paramref name="origin"/> read this answer.</summary>
    public static void Allow(HttpResponse response, string origin)
    {
        var h = response.Headers;
        h.AccessControlAllowOrigin = origin;
        h.AccessControlExposeHeaders = "Retry-After";
        AddVary(response);
    }

    /// <summary>Takes back <see cref="Allow"/>.</summary>
    public static void Withdraw(HttpResponse response)
    {
        response.Headers.Remove("Access-Control-Allow-Origin");
        response.Headers.Remove("Access-Control-Expose-Headers");
    }

    public static void AddVary(HttpResponse response)
    {
        var vary = response.Headers.Vary;
        foreach (string? v in vary) if (string.Equals(v, "Origin", StringComparison.OrdinalIgnoreCase)) return;
        response.Headers.Vary = StringValues.Concat(vary, "Origin");
    }
}

/// <summary>
/// Answers CORS preflights (<c>OPTIONS</c> with <c>Origin</c> and <c>Access-Control-Request-Method</c>) before any key check:
/// 204 with the allowing headers when some active key lists the origin, else 204 with none (the browser then blocks the call).
/// </summary>
public sealed class KeyCorsMiddleware(RequestDelegate next, ApiKeyStore keys)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsOptions(request.Method) || StringValues.IsNullOrEmpty(request.Headers.Origin)
            || StringValues.IsNullOrEmpty(request.Headers.AccessControlRequestMethod))
            return next(context);
        string origin = request.Headers.Origin.ToString();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status204NoContent;
        KeyCors.AddVary(response);
        if (keys.AnyAllowsOrigin(origin))
        {
            var h = response.Headers;
            h.AccessControlAllowOrigin = origin;
            h.AccessControlAllowMethods = KeyCors.AllowedMethods;
            h.AccessControlAllowHeaders = KeyCors.AllowedHeaders;
            h.AccessControlMaxAge = KeyCors.MaxAgeSeconds;
        }
        return Task.CompletedTask;
    }
}
