using Attune.Dashboard.Access;

namespace Attune.Server.Security;

/// <summary>The console's view of the API keys: an admin key signs in as admin, a viewer key as viewer, others not at all.</summary>
public sealed class ConsoleKeys(ApiKeyStore keys) : IConsoleKeys
{
    public bool Configured => !keys.IsEmpty;

    public (string Role, string Name)? Check(string key)
    {
        if (keys.Find(key) is not { } found) return null;
        if ((found.Scope & Scope.Admin) == Scope.Admin) return (ConsoleRoles.Admin, found.Name);
        if ((found.Scope & Scope.Viewer) == Scope.Viewer) return (ConsoleRoles.Viewer, found.Name);
        return null;
    }
}
