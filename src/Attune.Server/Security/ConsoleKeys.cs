using Attune.Dashboard.Access;

namespace Attune.Server.Security;

/// <summary>
/// The console's view of the API keys: an admin key signs in as admin, a viewer key as viewer, others not at all; the
/// Settings page lists, creates and revokes keys through <see cref="KeyBook"/>, as the HTTP API does.
/// </summary>
public sealed class ConsoleKeys(ApiKeyStore keys, KeyBook book) : IConsoleKeys, IConsoleKeyBook
{
    private static readonly Dictionary<string, string[]> NoErrors = [];

    public bool Configured => !keys.IsEmpty;

    public (string Role, string Name)? Check(string key)
    {
        if (keys.Find(key) is not { } found) return null;
        if ((found.Scope & Scope.Admin) == Scope.Admin) return (ConsoleRoles.Admin, found.Name);
        if ((found.Scope & Scope.Viewer) == Scope.Viewer) return (ConsoleRoles.Viewer, found.Name);
        return null;
    }

    public bool Grants(string name, string role)
    {
        var needed = role == ConsoleRoles.Admin ? Scope.Admin : role == ConsoleRoles.Viewer ? Scope.Viewer : Scope.None;
        return needed != Scope.None && keys.Active.Any(k => k.Name == name && (k.Scope & needed) == needed);
    }

    public IReadOnlyList<KeyListing> List() => [.. book.List().Select(Row)];

    public async Task<KeyChange> CreateAsync(string? name, IReadOnlyList<string> scopes, string? createdBy, IReadOnlyList<string>? origins = null)
    {
        try
        {
            var (key, _) = await book.CreateAsync(name, scopes, createdBy, origins: origins);
            return new KeyChange(key, NoErrors, null);
        }
        catch (KeyRefusedException e)
        {
            return e.Errors is { } errors ? new KeyChange(null, errors, null) : new KeyChange(null, NoErrors, e.Message);
        }
    }

    public async Task<KeyChange> RevokeAsync(string name)
    {
        try
        {
            await book.RevokeAsync(name);
            return new KeyChange(null, NoErrors, null);
        }
        catch (KeyRefusedException e)
        {
            return new KeyChange(null, NoErrors, e.Message);
        }
    }

    private static KeyListing Row(ApiKeyInfo k) => new(k.Name, k.Scopes, k.Source, k.Created, k.CreatedBy, k.Revoked, k.Origins);
}
