using Attune.Experiments.Running;
using Attune.Serving.Models;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// The experiment tracker's people on disk (<see cref="FileName"/> in the data folder): written before retention purges
/// events and when the engine stops, read at start, so results survive the purge of the events they were counted from and a
/// restart replays only the events after the checkpoint. It names people, so an erasure rewrites it without them.
/// </summary>
internal sealed class ExperimentCheckpoint(ExperimentTracker tracker, string dataDirectory, ILogger log) : IErasureParticipant
{
    public const string FileName = "experiments.checkpoint";

    private readonly string _path = Path.Combine(dataDirectory, FileName);
    private readonly Lock _writing = new();

    /// <summary>At start, once every experiment is tracked: the people counted before. Returns the event seq they are counted
    /// through (0 without a readable checkpoint: the events are replayed from each experiment's start).</summary>
    public long Load()
    {
        if (!File.Exists(_path)) return 0;
        try
        {
            using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return tracker.ReadCheckpoint(file);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            log.LogWarning(e, "The experiment checkpoint {File} could not be read; results are rebuilt from the events still stored", _path);
            return 0;
        }
    }

    /// <summary>Writes the tracker's people now (temporary file, fsync, rename); returns the event seq they are counted through.</summary>
    public long Save()
    {
        lock (_writing)
        {
            long through = 0;
            ModelRepository.WriteComplete(_path, stream => through = tracker.WriteCheckpoint(stream));
            return through;
        }
    }

    /// <summary>Whether a checkpoint is on disk.</summary>
    public bool Exists => File.Exists(_path);

    public ValueTask ForgetAsync(IReadOnlySet<string> ids, CancellationToken ct)
    {
        // The feed made the tracker forget them already; again here in case it has not reached them yet (idempotent).
        foreach (string id in ids) tracker.Forget(id);
        if (Exists) Save();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Something that keeps personal data of its own, outside the store and the model bundles (the experiment checkpoint; later
/// search personalization, bandit logs, propensities, segments): <see cref="Erasures"/> asks each to drop a person before the
/// erasure is complete.
/// </summary>
internal interface IErasureParticipant
{
    /// <summary>Drops, durably, everything held about <paramref name="ids"/> (a user's id and their anonymous ids).</summary>
    ValueTask ForgetAsync(IReadOnlySet<string> ids, CancellationToken ct);
}
