using System.Diagnostics;
using Attune.Algorithms;
using Attune.Algorithms.Als;
using Attune.Algorithms.Content;
using Attune.Algorithms.Data;
using Attune.Algorithms.ItemKnn;
using Attune.Algorithms.Popularity;
using Attune.Algorithms.Scoring;
using Attune.Algorithms.Sequence;
using Attune.Evaluation.Metrics;
using Attune.Model;
using Attune.Serving.Training;

namespace Attune.Serving.Models;

/// <summary>Which models a bundle trains and with what parameters (configuration section <c>Attune:Models</c>).</summary>
public sealed class ServingModelOptions
{
    /// <summary>Parameters of the matrix factorization (iALS), as <c>attune evaluate --params</c> takes them.
    /// <value>The default value is <c>factors=64 iterations=15 reg=20</c>.</value></summary>
    public string Als { get; set; } = "factors=64 iterations=15";
    /// <summary>Item-kNN over views and clicks ("people who viewed this also viewed").</summary>
    public string ViewedTogether { get; set; } = "k=50 decay=0.8 types=1,2";
    /// <summary>Item-kNN over carts and purchases ("frequently bought together").</summary>
    public string BoughtTogether { get; set; } = "k=50 decay=0.8 types=3,5";
    /// <summary>The sequence/session model. Serving reads the 10 newest items and the 300 latest sessions per item for
    /// neighbours (evaluation defaults are 20 and 1,000): a quarter of the work per answer.</summary>
    public string Sequence { get; set; } = "knnHistory=10 sample=300";
    public string Content { get; set; } = "";
    /// <summary>Half-life of the popularity counts, in days. <value>The default value is 7.</value></summary>
    public double PopularityHalfLifeDays { get; set; } = 7;
    /// <summary>Half-lives of trending's short and long windows, in days. <value>The defaults are 1 and 14.</value></summary>
    public double TrendShortDays { get; set; } = 1;
    public double TrendLongDays { get; set; } = 14;
    /// <summary>Hold out each sampled person's last item and report hit rate@20 and nDCG@20 of the factor model and of popularity.
    /// <value>The default value is 2,000 people; 0 turns the check off.</value></summary>
    public int EvaluationUsers { get; set; } = 2_000;
}

/// <summary>Trains every component of a <see cref="ModelBundle"/> from a <see cref="StoreSnapshot"/>.</summary>
public sealed class BundleTrainer(ServingModelOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ModelBundle Train(StoreSnapshot snapshot, string version, string reason, CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        var data = snapshot.Data;
        var seconds = new Dictionary<string, double>();
        T Timed<T>(string name, Func<T> fit)
        {
            var sw = Stopwatch.StartNew();
            var result = fit();
            seconds[name] = Math.Round(sw.Elapsed.TotalSeconds, 3);
            return result;
        }
        bool any = data.Interactions.NonZeros > 0;
        var metrics = any && options.EvaluationUsers > 0 ? Timed("evaluation", () => Evaluate(data, ct)) : [];
        var als = any ? Timed("als", () => (AlsModel)Fit("als", options.Als, data, ct)) : null;
        var viewed = any ? Timed("viewed-together", () => (ItemKnnModel)Fit("itemknn", options.ViewedTogether, data, ct)) : null;
        var bought = any ? Timed("bought-together", () => (ItemKnnModel)Fit("itemknn", options.BoughtTogether, data, ct)) : null;
        var sequence = any ? Timed("sequence", () => (SequenceModel)Fit("sequence", options.Sequence, data, ct)) : null;
        var content = data.Items > 0 ? Timed("content", () => (ContentModel)Fit("content", options.Content, data, ct)) : null;
        var (popularity, trendShort, trendLong) = Timed("popularity", () => Counts(data));

        long until = data.Events is { Count: > 0 } ev ? ev.LatestMs : 0;
        return new ModelBundle
        {
            Info = new ModelInfo
            {
                Version = version,
                TrainedAt = _time.GetUtcNow(),
                DataUntil = until > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(until) : null,
                Watermark = snapshot.Watermark,
                SnapshotAt = DateTimeOffset.FromUnixTimeMilliseconds(snapshot.ReadAtMs),
                Events = data.Events?.Count ?? 0,
                Users = data.Users,
                Items = data.Items,
                Interactions = data.Interactions.NonZeros,
                TrainingSeconds = Math.Round(total.Elapsed.TotalSeconds, 3),
                ComponentSeconds = seconds,
                Metrics = metrics,
                Reason = reason,
            },
            ItemIds = [.. snapshot.Log.ItemIds],
            UserIds = [.. snapshot.Log.UserIds],
            Histories = data.Sequences ?? new SequenceData(data.Items, new int[data.Users + 1], []),
            Purchases = snapshot.Purchases,
            OpenCarts = snapshot.OpenCarts,
            Impressions = snapshot.Impressions,
            Popularity = popularity,
            TrendShort = trendShort,
            TrendLong = trendLong,
            ContextPopularity = snapshot.ContextPopularity,
            Als = als,
            ViewedTogether = viewed,
            BoughtTogether = bought,
            Sequence = sequence,
            Content = content,
        };
    }

    /// <summary>Refits only the content model over a catalog that grew: new items become recommendable by similarity.</summary>
    public static ContentModel FitContent(ItemContent content, int items, string parameters)
    {
        var data = new TrainingData
        {
            Interactions = new InteractionMatrix(0, items, [0], [], []),
            Content = content,
            Threads = 1,
        };
        return (ContentModel)Fit("content", parameters, data, CancellationToken.None);
    }

    private static IRecommender Fit(string model, string parameters, TrainingData data, CancellationToken ct) =>
        ModelCatalog.CreateTrainer(model, ModelParameters.Parse(parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Fit(data, ct);

    /// <summary>
    /// Decayed popularity (event weights, <see cref="ServingModelOptions.PopularityHalfLifeDays"/>) and trending's short and long
    /// windows (each positive event 1), all at the newest event's time: <see cref="DecayedCounts"/>, as the evaluation models count.
    /// </summary>
    private (float[] Popularity, float[] Short, float[] Long) Counts(TrainingData data)
    {
        if (data.Events is not { Count: > 0 } events) return (new float[data.Items], new float[data.Items], new float[data.Items]);
        return (
            DecayedCounts.Of(events, data.Items, options.PopularityHalfLifeDays, weighted: true).Counts,
            DecayedCounts.Of(events, data.Items, options.TrendShortDays, weighted: false).Counts,
            DecayedCounts.Of(events, data.Items, options.TrendLongDays, weighted: false).Counts);
    }

    /// <summary>
    /// An honest quality check of this very data: for a sample of people with at least three items, their last item is held
    /// out, the factor model and serving's popularity are trained without it, and hit rate@20 and nDCG@20 (the held-out item's
    /// rank among the items the person had not touched, by <see cref="RankingMetrics"/>, as <c>attune evaluate</c> measures) are
    /// reported for both.
    /// </summary>
    private Dictionary<string, double> Evaluate(TrainingData data, CancellationToken ct)
    {
        const int K = 20;
        var sequences = data.Sequences!;
        var rng = new Random(data.Seed);
        var candidates = new List<int>();
        for (int u = 0; u < data.Users; u++)
        {
            if (sequences.Row(u).Length >= 3 && data.Interactions.CountOf(u) >= 3) candidates.Add(u);
        }
        if (candidates.Count < 50) return [];
        var sample = candidates.OrderBy(_ => rng.Next()).Take(options.EvaluationUsers).ToHashSet();
        var heldOut = new Dictionary<int, int>();
        foreach (int u in sample) heldOut[u] = sequences.Row(u)[^1];
        var heldOutItem = new int[data.Users];
        Array.Fill(heldOutItem, -1);
        foreach (var (u, target) in heldOut) heldOutItem[u] = target;

        // The matrix without the held-out pairs.
        var m = data.Interactions;
        var users = new List<int>(m.NonZeros);
        var items = new List<int>(m.NonZeros);
        var values = new List<float>(m.NonZeros);
        for (int u = 0; u < m.Users; u++)
        {
            int target = heldOutItem[u];
            for (int p = m.RowStart[u]; p < m.RowStart[u + 1]; p++)
            {
                if (m.Columns[p] == target) continue;
                users.Add(u);
                items.Add(m.Columns[p]);
                values.Add(m.Values[p]);
            }
        }
        var train = new TrainingData
        {
            Interactions = InteractionMatrix.FromTriples(m.Users, m.Items, users.ToArray(), items.ToArray(), values.ToArray()),
            Events = WithoutPairs(data.Events, heldOutItem),
            Seed = data.Seed,
            Threads = data.Threads,
        };
        var als = Fit("als", options.Als, train, ct);
        var popularity = new PopularityTrainer(weighted: true, options.PopularityHalfLifeDays).Fit(train, ct);
        var scores = new float[data.Items];
        var top = new int[K];
        double alsHits = 0, alsNdcg = 0, popHits = 0, popNdcg = 0;
        foreach (var (u, target) in heldOut)
        {
            int rank = RankOf(als, u, target);
            alsHits += RankingMetrics.HitAt(rank, K);
            alsNdcg += RankingMetrics.NdcgAt(rank, K);
            rank = RankOf(popularity, u, target);
            popHits += RankingMetrics.HitAt(rank, K);
            popNdcg += RankingMetrics.NdcgAt(rank, K);
        }
        return new Dictionary<string, double>
        {
            ["als.hitRate@20"] = Math.Round(alsHits / heldOut.Count, 4),
            ["als.ndcg@20"] = Math.Round(alsNdcg / heldOut.Count, 4),
            ["popularity.hitRate@20"] = Math.Round(popHits / heldOut.Count, 4),
            ["popularity.ndcg@20"] = Math.Round(popNdcg / heldOut.Count, 4),
            ["evaluatedUsers"] = heldOut.Count,
        };

        int RankOf(IRecommender model, int u, int target)
        {
            model.Score(u, train.Interactions.ItemsOf(u), scores);
            foreach (int i in train.Interactions.ItemsOf(u)) scores[i] = float.NegativeInfinity;
            int k = TopK.Select(scores, K, top);
            return RankingMetrics.RankOf(top.AsSpan(0, k), target);
        }
    }

    /// <summary>
    /// The events with every event of a held-out (person, item) pair weighted 0, so counting skips it; the other columns are
    /// shared, not copied.
    /// </summary>
    private static EventLog? WithoutPairs(EventLog? events, int[] heldOutItem)
    {
        if (events is null) return null;
        var weights = (float[])events.Weights.Clone();
        for (int k = 0; k < weights.Length; k++)
        {
            int u = events.Users[k];
            if ((uint)u < (uint)heldOutItem.Length && heldOutItem[u] == events.Items[k]) weights[k] = 0;
        }
        return new EventLog(events.Users, events.Items, weights, events.TimesMs, events.Types);
    }
}
