using System.Globalization;
using System.Net;
using Attune.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Security;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> against the route's <see cref="RequiredScope"/>: 401 without a valid key,
/// 403 when the key lacks the scope (a <c>client</c> key passes on routes that admit it, marked for <see cref="ClientKeyRules"/>)
/// or a browser page's <c>Origin</c> is not one the key lists (<see cref="KeyCors"/>), 429 when the client address spent its failed attempts or the key its request budget
/// (<see cref="AuthLimits"/>). Failed authentications are logged with the client address, path and reason (never the key).
/// With no key at all, configured or stored, every request passes, but only on a loopback address
/// (<see cref="LoopbackGuard.IsOpenToNetwork"/>): one that arrived on any other address gets 403.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyStore keys, AuthLimits limits, ILogger<ApiKeyMiddleware> log)
{
    /// <summary>The <see cref="HttpContext.Items"/> key of the presented key's name (who made a change: a rule's history, a key's creator).</summary>
    public const string KeyNameItem = "attune.key-name";

    /// <summary>The header Azure's services (Personalizer) take the key in; accepted like <c>Authorization: Bearer</c>.</summary>
    public const string SubscriptionKeyHeader = "Ocp-Apim-Subscription-Key";

    /// <summary>The name of the key the request was authenticated with; null when the server has no key (open).</summary>
    public static string? KeyName(HttpContext context) => context.Items.TryGetValue(KeyNameItem, out var name) ? name as string : null;

    public Task InvokeAsync(HttpContext context)
    {
        if (keys.IsEmpty)
        {
            if (!LoopbackGuard.IsOpenToNetwork(context, keys)) return next(context);
            return Problems.Write(context, StatusCodes.Status403Forbidden, "Loopback only",
                "This server has no API key, so it answers only on loopback addresses.");
        }
        var required = context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>();
        if (required is null) return next(context);

        // A page on another origin: it may read the answers (401, 429 too) when some key lists its origin; the key presented
        // decides below.
        string? origin = context.Request.Headers.Origin;
        if (string.IsNullOrEmpty(origin) || KeyCors.IsSameOrigin(context, origin)) origin = null;
        else if (keys.AnyAllowsOrigin(origin)) KeyCors.Allow(context.Response, origin);

        var address = ClientAddress(context);
        if (limits.IsBlocked(address, out var wait))
            return TooMany(context, wait, "Too many failed authentications", "This address presented too many unknown keys; try again later.");

        string? header = context.Request.Headers.Authorization;
        // Azure Personalizer's clients send their key in Ocp-Apim-Subscription-Key: the same key, another header.
        if (header is null && context.Request.Headers.TryGetValue(SubscriptionKeyHeader, out var subscription) && subscription.Count == 1)
            header = "Bearer " + subscription[0];
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            LogFailure(address, context, "no bearer key");
            return Problems.Write(context, StatusCodes.Status401Unauthorized, "Missing API key",
                "Send the key as 'Authorization: Bearer KEY'.", authenticate: true);
        }
        var found = keys.FindEntry(header["Bearer ".Length..].Trim());
        if (found is null)
        {
            LogFailure(address, context, "unknown key");
            limits.CountFailure(address);
            return Problems.Write(context, StatusCodes.Status401Unauthorized, "Unknown API key", "The key is not one this server knows.",
                authenticate: true);
        }
        if (origin is not null)
        {
            if (found.ChecksOrigin && !KeyCors.Allows(found.Origins, origin))
            {
                KeyCors.Withdraw(context.Response);
                LogFailure(address, context, $"key '{found.Name}' does not list the origin {origin}");
                return Problems.Write(context, StatusCodes.Status403Forbidden, "Origin not allowed",
                    $"Origin not allowed for key '{found.Name}': add {origin} to its origins to use it from that site.");
            }
            if (found.ChecksOrigin) KeyCors.Allow(context.Response, origin);
            else KeyCors.Withdraw(context.Response); // a key without origins is not for other sites' pages
        }
        if ((found.Scope & required.Scope) != required.Scope)
        {
            if (!required.Client || (found.Scope & Scope.Client) == 0)
            {
                LogFailure(address, context, $"key '{found.Name}' lacks the {RequiredScope.Name(required.Scope)} scope");
                return Problems.Write(context, StatusCodes.Status403Forbidden, "Scope missing",
                    $"Key '{found.Name}' may not do this; it needs the {required.Describe()}.");
            }
            context.Items[ClientKeyRules.RestrictedItem] = true;
        }
        if (!limits.TryTake(found.Name, out wait))
            return TooMany(context, wait, "Rate limit", $"Key '{found.Name}' made more requests per second than it may.");
        context.Items[KeyNameItem] = found.Name;
        return next(context);
    }

    /// <summary>The peer's address (a proxy's, when behind one: forwarded headers are not trusted).</summary>
    private static IPAddress? ClientAddress(HttpContext context) =>
        context.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.RemoteIpAddress;

    /// <summary>Logs a failed authentication with the route's template (<c>/v1/users/{id}/export</c>), never the path itself:
    /// a path can hold a person's id, and logs are kept where erasure does not reach.</summary>
    private void LogFailure(IPAddress? address, HttpContext context, string reason) =>
        log.LogWarning("Authentication failed from {Address} on {Method} {Path}: {Reason}", address?.ToString() ?? "unknown",
            context.Request.Method, RouteOf(context), reason);

    private static string RouteOf(HttpContext context) =>
        context.GetEndpoint() is Microsoft.AspNetCore.Routing.RouteEndpoint { RoutePattern.RawText: { } pattern }
            ? (pattern.StartsWith('/') ? pattern : "/" + pattern)
            : "(unrouted)";

    private static Task TooMany(HttpContext context, TimeSpan wait, string title, string detail)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.Write(context, StatusCodes.Status429TooManyRequests, title, detail);
    }
}
