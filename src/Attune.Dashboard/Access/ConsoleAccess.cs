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
        if (!keys.Configured || context.User.IsInRole(ConsoleRoles.Admin) || context.User.IsInRole(ConsoleRoles.Viewer)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>Who is using the console, for pages that offer changes only to admins.</summary>
public static class ConsoleUser
{
    public static bool CanChange(ClaimsPrincipal user, IConsoleKeys keys) => !keys.Configured || user.IsInRole(ConsoleRoles.Admin);
}
