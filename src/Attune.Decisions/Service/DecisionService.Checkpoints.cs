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
