using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace Attune.Dashboard.Access;

/// <summary>What the console needs of the server's API keys (the server's key store answers).</summary>
public interface IConsoleKeys
{
    /// <summary>Whether any key is configured; without keys the server is loopback-only and the console opens directly.</summary>
    bool Configured { get; }

    /// <summary>The console role a key grants (<see cref="ConsoleRoles.Admin"/> or <see cref="ConsoleRoles.Viewer"/>), or null when
    /// the key is unknown or has neither scope.</summary>
    (string Role, string Name)? Check(string key);

    /// <summary>Whether an active key named <paramref name="name"/> still grants <paramref name="role"/>: a session signed in
    /// with a key that was revoked since (or lost the scope) ends.</summary>
    bool Grants(string name, string role);
}

public static class ConsoleRoles
{
    public const string Admin = "admin";
    public const string Viewer = "viewer";
}

/// <summary>Every console page needs this: a signed-in admin or viewer, or no keys configured at all.</summary>
public sealed class ConsoleAccessRequirement : IAuthorizationRequirement;

public sealed class ConsoleAccessHandler(IConsoleKeys keys) : AuthorizationHandler<ConsoleAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ConsoleAccessRequirement requirement)
    {
        if (!keys.Configured || ConsoleUser.Holds(context.User, ConsoleRoles.Admin, keys) || ConsoleUser.Holds(context.User, ConsoleRoles.Viewer, keys))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>Who is using the console, for pages that offer changes only to admins.</summary>
public static class ConsoleUser
{
    /// <summary>Whether the user may change things: anyone on an open console (no keys), else an admin whose key is still active.</summary>
    public static bool CanChange(ClaimsPrincipal user, IConsoleKeys keys) => !keys.Configured || Holds(user, ConsoleRoles.Admin, keys);

    /// <summary>Whether the user signed in with <paramref name="role"/> and the key they signed in with still grants it.</summary>
    public static bool Holds(ClaimsPrincipal user, string role, IConsoleKeys keys) =>
        user.IsInRole(role) && user.Identity?.Name is { } name && keys.Grants(name, role);
}
