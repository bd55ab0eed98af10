namespace Attune.Server.Security;

/// <summary>What an API key may do.</summary>
[Flags]
public enum Scope
{
    None = 0,
    /// <summary>Events and identify only: safe to embed in a web page or an app.</summary>
    Ingest = 1,
    /// <summary>Reads and recommendations.</summary>
    Serve = 2,
    /// <summary>Read-only operations views: the console's figures and <c>/metrics</c>; no data writes, no recommendations.</summary>
    Viewer = 8,
    /// <summary>Everything, including catalog and user writes and deletions.</summary>
    Admin = 4 | Ingest | Serve | Viewer,
}

/// <summary>Endpoint metadata: the scope a route needs.</summary>
public sealed record RequiredScope(Scope Scope);
