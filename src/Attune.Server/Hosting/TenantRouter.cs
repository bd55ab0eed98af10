using Attune.Server.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Attune.Server.Hosting;

/// <summary>
/// The default app's first middleware when tenants are configured: a request whose key (<c>Authorization: Bearer KEY</c> or
/// <c>Ocp-Apim-Subscription-Key</c>, read as <see cref="ApiKeyMiddleware"/> reads it) is one of a tenant's, configured or
/// stored in its store, is handed to that tenant's app and goes no further here. Any other request (no key, an unknown key, a
/// key of the default app) continues in the default app, which answers 401 to an unknown key as always.
/// </summary>
/// <remarks>
/// A hot path: the key is hashed once into a stack buffer and each tenant's active keys are compared with it (in fixed time,
/// as <see cref="ApiKeyStore"/> does); no allocation beyond what reading the header costs. A CORS preflight carries no key:
/// when the default app's keys do not list its origin and a tenant's do, the tenant answers it, so a tenant's browser keys
/// work from the sites they name.
/// </remarks>
public sealed class TenantRouter(RequestDelegate next, Tenants tenants, ApiKeyStore keys)
{
    public Task InvokeAsync(HttpContext context)
    {
        var all = tenants.Serving;
        var headers = context.Request.Headers;
        string? header = headers.Authorization;
        ReadOnlySpan<char> key;
        if (header is null)
        {
            if (!headers.TryGetValue(ApiKeyMiddleware.SubscriptionKeyHeader, out var subscription) || subscription.Count != 1
                || subscription[0] is not { } value)
                return Preflight(context, all) ?? next(context);
            key = value.AsSpan().Trim();
        }
        else if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) key = header.AsSpan("Bearer ".Length).Trim();
        else return next(context);
        if (key.IsEmpty) return next(context);

        Span<byte> hash = stackalloc byte[32];
        ApiKeyStore.HashKey(key, hash);
        foreach (var tenant in all)
        {
            if (tenant.Keys.Knows(hash)) return tenant.Server.ProcessAsync(context);
        }
        return next(context);
    }

    /// <summary>The tenant that answers a CORS preflight (no key) from an origin only its keys list; null: the default app.</summary>
    private Task? Preflight(HttpContext context, Tenant[] all)
    {
        var request = context.Request;
        if (!HttpMethods.IsOptions(request.Method) || StringValues.IsNullOrEmpty(request.Headers.Origin)
            || StringValues.IsNullOrEmpty(request.Headers.AccessControlRequestMethod))
            return null;
        string origin = request.Headers.Origin.ToString();
        if (keys.AnyAllowsOrigin(origin)) return null;
        foreach (var tenant in all)
        {
            if (tenant.Keys.AnyAllowsOrigin(origin)) return tenant.Server.ProcessAsync(context);
        }
        return null;
    }
}
