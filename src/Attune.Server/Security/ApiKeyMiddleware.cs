using Microsoft.AspNetCore.Http;

namespace Attune.Server.Security;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> against the route's <see cref="RequiredScope"/>: 401 without a valid key,
/// 403 when the key lacks the scope. With no key at all, configured or stored (loopback only), every request passes.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyStore keys)
{
    /// <summary>The <see cref="HttpContext.Items"/> key of the presented key's name (who made a change: a rule's history, a key's creator).</summary>
    public const string KeyNameItem = "attune.key-name";

    /// <summary>The name of the key the request was authenticated with; null when the server has no key (open).</summary>
    public static string? KeyName(HttpContext context) => context.Items.TryGetValue(KeyNameItem, out var name) ? name as string : null;

    public Task InvokeAsync(HttpContext context)
    {
        if (keys.IsEmpty) return next(context);
        var required = context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>();
        if (required is null) return next(context);

        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Problems.Write(context, StatusCodes.Status401Unauthorized, "Missing API key",
                "Send the key as 'Authorization: Bearer KEY'.", authenticate: true);
        var found = keys.Find(header["Bearer ".Length..].Trim());
        if (found is null)
            return Problems.Write(context, StatusCodes.Status401Unauthorized, "Unknown API key", "The key is not one this server knows.",
                authenticate: true);
        if ((found.Value.Scope & required.Scope) != required.Scope)
            return Problems.Write(context, StatusCodes.Status403Forbidden, "Scope missing",
                $"Key '{found.Value.Name}' may not do this; it needs the '{required.Scope.ToString().ToLowerInvariant()}' scope.");
        context.Items[KeyNameItem] = found.Value.Name;
        return next(context);
    }
}
