using System.Globalization;
using System.Net;
using Attune.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Security;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> against the route's <see cref="RequiredScope"/>: 401 without a valid key,
/// 403 when the key lacks the scope, 429 when the client address spent its failed attempts or the key its request budget
/// (<see cref="AuthLimits"/>). Failed authentications are logged with the client address, path and reason (never the key).
/// With no key at all, configured or stored, every request passes, but only on a loopback address
/// (<see cref="LoopbackGuard.IsOpenToNetwork"/>): one that arrived on any other address gets 403.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyStore keys, AuthLimits limits, ILogger<ApiKeyMiddleware> log)
{
    /// <summary>The <see cref="HttpContext.Items"/> key of the presented key's name (who made a change: a rule's history, a key's creator).</summary>
    public const string KeyNameItem = "attune.key-name";

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

        var address = ClientAddress(context);
        if (limits.IsBlocked(address, out var wait))
            return TooMany(context, wait, "Too many failed authentications", "This address presented too many unknown keys; try again later.");

        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            LogFailure(address, context, "no bearer key");
            return Problems.Write(context, StatusCodes.Status401Unauthorized, "Missing API key",
                "Send the key as 'Authorization: Bearer KEY'.", authenticate: true);
        }
        var found = keys.Find(header["Bearer ".Length..].Trim());
        if (found is null)
        {
            LogFailure(address, context, "unknown key");
            limits.CountFailure(address);
            return Problems.Write(context, StatusCodes.Status401Unauthorized, "Unknown API key", "The key is not one this server knows.",
                authenticate: true);
        }
        if ((found.Value.Scope & required.Scope) != required.Scope)
        {
            LogFailure(address, context, $"key '{found.Value.Name}' lacks the {required.Scope.ToString().ToLowerInvariant()} scope");
            return Problems.Write(context, StatusCodes.Status403Forbidden, "Scope missing",
                $"Key '{found.Value.Name}' may not do this; it needs the '{required.Scope.ToString().ToLowerInvariant()}' scope.");
        }
        if (!limits.TryTake(found.Value.Name, out wait))
            return TooMany(context, wait, "Rate limit", $"Key '{found.Value.Name}' made more requests per second than it may.");
        context.Items[KeyNameItem] = found.Value.Name;
        return next(context);
    }

    /// <summary>The peer's address (a proxy's, when behind one: forwarded headers are not trusted).</summary>
    private static IPAddress? ClientAddress(HttpContext context) =>
        context.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.RemoteIpAddress;

    private void LogFailure(IPAddress? address, HttpContext context, string reason) =>
        log.LogWarning("Authentication failed from {Address} on {Method} {Path}: {Reason}", address?.ToString() ?? "unknown",
            context.Request.Method, context.Request.Path.Value, reason);

    private static Task TooMany(HttpContext context, TimeSpan wait, string title, string detail)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.Write(context, StatusCodes.Status429TooManyRequests, title, detail);
    }
}
