using System.Text.Json;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Keeps each running experiment's cumulative results every <see cref="ServingOptions.ExperimentSnapshotMinutes"/> as a
/// document of kind <see cref="Kind"/> (id <c>experiment@unix-seconds</c>): the lift over time. A restart takes one at once.
/// </summary>
internal sealed class ExperimentSnapshots(IAttuneStore store, ExperimentBook experiments, ExperimentTracker tracker, ServingOptions options,
    TimeProvider time, ILogger log)
{
    public const string Kind = "experiment-snapshot";

    private readonly Dictionary<string, DateTimeOffset> _last = new(StringComparer.Ordinal);

    /// <summary>Called by the background loop: stores a snapshot of each running experiment whose last one is due.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var interval = TimeSpan.FromMinutes(options.ExperimentSnapshotMinutes);
        foreach (var e in experiments.Current.Running)
        {
            if (_last.TryGetValue(e.Id, out var last) && now - last < interval) continue;
            _last[e.Id] = now;
            var results = ExperimentResults.Compute(e, tracker.Sums(e.Id) ?? new ExperimentSums([], []));
            if (ExperimentSnapshot.From(results, now) is not { } snapshot) continue;
            try
            {
                await store.PutDocumentAsync(Kind, $"{e.Id}@{now.ToUnixTimeSeconds():D12}", JsonSerializer.Serialize(snapshot, AttuneJson.Options), ct)
                    .ConfigureAwait(false);
            }
            catch (Exception x) when (x is not OperationCanceledException)
            {
                log.LogWarning(x, "Experiment {Id}: its results snapshot could not be stored; trying again at the next interval", e.Id);
            }
        }
    }

    /// <summary>Every stored snapshot of an experiment, oldest first.</summary>
    public async Task<IReadOnlyList<ExperimentSnapshot>> HistoryAsync(string id, CancellationToken ct)
    {
        var list = await DocumentHistory.ReadAsync<ExperimentSnapshot>(store, Kind, id, log, ct).ConfigureAwait(false);
        list.RemoveAll(s => s.ExperimentId != id);
        list.Sort((a, b) => a.At.CompareTo(b.At));
        return list;
    }
}
