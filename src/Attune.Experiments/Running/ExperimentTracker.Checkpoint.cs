using System.Text;

namespace Attune.Experiments.Running;

/// <summary>
/// Checkpoints: every tracked person's counted values at one moment, with the event seq they are counted through. Retention
/// writes one before it purges events, so an experiment's results outlive the events they were counted from: a restart reads
/// the checkpoint and replays only the events after it.
/// </summary>
public sealed partial class ExperimentTracker
{
    private const int CheckpointMagic = 0x4B545441; // "ATTK"
    private const int CheckpointVersion = 1;

    /// <summary>
    /// Writes every tracked experiment's people (variant, exposure time, metric values, pre-period values, orders, interleaving
    /// credits) and the newest event seq counted. Changes to people wait while it writes (answers served do not).
    /// Returns that seq.
    /// </summary>
    public long WriteCheckpoint(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        lock (_gate)
        {
            long through = _appliedThrough;
            w.Write(CheckpointMagic);
            w.Write(CheckpointVersion);
            w.Write(through);
            var experiments = _experiments.ToArray();
            w.Write(experiments.Length);
            foreach (var (id, tracked) in experiments)
            {
                w.Write(id);
                tracked.Write(w);
            }
            return through;
        }
    }

    /// <summary>
    /// Reads a checkpoint into the experiments tracked now (call after <see cref="Track"/> of each, before exposures and
    /// events): their people take the counted values (metrics matched by id; experiments no longer tracked are skipped), and
    /// events up to the checkpoint's seq count as applied. Returns that seq.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, or a version this Attune does not read.</exception>
    public long ReadCheckpoint(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (r.ReadInt32() != CheckpointMagic) throw new InvalidDataException("not an experiment checkpoint");
        int version = r.ReadInt32();
        if (version != CheckpointVersion) throw new InvalidDataException($"experiment checkpoint version {version} is not one this Attune reads");
        lock (_gate)
        {
            long through = r.ReadInt64();
            int experiments = r.ReadInt32();
            for (int i = 0; i < experiments; i++)
            {
                string id = r.ReadString();
                Tracked.Read(r, _experiments.GetValueOrDefault(id));
            }
            if (through > _appliedThrough) Volatile.Write(ref _appliedThrough, through);
            return through;
        }
    }

    private sealed partial class Tracked
    {
        public void Write(BinaryWriter w)
        {
            lock (_lock)
            {
                w.Write(_metrics.Length);
                foreach (var metric in _metrics) w.Write(metric.Id);
                var people = _people.ToArray();
                w.Write(people.Length);
                foreach (var (owner, p) in people)
                {
                    w.Write(owner);
                    w.Write(p.Phase);
                    w.Write(_phaseKeys[p.Phase - 1][p.Variant]);
                    w.Write(p.ExposedMs);
                    for (int m = 0; m < _metrics.Length; m++)
                    {
                        w.Write(p.Numerator[m]);
                        w.Write(p.Denominator[m]);
                        w.Write(p.PreNumerator[m]);
                        w.Write(p.PreDenominator[m]);
                    }
                    w.Write(p.PreKnown);
                    w.Write(p.Orders?.Count ?? 0);
                    if (p.Orders is { } orders) foreach (string order in orders) w.Write(order);
                    w.Write(p.CreditsA);
                    w.Write(p.CreditsB);
                }
            }
        }

        /// <summary>Reads one experiment's people into <paramref name="into"/> (or past them, when null), then rebuilds its sums.</summary>
        public static void Read(BinaryReader r, Tracked? into)
        {
            int metrics = r.ReadInt32();
            var map = new int[metrics];
            for (int k = 0; k < metrics; k++)
            {
                string id = r.ReadString();
                map[k] = into is null ? -1 : Array.FindIndex(into._metrics, m => m.Id == id);
            }
            int people = r.ReadInt32();
            var values = new double[4 * metrics];
            if (into is null)
            {
                for (int i = 0; i < people; i++) ReadPerson(r, values, out _, out _, out _, out _, out _, out _, out _, out _);
                return;
            }
            lock (into._lock)
            {
                for (int i = 0; i < people; i++)
                {
                    ReadPerson(r, values, out string owner, out int phase, out string variant, out long exposedMs, out bool preKnown,
                        out var orders, out int creditsA, out int creditsB);
                    into.Restore(owner, phase, variant, exposedMs, map, values, preKnown, orders, creditsA, creditsB);
                }
                var all = new int[into._metrics.Length];
                for (int m = 0; m < all.Length; m++)
                {
                    all[m] = m;
                    into._capVersions[m] = -1; // percentile caps are computed again over the people read
                }
                into.Rebuild(all);
            }
        }

        private static void ReadPerson(BinaryReader r, double[] values, out string owner, out int phase, out string variant, out long exposedMs,
            out bool preKnown, out HashSet<string>? orders, out int creditsA, out int creditsB)
        {
            owner = r.ReadString();
            phase = r.ReadInt32();
            variant = r.ReadString();
            exposedMs = r.ReadInt64();
            for (int k = 0; k < values.Length; k++) values[k] = r.ReadDouble();
            preKnown = r.ReadBoolean();
            int count = r.ReadInt32();
            orders = count == 0 ? null : new HashSet<string>(count, StringComparer.Ordinal);
            for (int k = 0; k < count; k++) orders!.Add(r.ReadString());
            creditsA = r.ReadInt32();
            creditsB = r.ReadInt32();
        }

        /// <summary>Under the lock: one person as counted before; sums are rebuilt once every person is in.</summary>
        private void Restore(string owner, int phase, string variant, long exposedMs, int[] map, double[] values, bool preKnown,
            HashSet<string>? orders, int creditsA, int creditsB)
        {
            if (_people.ContainsKey(owner) || phase < 1 || phase > _phases.Count) return;
            int index = Array.IndexOf(_phaseKeys[phase - 1], variant);
            if (index < 0 || !_phases[phase - 1].TryGetValue(variant, out var sums)) return;
            var person = new Person(phase, index, exposedMs, _metrics.Length)
            {
                Sums = sums, PreKnown = preKnown, Orders = orders, CreditsA = creditsA, CreditsB = creditsB,
            };
            for (int k = 0; k < map.Length; k++)
            {
                int m = map[k];
                if (m < 0) continue;
                person.Numerator[m] = values[4 * k];
                person.Denominator[m] = values[4 * k + 1];
                person.PreNumerator[m] = values[4 * k + 2];
                person.PreDenominator[m] = values[4 * k + 3];
            }
            _people[owner] = person;
            sums.People++;
        }
    }
}
