namespace Attune.Server.Security;

/// <summary>What an API key may do.</summary>
[Flags]
public enum Scope
{
    None = 0,
    /// <summary>Events and identify only, for any id: for a backend (a page or an app should hold a <see cref="Client"/> key).</summary>
    Ingest = 1,
    /// <summary>Reads and recommendations.</summary>
    Serve = 2,
    /// <summary>Read-only operations views: the console's figures and <c>/metrics</c>; no data writes, no recommendations.</summary>
    Viewer = 8,
    /// <summary>Everything, including catalog and user writes and deletions.</summary>
    Admin = 4 | Ingest | Serve | Viewer,
    /// <summary>
    /// For a browser or an app: events, identify and recommendations, for anonymous ids and for user ids with a user token
    /// the backend issued (<see cref="ClientKeyRules"/>). Not part of <see cref="Admin"/>: an admin key is never restricted.
    /// </summary>
    Client = 16,
}

/// <summary>Endpoint metadata: the scope a route needs; <paramref name="Client"/>: a <c>client</c> key may call it too, under
/// <see cref="ClientKeyRules"/>.</summary>
public sealed record RequiredScope(Scope Scope, bool Client = false)
{
    /// <summary>How a 403 and the API reference name what the route needs.</summary>
    public string Describe() => Client ? $"'{Name(Scope)}' scope (or 'client', restricted to user tokens)" : $"'{Name(Scope)}' scope";

    public static string Name(Scope scope) => scope.ToString().ToLowerInvariant();
}

/// <summary>The scopes by the names keys are configured and stored with.</summary>
public static class ScopeNames
{
    /// <summary>Every scope name, in the order forms and messages list them.</summary>
    public static readonly IReadOnlyList<string> All = ["admin", "ingest", "serve", "viewer", "client"];

    /// <summary>The scope of a name (case and surrounding spaces ignored), or null when there is none.</summary>
    public static Scope? Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "admin" => Scope.Admin,
        "ingest" => Scope.Ingest,
        "serve" => Scope.Serve,
        "viewer" => Scope.Viewer,
        "client" => Scope.Client,
        _ => null,
    };

    /// <summary>The names of a scope: <c>admin</c> alone when it holds admin (which includes every other).</summary>
    public static IReadOnlyList<string> Of(Scope scope)
    {
        if ((scope & Scope.Admin) == Scope.Admin) return ["admin"];
        var names = new List<string>(4);
        if ((scope & Scope.Ingest) != 0) names.Add("ingest");
        if ((scope & Scope.Serve) != 0) names.Add("serve");
        if ((scope & Scope.Viewer) != 0) names.Add("viewer");
        if ((scope & Scope.Client) != 0) names.Add("client");
        return names;
    }
}
