namespace Attune.Storage;

/// <summary>
/// A store several nodes share (PostgreSQL), beside <see cref="IAttuneStore"/>: the model versions every node loads from it,
/// and leases that elect one node at a time for the work only one may do (training on a schedule, judging rollouts, taking
/// experiments' snapshots, retention, rewriting stored versions after an erasure). The embedded store is not shared and does
/// not implement it: one process keeps its versions in its data folder and does all of that work itself.
/// </summary>
/// <remarks>
/// Which version is active is not kept here: it is a document (so the change feed tells every node at once). Model bytes are
/// kept in the store rather than a shared folder so that a deployment needs nothing besides its database (no network file
/// system to mount on every node, one backup holds data and models, a tenant's schema holds its own models).
/// </remarks>
public interface ISharedStore
{
    /// <summary>
    /// Stores a version's bundle, read from <paramref name="content"/> to its end, with its info (JSON); a version of that name
    /// is replaced (an erasure rewrites stored versions). Readers see the old bundle or the new one, never a part.
    /// </summary>
    Task PutModelAsync(string version, string info, Stream content, CancellationToken ct = default);

    /// <summary>The stored versions, in no particular order.</summary>
    Task<IReadOnlyList<SharedModel>> ListModelsAsync(CancellationToken ct = default);

    /// <summary>Copies a version's bundle into <paramref name="destination"/>; false (nothing written) when there is none.</summary>
    Task<bool> ReadModelAsync(string version, Stream destination, CancellationToken ct = default);

    /// <summary>Deletes a stored version; false when there was none.</summary>
    Task<bool> DeleteModelAsync(string version, CancellationToken ct = default);

    /// <summary>
    /// Tries to become the one holder of <paramref name="role"/> among every node on this store; null when another holds it.
    /// The lease ends when disposed, when this process dies (the store frees it: another node can take it at once), or when
    /// the store can no longer be reached from here (<see cref="IStoreLease.Lost"/> is then cancelled: the work must stop).
    /// </summary>
    Task<IStoreLease?> TryLeaseAsync(string role, CancellationToken ct = default);
}

/// <summary>A model version kept in a shared store.</summary>
/// <param name="Info">The version's info, as JSON (<c>ModelInfo</c>).</param>
/// <param name="Bytes">The bundle's length.</param>
/// <param name="Revision">Grows every time the version is put: a node whose copy has another revision loads it again.</param>
public sealed record SharedModel(string Version, string Info, long Bytes, long Revision);

/// <summary>A role held by this node (see <see cref="ISharedStore.TryLeaseAsync"/>).</summary>
public interface IStoreLease : IAsyncDisposable
{
    /// <summary>Cancelled once the lease is lost (the store unreachable from here, so another node may hold it now).</summary>
    CancellationToken Lost { get; }

    /// <summary>Whether the lease is still held, asked of the store now (before publishing what only the holder may).</summary>
    Task<bool> IsHeldAsync(CancellationToken ct = default);
}
