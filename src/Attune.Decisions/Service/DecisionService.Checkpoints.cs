using System.Globalization;
using Attune.Decisions.Learning;
using Attune.Decisions.Points;
using Microsoft.Extensions.Logging;

namespace Attune.Decisions.Service;

/// <summary>
/// Learner checkpoints: <c>{data}/decisions/{point}/vN.cb</c>, each the learner's state and the reward log position it
/// covers, written to a temporary file and renamed (a crash never leaves a cut file under a version's name); the newest
/// <see cref="CheckpointsKept"/> are kept.
/// </summary>
public sealed partial class DecisionService
{
    private const string CheckpointMagic = "attune-decision-checkpoint";

    /// <summary>Writes a checkpoint of every learner that learned since its last one.</summary>
    public async Task CheckpointAsync(CancellationToken ct = default)
    {
        await _learn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var state in _points.Values)
            {
                if (!state.Dirty) continue;
                string folder = Path.Combine(checkpointDirectory, state.Definition.Id);
                Directory.CreateDirectory(folder);
                int version = Math.Max(state.CheckpointVersion, Versions(folder).DefaultIfEmpty(0).Max()) + 1;
                string path = Path.Combine(folder, $"v{version.ToString(CultureInfo.InvariantCulture)}.cb");
                string temp = path + ".tmp";
                await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.WriteThrough))
                {
                    using (var w = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
                    {
                        w.Write(CheckpointMagic);
                        w.Write(Volatile.Read(ref state.AppliedRewardSeq));
                        w.Write(state.Definition.Version);
                    }
                    state.Policy.Learner.Save(file);
                    await file.FlushAsync(ct).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, path, overwrite: true);
                state.CheckpointVersion = version;
                state.CheckpointedAt = time.GetUtcNow();
                state.Dirty = false;
                foreach (int old in Versions(folder).OrderDescending().Skip(CheckpointsKept))
                    File.Delete(Path.Combine(folder, $"v{old.ToString(CultureInfo.InvariantCulture)}.cb"));
            }
        }
        finally { _learn.Release(); }
    }

    /// <summary>The point's checkpoints, newest first: version, when written, the reward log position and examples it covers.</summary>
    public IReadOnlyList<CheckpointInfo> Checkpoints(string point)
    {
        string folder = Path.Combine(checkpointDirectory, point);
        var list = new List<CheckpointInfo>();
        if (!Directory.Exists(folder)) return list;
        foreach (int version in Versions(folder).OrderDescending())
        {
            string path = Path.Combine(folder, $"v{version.ToString(CultureInfo.InvariantCulture)}.cb");
            try
            {
                using var file = File.OpenRead(path);
                using var r = new BinaryReader(file, System.Text.Encoding.UTF8, leaveOpen: true);
                if (r.ReadString() != CheckpointMagic) continue;
                long seq = r.ReadInt64();
                r.ReadInt32();
                var learner = CbLearner.Load(file);
                list.Add(new CheckpointInfo(version, File.GetLastWriteTimeUtc(path), seq, learner.Examples));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or UnauthorizedAccessException) { }
        }
        return list;
    }

    /// <summary>
    /// Puts the learner of checkpoint <paramref name="version"/> back in service: what it learned after that checkpoint is
    /// forgotten (the rewards since are not replayed), and the restored state is checkpointed again as the newest version.
    /// False when there is no such readable checkpoint (or it was made with other learning settings).
    /// </summary>
    public async Task<bool> RollbackAsync(string point, int version, CancellationToken ct = default)
    {
        if (!_points.TryGetValue(point, out var state)) return false;
        string path = Path.Combine(checkpointDirectory, point, $"v{version.ToString(CultureInfo.InvariantCulture)}.cb");
        CbLearner learner;
        try
        {
            await using var file = File.OpenRead(path);
            using (var r = new BinaryReader(file, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                if (r.ReadString() != CheckpointMagic) return false;
                r.ReadInt64();
                r.ReadInt32();
            }
            learner = CbLearner.Load(file);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or UnauthorizedAccessException) { return false; }
        if (learner.Settings != state.Definition.Settings.Learning) return false;
        await _learn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var restored = new PointState(state.Definition, new DecisionPolicy(learner, state.Definition.Settings.Exploration))
            {
                CheckpointVersion = state.CheckpointVersion,
                CheckpointedAt = state.CheckpointedAt,
                Dirty = true,
            };
            Volatile.Write(ref restored.AppliedRewardSeq, Volatile.Read(ref state.AppliedRewardSeq));
            _points[point] = restored;
        }
        finally { _learn.Release(); }
        await CheckpointAsync(ct).ConfigureAwait(false);
        log.LogInformation("Decision point {Point}: learner rolled back to checkpoint v{Version}", point, version);
        return true;
    }

    /// <summary>The newest readable checkpoint of the point made with its learning settings, or null.</summary>
    private (CbLearner Learner, long Seq, int Version, DateTimeOffset? At)? LoadCheckpoint(DecisionPoint point)
    {
        string folder = Path.Combine(checkpointDirectory, point.Id);
        if (!Directory.Exists(folder)) return null;
        foreach (int version in Versions(folder).OrderDescending())
        {
            string path = Path.Combine(folder, $"v{version.ToString(CultureInfo.InvariantCulture)}.cb");
            try
            {
                using var file = File.OpenRead(path);
                using var r = new BinaryReader(file, System.Text.Encoding.UTF8, leaveOpen: true);
                if (r.ReadString() != CheckpointMagic) throw new InvalidDataException("not a decision checkpoint");
                long seq = r.ReadInt64();
                r.ReadInt32();
                var learner = CbLearner.Load(file);
                if (learner.Settings != point.Settings.Learning) return null; // settings changed since: start over from the log
                return (learner, seq, version, File.GetLastWriteTimeUtc(path));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or UnauthorizedAccessException)
            {
                log.LogWarning(e, "Decision checkpoint {Path} is not readable; trying an older one", path);
            }
        }
        return null;
    }

    private static IEnumerable<int> Versions(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "v*.cb"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int v)) yield return v;
        }
    }
}
