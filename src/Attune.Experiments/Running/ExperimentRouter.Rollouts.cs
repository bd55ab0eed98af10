using System.Collections.Concurrent;
using Attune.Experiments.Assignment;
using Attune.Experiments.Definitions;
using Attune.Storage;

namespace Attune.Experiments.Running;

/// <summary>
/// Progressive rollouts: a person's bucket is the v2 hash of their id (seeded with the rollout's id), kept under their user
/// and anonymous ids both so identify never moves them; they are on the new side while the bucket is below the step's
/// share. Shares only rise, so the new side only gains people (monotone) until a rollback sends everyone to the baseline.
/// Each person's first answer in a step is an exposure of that step (its own tracked experiment).
/// </summary>
public sealed partial class ExperimentRouter
{
    public const string RolloutVariant = "rollout";
    public const string BaselineVariant = "baseline";

    private volatile RunningRollout[] _rollouts = [];

    /// <summary>Start-up: a person exposed in a running rollout's current step (so they are not counted again).</summary>
    public void RestoreRollout(Exposure exposure)
    {
        foreach (var r in _rollouts)
        {
            if (r.TrackedId != exposure.ExperimentId) continue;
            r.Exposed.TryAdd(exposure.PersonId, 0);
            r.Buckets.TryAdd(exposure.PersonId, Hashing.Hash(r.Id, exposure.PersonId, 2) ?? 1);
        }
    }

    private Assignment? RouteRollout(in RouteRequest request, string key)
    {
        var rollouts = _rollouts;
        for (int i = 0; i < rollouts.Length; i++)
        {
            var r = rollouts[i];
            if (r.Scenarios is not null && !r.Scenarios.Contains(request.Scenario)) continue;
            bool onNewSide = r.Bucket(request, key) < r.Share;
            string variant = onNewSide ? RolloutVariant : BaselineVariant;
            var exposed = r.Exposed;
            bool known = exposed.ContainsKey(key) || (request.AnonymousId is { } a && a != key && exposed.ContainsKey(a));
            if (!known && exposed.TryAdd(key, 0))
            {
                if (request.AnonymousId is { } anon && anon != key) exposed.TryAdd(anon, 0);
                Exposed?.Invoke(new Exposure(r.TrackedId, key, request.UserId is null, 1, variant, Now));
            }
            return new Assignment(r.ServedId, variant, onNewSide ? r.Recipe : r.Baseline, r.Step, key)
            {
                ModelVersion = onNewSide ? r.ModelVersion : null,
                TrackedId = r.TrackedId,
            };
        }
        return null;
    }

    private void RebuildRollouts(IReadOnlyDictionary<string, Rollout> all)
    {
        var old = _rollouts;
        var running = new List<RunningRollout>();
        foreach (var rollout in all.Values.Where(r => r.Status == RolloutStatus.Running).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal))
        {
            var before = Array.Find(old, r => r.Id == rollout.Id);
            var next = new RunningRollout(rollout, before?.Buckets);
            // The same step keeps who was exposed in it; a new step counts everyone afresh.
            if (before is not null && before.TrackedId == next.TrackedId) next.Exposed = before.Exposed;
            running.Add(next);
        }
        _rollouts = [.. running];
    }

    private sealed class RunningRollout(Rollout rollout, ConcurrentDictionary<string, double>? buckets)
    {
        public string Id { get; } = rollout.Id;
        public string ServedId { get; } = rollout.ServedId;
        public string TrackedId { get; } = rollout.TrackedId(rollout.Step + 1);
        public int Step { get; } = rollout.Step + 1;
        public double Share { get; } = rollout.Share;
        public string Baseline { get; } = rollout.Baseline;
        public string Recipe { get; } = rollout.Recipe ?? rollout.Baseline;
        public string? ModelVersion { get; } = rollout.ModelVersion;
        public HashSet<string>? Scenarios { get; } = rollout.Scenarios.Count == 0 ? null : new HashSet<string>(rollout.Scenarios, StringComparer.OrdinalIgnoreCase);
        /// <summary>Each person's bucket, under every id they came with (about 100 bytes a person).</summary>
        public ConcurrentDictionary<string, double> Buckets { get; } = buckets ?? new(StringComparer.Ordinal);
        /// <summary>The ids exposed in the current step.</summary>
        public ConcurrentDictionary<string, byte> Exposed { get; set; } = new(StringComparer.Ordinal);

        public double Bucket(in RouteRequest request, string key)
        {
            if (Buckets.TryGetValue(key, out double n) || (request.AnonymousId is { } a && a != key && Buckets.TryGetValue(a, out n)))
            {
                if (!Buckets.ContainsKey(key)) Buckets.TryAdd(key, n);
                return n;
            }
            // Hashed on the id exposures are stored under (the user id when known), then kept under the other as well.
            n = Hashing.Hash(Id, key, 2) ?? 1;
            Buckets.TryAdd(key, n);
            if (request.AnonymousId is { } anon && anon != key) Buckets.TryAdd(anon, n);
            return n;
        }
    }
}
