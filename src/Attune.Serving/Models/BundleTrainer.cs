using System.Diagnostics;
using Attune.Algorithms;
using Attune.Algorithms.Als;
using Attune.Algorithms.Content;
using Attune.Algorithms.Data;
using Attune.Algorithms.ItemKnn;
using Attune.Algorithms.Neural;
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
    /// <summary>The neural next-item model (SASRec, <c>attune evaluate --model sasrec</c> parameters), served by the
    /// <c>sasrec</c> source of recipes that name it. <value>The default value is <c>off</c>: it is not trained, since its
    /// training costs minutes per 100,000 histories on two cores.</value></summary>
    public string SasRec { get; set; } = "off";
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

    public ModelBundle Train(StoreSnapshot snapshot, string version, string reason, CancellationToken ct = default, BundleTrainingPlan? plan = null)
    {
        var total = Stopwatch.StartNew();
        var data = snapshot.Data;
        var seconds = new Dictionary<string, double>();
        T Timed<T>(string name, Func<T> fit) => Time(seconds, name, fit);
        bool any = data.Interactions.NonZeros > 0;
        // The factor and sequence models' parameters: an earlier tuning's (the plan), else the configured ones; tuned again
        // when the plan says (on a sample of people when the shop is large).
        string alsParameters = plan?.AlsParameters ?? options.Als;
        string sequenceParameters = plan?.SequenceParameters ?? options.Sequence;
        var check = any && (options.EvaluationUsers > 0 || plan?.Tune is not null)
            ? HeldOutCheck.Create(data, options.EvaluationUsers > 0 ? options.EvaluationUsers : 2_000)
            : null;
        List<TuningInfo>? tunings = null;
        if (check is not null && plan?.Tune is { } budget)
        {
            var clock = Stopwatch.StartNew();
            var configured = new Dictionary<string, string> { ["als"] = alsParameters, ["sequence"] = sequenceParameters };
            var at = _time.GetUtcNow();
            var sample = check.Sample(plan.TuningPeople);
            // The components first (two thirds of the budget when the blend is tuned too), then the blend over the tuned ones.
            var componentBudget = plan.Blend is null ? budget : budget * 2 / 3;
            tunings = Timed("tuning", () => sample.Tune(configured, componentBudget, data.Seed, ct)).Select(t => t with { At = at }).ToList();
            foreach (var t in tunings)
            {
                if (t.Component == "als") alsParameters = t.Parameters;
                else if (t.Component == "sequence") sequenceParameters = t.Parameters;
            }
            if (plan.Blend is { } blend)
            {
                var (split, people) = Timed("blend-split", () => TrainSplit(sample, snapshot, alsParameters, sequenceParameters, ct));
                var left = budget - clock.Elapsed;
                if (Timed("blend-tuning", () => blend.Tune(split, people, left > TimeSpan.Zero ? left : TimeSpan.Zero, data.Seed, ct)) is { } chosen)
                    tunings.Add(chosen with { At = at });
            }
        }
        var metrics = check is not null && options.EvaluationUsers > 0
            ? Timed("evaluation", () => check.Report(alsParameters, options.PopularityHalfLifeDays, ct))
            : [];
        var m = FitAll(data, alsParameters, sequenceParameters, seconds, ct);

        long until = data.Events is { Count: > 0 } ev ? ev.LatestMs : 0;
        var info = new ModelInfo
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
            AlsParameters = alsParameters,
            SequenceParameters = sequenceParameters,
            Tuning = tunings?.Find(t => t.Component == "als"),
            Tunings = tunings,
        };
        return m.Bundle(info, [.. snapshot.Log.ItemIds], [.. snapshot.Log.UserIds],
            data.Sequences ?? new SequenceData(data.Items, new int[data.Users + 1], []),
            snapshot.Purchases, snapshot.OpenCarts, snapshot.Impressions, snapshot.ContextPopularity);
    }

    /// <summary>The models and counts of a bundle, fitted on one training set.</summary>
    private sealed record Fitted(AlsModel? Als, ItemKnnModel? Viewed, ItemKnnModel? Bought, SequenceModel? Sequence, SasRecModel? SasRec,
        ContentModel? Content, float[] Popularity, float[] TrendShort, float[] TrendLong)
    {
        /// <summary>A bundle of these models with the per-person tables it serves from.</summary>
        public ModelBundle Bundle(ModelInfo info, string[] itemIds, string[] userIds, SequenceData histories, SparseRows purchases,
            SparseRows openCarts, ImpressionTable impressions, Dictionary<string, float[]> contextPopularity) => new()
        {
            Info = info,
            ItemIds = itemIds,
            UserIds = userIds,
            Histories = histories,
            Purchases = purchases,
            OpenCarts = openCarts,
            Impressions = impressions,
            Popularity = Popularity,
            TrendShort = TrendShort,
            TrendLong = TrendLong,
            ContextPopularity = contextPopularity,
            Als = Als,
            ViewedTogether = Viewed,
            BoughtTogether = Bought,
            Sequence = Sequence,
            Content = Content,
            SasRec = SasRec,
        };
    }

    /// <summary>Runs <paramref name="fit"/>, recording its seconds under <paramref name="name"/> (nowhere when <paramref name="seconds"/> is null).</summary>
    private static T Time<T>(Dictionary<string, double>? seconds, string name, Func<T> fit)
    {
        var sw = Stopwatch.StartNew();
        var result = fit();
        if (seconds is not null) seconds[name] = Math.Round(sw.Elapsed.TotalSeconds, 3);
        return result;
    }

    private Fitted FitAll(TrainingData data, string alsParameters, string sequenceParameters, Dictionary<string, double>? seconds, CancellationToken ct)
    {
        T Timed<T>(string name, Func<T> fit) => Time(seconds, name, fit);
        bool any = data.Interactions.NonZeros > 0;
        var als = any ? Timed("als", () => (AlsModel)Fit("als", alsParameters, data, ct)) : null;
        var viewed = any ? Timed("viewed-together", () => (ItemKnnModel)Fit("itemknn", options.ViewedTogether, data, ct)) : null;
        var bought = any ? Timed("bought-together", () => (ItemKnnModel)Fit("itemknn", options.BoughtTogether, data, ct)) : null;
        var sequence = any ? Timed("sequence", () => (SequenceModel)Fit("sequence", sequenceParameters, data, ct)) : null;
        var sasrec = any && !string.Equals(options.SasRec, "off", StringComparison.OrdinalIgnoreCase)
            ? Timed("sasrec", () => (SasRecModel)Fit("sasrec", options.SasRec, data, ct))
            : null;
        var content = data.Items > 0 ? Timed("content", () => (ContentModel)Fit("content", options.Content, data, ct)) : null;
        var (popularity, trendShort, trendLong) = Timed("popularity", () => Counts(data));
        return new Fitted(als, viewed, bought, sequence, sasrec, content, popularity, trendShort, trendLong);
    }

    /// <summary>Items of a held-out person's history that the blend's tuning sends as the current session (live events).</summary>
    public const int SessionItems = 3;

    /// <summary>
    /// A bundle of the split's training part (a sample of people when the shop is large): every model fitted on it, each
    /// person's purchases, open cart and impressions as the shop's, less the held-out item. The blend's tuning serves from it
    /// as the engine would, so the held-out item is what the answer should find. Every other held-out person is answered in
    /// the middle of a session: the last <see cref="SessionItems"/> items of their history are left out of the bundle's
    /// histories and come back as live events (the models were fitted with them all the same); the others are answered from
    /// their trained history alone. Not saved; no context popularity.
    /// </summary>
    internal (ModelBundle Bundle, HeldOutPerson[] People) TrainSplit(HeldOutCheck split, StoreSnapshot full, string alsParameters,
        string sequenceParameters, CancellationToken ct)
    {
        var data = split.Data;
        int users = data.Users;
        var userIds = new string[users];
        var original = new int[users];
        var heldOutItem = new int[users];
        Array.Fill(heldOutItem, -1);
        foreach (var (u, target) in split.HeldOut) heldOutItem[u] = target;
        for (int u = 0; u < users; u++)
        {
            original[u] = split.OriginalUser(u);
            userIds[u] = full.Log.UserIds[original[u]];
        }
        SparseRows Rows(SparseRows rows)
        {
            var start = new int[users + 1];
            var items = new List<int>();
            for (int u = 0; u < users; u++)
            {
                foreach (int i in rows.Row(original[u]))
                    if (i != heldOutItem[u]) items.Add(i);
                start[u + 1] = items.Count;
            }
            return new SparseRows(start, [.. items]);
        }
        var m = FitAll(data, alsParameters, sequenceParameters, seconds: null, ct);
        long until = data.Events is { Count: > 0 } ev ? ev.LatestMs : full.ReadAtMs;

        // Who is answered mid-session, and their session's items: cut from the end of their history rows.
        var histories = data.Sequences ?? new SequenceData(data.Items, new int[users + 1], []);
        var cut = new int[users];
        var people = new HeldOutPerson[split.HeldOut.Length];
        for (int k = 0; k < people.Length; k++)
        {
            var (u, target) = split.HeldOut[k];
            var row = histories.Row(u);
            int session = k % 2 == 1 ? Math.Min(SessionItems, row.Length - 1) : 0;
            cut[u] = Math.Max(session, 0);
            var items = new string[cut[u]];
            for (int s = 0; s < items.Length; s++) items[s] = full.Log.ItemIds[row[row.Length - items.Length + s]];
            people[k] = new HeldOutPerson(userIds[u], full.Log.ItemIds[target], items);
        }
        var start = new int[users + 1];
        var kept = new List<int>(histories.Items.Length);
        for (int u = 0; u < users; u++)
        {
            var row = histories.Row(u);
            foreach (int i in row[..(row.Length - cut[u])]) kept.Add(i);
            start[u + 1] = kept.Count;
        }
        var info = new ModelInfo
        {
            Version = "held-out-split",
            TrainedAt = _time.GetUtcNow(),
            DataUntil = DateTimeOffset.FromUnixTimeMilliseconds(until),
            SnapshotAt = DateTimeOffset.FromUnixTimeMilliseconds(full.ReadAtMs),
            Users = users,
            Items = data.Items,
            Interactions = data.Interactions.NonZeros,
            AlsParameters = alsParameters,
            SequenceParameters = sequenceParameters,
        };
        var bundle = m.Bundle(info, [.. full.Log.ItemIds], userIds, new SequenceData(histories.ItemCount, start, [.. kept]),
            Rows(full.Purchases), Rows(full.OpenCarts), full.Impressions.Rows(original), []);
        return (bundle, people);
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

    internal static IRecommender Fit(string model, string parameters, TrainingData data, CancellationToken ct) =>
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
}

/// <summary>How one version is trained beyond <see cref="ServingModelOptions"/>.</summary>
/// <param name="AlsParameters">The factor model's parameters chosen by an earlier tuning (null: the configured ones).</param>
/// <param name="Tune">Tune the factor and sequence models first, within this time (null: do not tune).</param>
/// <param name="SequenceParameters">The sequence model's parameters chosen by an earlier tuning (null: the configured ones).</param>
/// <param name="TuningPeople">A tuning fits each configuration on at most this many people (the held-out ones and others drawn at random).</param>
/// <param name="Blend">When tuning: the tuner of the serving blend, given a bundle of the split and its held-out people (null: the blend is not tuned).</param>
public sealed record BundleTrainingPlan(string? AlsParameters = null, TimeSpan? Tune = null, string? SequenceParameters = null,
    int TuningPeople = 100_000, IBlendTuner? Blend = null);

/// <summary>Tunes how serving blends its sources, by answering held-out people from a bundle trained without their last item.</summary>
public interface IBlendTuner
{
    /// <summary>
    /// The tuning of the blend on <paramref name="split"/> (a bundle of the time split), measured on <paramref name="people"/>
    /// (each held-out person and the item they did next), within <paramref name="budget"/> beyond measuring the defaults;
    /// null when there is nothing to tune (e.g. a stored recipe sets the weights).
    /// </summary>
    TuningInfo? Tune(ModelBundle split, IReadOnlyList<HeldOutPerson> people, TimeSpan budget, int seed, CancellationToken ct);
}

/// <summary>A held-out person of a time split: who, the item they took next, and the items of their current session (live
/// events before the answer, oldest first; empty when they are answered from their trained history alone).</summary>
public sealed record HeldOutPerson(string UserId, string ItemId, IReadOnlyList<string> Session);
