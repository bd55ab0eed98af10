using System.Text.Json;
using System.Text.Json.Serialization;
using Attune.Model;
using Attune.Predictions.Ranking;
using Attune.Serving;
using Attune.Serving.Stages;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>How a learned ranker did on the newest fifth of its log, replayed with inverse-propensity weights against the
/// order the log was served in (the hand-set blend, or whatever served it).</summary>
/// <param name="Lists">Logged answers (with features) in the window; <paramref name="TrainingLists"/> of them trained it.</param>
/// <param name="Theta">The examination probability per position (1-based; θ₁ = 1) estimated from the log's clicks.</param>
/// <param name="LoggedClicks">Clicks (and purchases) per answer in the held-out fifth as served.</param>
/// <param name="LearnedClicks">The same answers' items in the learned order, by the replay.</param>
public sealed record RankerEvaluation(int Lists, int TrainingLists, int HeldOutLists, double[] Theta, double LoggedClicks, double LearnedClicks,
    double LoggedPurchases, double LearnedPurchases)
{
    public double ClickLift => LoggedClicks > 0 ? LearnedClicks / LoggedClicks - 1 : 0;
    public double PurchaseLift => LoggedPurchases > 0 ? LearnedPurchases / LoggedPurchases - 1 : 0;
}

/// <summary>A stored learned ranker: what it ranks, when it was trained, from what, how it did, and the model.</summary>
public sealed record StoredRanker(string Name, string Scenario, DateTimeOffset TrainedAt, DateTimeOffset From, DateTimeOffset To,
    RankerEvaluation Evaluation, LearnedRankerData Model);

/// <summary>
/// Learned rankers (documents of kind <see cref="DocumentKind"/>): trained on request from the recommendation log (each
/// answer's items with their logged ranking features, then the clicks and purchases attributed to it), judged by replaying
/// the newest fifth with inverse-propensity weights, stored and served by name to recipes that name them
/// (<c>"ranker"</c> in a scenario).
/// </summary>
public sealed class RankerService(IAttuneStore store, TimeProvider time, ILogger<RankerService> log)
{
    public const string DocumentKind = "ranker";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private volatile Dictionary<string, (StoredRanker Stored, IItemRanker Ranker)> _rankers = new(StringComparer.Ordinal);

    public IReadOnlyList<StoredRanker> All => [.. _rankers.Values.Select(r => r.Stored).OrderBy(r => r.Name, StringComparer.Ordinal)];

    public StoredRanker? Find(string name) => _rankers.TryGetValue(name, out var r) ? r.Stored : null;

    /// <summary>The ranker recipes name, for the serving engine.</summary>
    public IItemRanker? Ranker(string name) => _rankers.TryGetValue(name, out var r) ? r.Ranker : null;

    public async Task LoadAsync(CancellationToken ct = default)
    {
        var loaded = new Dictionary<string, (StoredRanker, IItemRanker)>(StringComparer.Ordinal);
        foreach (var doc in await store.ListDocumentsAsync(DocumentKind, ct).ConfigureAwait(false))
        {
            try
            {
                var stored = JsonSerializer.Deserialize<StoredRanker>(doc.Json, s_json)!;
                loaded[doc.Id] = (stored, new Adapter(LearnedRanker.FromData(stored.Model)));
            }
            catch (Exception e) when (e is JsonException or FormatException or NullReferenceException)
            {
                log.LogWarning("Learned ranker {Name} could not be read: {Message}", doc.Id, e.Message);
            }
        }
        _rankers = loaded;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct = default)
    {
        bool deleted = await store.DeleteDocumentAsync(DocumentKind, name, ct).ConfigureAwait(false);
        await LoadAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>
    /// Trains <paramref name="name"/> on the last <paramref name="days"/> of the log's answers of <paramref name="scenario"/>;
    /// null (with the reason) when the log holds too few answers with clicks.
    /// </summary>
    public async Task<(StoredRanker? Ranker, string? Problem)> TrainAsync(string name, string scenario, int days, CancellationToken ct = default,
        RankerSettings? settings = null)
    {
        var to = time.GetUtcNow();
        var from = to.AddDays(-days);
        // Answers are grouped by their feature names (another blend's sources, or another version's features); the newest
        // answer's group is learned.
        var groups = new Dictionary<string, LogGroup>(StringComparer.Ordinal);
        var itemKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        string[]? names = null;
        await foreach (var record in store.ReadRecommendationsAsync(from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds() + 1, ct).ConfigureAwait(false))
        {
            if (!string.Equals(record.Scenario, scenario, StringComparison.OrdinalIgnoreCase) || record.Features is null) continue;
            var (recordNames, values) = ReadFeatures(record.Features);
            if (values.Length != record.ItemIds.Count) continue;
            names = recordNames;
            string groupKey = string.Join('\n', recordNames);
            if (!groups.TryGetValue(groupKey, out var group)) groups[groupKey] = group = new LogGroup();
            var labels = new int[values.Length];
            foreach (var e in await store.GetAttributedEventsAsync(record.Id, ct).ConfigureAwait(false))
            {
                int k = e.ItemId is null ? -1 : IndexOf(record.ItemIds, e.ItemId);
                if (k < 0) continue;
                int label = e.TypeCode == (int)EventType.Purchase ? 2 : e.TypeCode is (int)EventType.Click or (int)EventType.View or (int)EventType.AddToCart ? 1 : 0;
                labels[k] = Math.Max(labels[k], label);
            }
            if (labels.Any(l => l > 0)) group.Clicked++;
            group.Lists.Add(new LoggedList(values, labels));
            group.Keys.Add([.. record.ItemIds.Select(id => itemKeys.TryGetValue(id, out int key) ? key : itemKeys[id] = itemKeys.Count)]);
        }
        var newest = names is null ? new LogGroup() : groups[string.Join('\n', names)];
        var (lists, keys, clicked) = (newest.Lists, newest.Keys, newest.Clicked);
        if (names is null || clicked < 100)
            return (null, $"the log of '{scenario}' holds {lists.Count:N0} answers with ranking features in the last {days} days, {clicked:N0} of them clicked: at least 100 clicked answers are needed");
        int positions = Math.Min(50, lists.Max(l => l.Labels.Length));
        var impressions = new List<PositionBias.Impression>();
        for (int l = 0; l < lists.Count; l++)
            for (int k = 0; k < lists[l].Labels.Length && k < positions; k++)
                impressions.Add(new PositionBias.Impression(keys[l][k], k + 1, lists[l].Labels[k] > 0));
        var theta = PositionBias.Estimate(impressions, positions);
        int split = lists.Count * 4 / 5;
        var train = lists.GetRange(0, split);
        var heldOut = lists.GetRange(split, lists.Count - split);
        var ranker = await Task.Run(() => LearnedRanker.Train(train, names, settings), ct).ConfigureAwait(false);
        var identity = (Func<LoggedList, int[]>)(list => [.. Enumerable.Range(0, list.Labels.Length)]);
        var (loggedClicks, loggedPurchases) = RankingReplay.Evaluate(heldOut, theta, identity);
        var (learnedClicks, learnedPurchases) = RankingReplay.Evaluate(heldOut, theta, list => ranker.Rank(list.Features));
        var evaluation = new RankerEvaluation(lists.Count, train.Count, heldOut.Count, theta, loggedClicks, learnedClicks, loggedPurchases, learnedPurchases);
        var stored = new StoredRanker(name, scenario, time.GetUtcNow(), from, to, evaluation, ranker.ToData());
        await store.PutDocumentAsync(DocumentKind, name, JsonSerializer.Serialize(stored, s_json), ct).ConfigureAwait(false);
        await LoadAsync(ct).ConfigureAwait(false);
        log.LogInformation("Learned ranker {Name} for {Scenario}: {Lists} answers; replayed clicks per answer {Learned:0.0000} vs {Logged:0.0000} as served",
            name, scenario, lists.Count, learnedClicks, loggedClicks);
        return (stored, null);
    }

    private static int IndexOf(IReadOnlyList<string> ids, string id)
    {
        for (int i = 0; i < ids.Count; i++) if (ids[i] == id) return i;
        return -1;
    }

    private static (string[] Names, float[][] Values) ReadFeatures(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToArray();
        var values = doc.RootElement.GetProperty("values").EnumerateArray()
            .Select(item => item.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        return (names, values);
    }

    /// <summary>The logged answers sharing one set of feature names, with their items' keys and how many were clicked.</summary>
    private sealed class LogGroup
    {
        public List<LoggedList> Lists { get; } = [];
        public List<int[]> Keys { get; } = [];
        public int Clicked { get; set; }
    }

    private sealed class Adapter(LearnedRanker ranker) : IItemRanker
    {
        public IReadOnlyList<string> Features => ranker.FeatureNames;
        public double Score(ReadOnlySpan<float> features) => ranker.Score(features);
    }
}
