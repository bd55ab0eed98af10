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
        T Timed<T>(string name, Func<T> fit)
        {
            var sw = Stopwatch.StartNew();
            var result = fit();
            seconds[name] = Math.Round(sw.Elapsed.TotalSeconds, 3);
            return result;
        }
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
            var configured = new Dictionary<string, string> { ["als"] = alsParameters, ["sequence"] = sequenceParameters };
            var at = _time.GetUtcNow();
            tunings = Timed("tuning", () => check.Sample(plan.TuningPeople).Tune(configured, budget, data.Seed, ct)).Select(t => t with { At = at }).ToList();
            foreach (var t in tunings)
            {
                if (t.Component == "als") alsParameters = t.Parameters;
                else if (t.Component == "sequence") sequenceParameters = t.Parameters;
            }
        }
        var metrics = check is not null && options.EvaluationUsers > 0
            ? Timed("evaluation", () => check.Report(alsParameters, options.PopularityHalfLifeDays, ct))
            : [];
        var als = any ? Timed("als", () => (AlsModel)Fit("als", alsParameters, data, ct)) : null;
        var viewed = any ? Timed("viewed-together", () => (ItemKnnModel)Fit("itemknn", options.ViewedTogether, data, ct)) : null;
        var bought = any ? Timed("bought-together", () => (ItemKnnModel)Fit("itemknn", options.BoughtTogether, data, ct)) : null;
        var sequence = any ? Timed("sequence", () => (SequenceModel)Fit("sequence", sequenceParameters, data, ct)) : null;
        var sasrec = any && !string.Equals(options.SasRec, "off", StringComparison.OrdinalIgnoreCase)
            ? Timed("sasrec", () => (SasRecModel)Fit("sasrec", options.SasRec, data, ct))
            : null;
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
                AlsParameters = alsParameters,
                SequenceParameters = sequenceParameters,
                Tuning = tunings?.Find(t => t.Component == "als"),
                Tunings = tunings,
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
            SasRec = sasrec,
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
public sealed record BundleTrainingPlan(string? AlsParameters = null, TimeSpan? Tune = null, string? SequenceParameters = null,
    int TuningPeople = 100_000);
