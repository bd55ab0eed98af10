using System.Diagnostics;
using Attune.Algorithms;
using Attune.Algorithms.Data;
using Attune.Algorithms.Popularity;
using Attune.Algorithms.Scoring;
using Attune.Evaluation.Metrics;
using Attune.Evaluation.Tuning;

namespace Attune.Serving.Models;

/// <summary>
/// A time split of the shop's own data: for a sample of people with at least three items, their last item is held out (what
/// they did next), the rest trains. Used twice while a version trains: the honest quality check every version reports
/// (hit rate@20 and nDCG@20 of the factor model and of serving's popularity, the held-out item's rank among the items the
/// person had not touched, by <see cref="RankingMetrics"/>, as <c>attune evaluate</c> measures), and the engine's own tuning
/// of the factor model and the sequence model (<see cref="Tune"/>), on a sample of people when the shop is large
/// (<see cref="Sample"/>).
/// </summary>
internal sealed class HeldOutCheck
{
    private const int K = 20;

    private readonly TrainingData _train;
    private readonly (int User, int Target)[] _heldOut;
    // A sample's people by their index in the shop's data (null: the split holds everyone, same indexes).
    private readonly int[]? _original;

    private HeldOutCheck(TrainingData train, (int, int)[] heldOut, int[]? original = null)
    {
        _train = train;
        _heldOut = heldOut;
        _original = original;
    }

    /// <summary>The training part of the split (the held-out pairs removed).</summary>
    internal TrainingData Data => _train;

    /// <summary>The held-out people (this split's indexes) and the item each did next.</summary>
    internal ReadOnlySpan<(int User, int Target)> HeldOut => _heldOut;

    /// <summary>A person of this split by their index in the shop's data (the same unless this is a <see cref="Sample"/>).</summary>
    internal int OriginalUser(int user) => _original is null ? user : _original[user];

    /// <summary>The split, or null when fewer than 50 people have three items (too few to say anything).</summary>
    public static HeldOutCheck? Create(TrainingData data, int people)
    {
        if (data.Sequences is not { } sequences || people <= 0) return null;
        var rng = new Random(data.Seed);
        var candidates = new List<int>();
        for (int u = 0; u < data.Users; u++)
        {
            if (sequences.Row(u).Length >= 3 && data.Interactions.CountOf(u) >= 3) candidates.Add(u);
        }
        if (candidates.Count < 50) return null;
        var sample = candidates.OrderBy(_ => rng.Next()).Take(people).Order().ToArray();
        var heldOutItem = new int[data.Users];
        Array.Fill(heldOutItem, -1);
        var heldOut = new (int, int)[sample.Length];
        for (int k = 0; k < sample.Length; k++)
        {
            int u = sample[k];
            heldOut[k] = (u, sequences.Row(u)[^1]);
            heldOutItem[u] = heldOut[k].Item2;
        }

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
        // The histories without the held-out item (wherever it occurs in a sampled person's history, as in the matrix).
        var start = new int[sequences.Rows + 1];
        var kept = new List<int>(sequences.Items.Length);
        for (int u = 0; u < sequences.Rows; u++)
        {
            int target = u < heldOutItem.Length ? heldOutItem[u] : -1;
            foreach (int i in sequences.Row(u))
                if (i != target) kept.Add(i);
            start[u + 1] = kept.Count;
        }
        var train = new TrainingData
        {
            Interactions = InteractionMatrix.FromTriples(m.Users, m.Items, users.ToArray(), items.ToArray(), values.ToArray()),
            Sequences = new SequenceData(sequences.ItemCount, start, kept.ToArray()),
            Events = WithoutPairs(data.Events, heldOutItem),
            Content = data.Content,
            Task = PredictionTask.NextItem,
            Seed = data.Seed,
            Threads = data.Threads,
        };
        return new HeldOutCheck(train, heldOut);
    }

    /// <summary>The quality check: the factor model trained with <paramref name="als"/> and serving's popularity.</summary>
    public Dictionary<string, double> Report(string als, double popularityHalfLifeDays, CancellationToken ct)
    {
        var (alsHits, alsNdcg) = Measure(BundleTrainer.Fit("als", als, _train, ct));
        var (popHits, popNdcg) = Measure(new PopularityTrainer(weighted: true, popularityHalfLifeDays).Fit(_train, ct));
        return new Dictionary<string, double>
        {
            ["als.hitRate@20"] = Math.Round(alsHits, 4),
            ["als.ndcg@20"] = Math.Round(alsNdcg, 4),
            ["popularity.hitRate@20"] = Math.Round(popHits, 4),
            ["popularity.ndcg@20"] = Math.Round(popNdcg, 4),
            ["evaluatedUsers"] = _heldOut.Length,
        };
    }

    /// <summary>
    /// The same held-out people with at most <paramref name="people"/> people in all (the others drawn at random, re-indexed):
    /// tuning measures many configurations, and on a large shop one fit on everyone costs minutes. This split, when it is
    /// that small already.
    /// </summary>
    public HeldOutCheck Sample(int people)
    {
        int users = _train.Users;
        if (users <= people) return this;
        var keep = new bool[users];
        foreach (var (u, _) in _heldOut) keep[u] = true;
        int count = _heldOut.Length;
        var others = new List<int>();
        for (int u = 0; u < users; u++)
            if (!keep[u] && _train.Interactions.CountOf(u) > 0) others.Add(u);
        var order = others.ToArray();
        new Random(_train.Seed + 1).Shuffle(order);
        for (int k = 0; k < order.Length && count < people; k++, count++) keep[order[k]] = true;
        var index = new int[users];
        int n = 0;
        for (int u = 0; u < users; u++) index[u] = keep[u] ? n++ : -1;

        var m = _train.Interactions;
        var triples = (Users: new List<int>(), Items: new List<int>(), Values: new List<float>());
        var sequences = _train.Sequences!;
        var start = new int[n + 1];
        var kept = new List<int>();
        for (int u = 0; u < users; u++)
        {
            if (index[u] < 0) continue;
            for (int p = m.RowStart[u]; p < m.RowStart[u + 1]; p++)
            {
                triples.Users.Add(index[u]);
                triples.Items.Add(m.Columns[p]);
                triples.Values.Add(m.Values[p]);
            }
            foreach (int i in sequences.Row(u)) kept.Add(i);
            start[index[u] + 1] = kept.Count;
        }
        EventLog? events = null;
        if (_train.Events is { } e)
        {
            var (eu, ei, ew, et, ety) = (new List<int>(), new List<int>(), new List<float>(), new List<long>(), new List<int>());
            for (int k = 0; k < e.Count; k++)
            {
                int u = e.Users[k];
                if ((uint)u >= (uint)users || index[u] < 0) continue;
                eu.Add(index[u]);
                ei.Add(e.Items[k]);
                ew.Add(e.Weights[k]);
                et.Add(e.TimesMs[k]);
                ety.Add(e.Types[k]);
            }
            events = new EventLog([.. eu], [.. ei], [.. ew], [.. et], [.. ety]);
        }
        var train = new TrainingData
        {
            Interactions = InteractionMatrix.FromTriples(n, m.Items, triples.Users.ToArray(), triples.Items.ToArray(), triples.Values.ToArray()),
            Sequences = new SequenceData(sequences.ItemCount, start, kept.ToArray()),
            Events = events,
            Content = _train.Content,
            Task = PredictionTask.NextItem,
            Seed = _train.Seed,
            Threads = _train.Threads,
        };
        var heldOut = new (int, int)[_heldOut.Length];
        for (int k = 0; k < heldOut.Length; k++) heldOut[k] = (index[_heldOut[k].User], _heldOut[k].Target);
        var original = new int[n];
        for (int u = 0; u < users; u++)
            if (index[u] >= 0) original[index[u]] = OriginalUser(u);
        return new HeldOutCheck(train, heldOut, original);
    }

    /// <summary>People in this split's training part.</summary>
    public int People => _train.Users;

    /// <summary>Portfolio entries for the factor model: good on the shared benchmarks (docs/benchmarks.md), tried after the configured defaults.</summary>
    private static readonly string[] s_alsPortfolio =
    [
        "factors=128 iterations=15",
        "factors=79 iterations=15 alpha=0.19151 alpha0=0.21991 reg=0.143248 regExp=0.736295",
        "factors=32 iterations=15",
    ];

    /// <summary>
    /// The sequence model's parameters that set the cost of an answer (how many of the newest items and of each item's latest
    /// sessions are read): a tuning keeps the configured ones, so a tuned version answers as fast as the configured one.
    /// </summary>
    private static readonly HashSet<string> s_sequenceServingCost = new(StringComparer.OrdinalIgnoreCase) { "knnHistory", "sample" };

    /// <summary>What the engine tunes, in order: the component, its model, and the configurations tried after its configured ones.</summary>
    public static IReadOnlyList<(string Component, string Model, IReadOnlyList<IReadOnlyDictionary<string, string>> Portfolio)> Components { get; } =
    [
        ("als", "als", [.. s_alsPortfolio.Select(e => ModelParameters.Parse(e.Split(' ')).Values)]),
        // The next-item portfolio of `attune evaluate --model best` (learned on the shared benchmarks), without its cost knobs.
        ("sequence", "sequence", [.. ModelPortfolio.Portfolio(PredictionTask.NextItem).Where(c => c.Model == "sequence").Select(c => c.Parameters)]),
    ];

    /// <summary>
    /// The engine's own tuning on this split, within <paramref name="budget"/> shared by the components (each gets an even
    /// share of what is left): for each, the configured parameters first (whatever the budget), then the portfolio, then
    /// steps around the best in the model's search space, a configuration still training when its share ends being stopped
    /// (the seed decides what is tried; the clock only how many run). A configuration replaces the configured one only when
    /// its hit rate@20 is higher by more than <see cref="ModelSearch.RefineMargin"/> (relative): noise does not move a shop to
    /// new parameters. Each component is measured alone, on the held-out next item.
    /// </summary>
    /// <param name="configured">The parameters to start from, by component (<c>als</c>, <c>sequence</c>).</param>
    public IReadOnlyList<TuningInfo> Tune(IReadOnlyDictionary<string, string> configured, TimeSpan budget, int seed, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<TuningInfo>();
        for (int c = 0; c < Components.Count; c++)
        {
            var (component, model, portfolio) = Components[c];
            if (!configured.TryGetValue(component, out var defaults)) continue;
            var left = budget - clock.Elapsed;
            var share = left > TimeSpan.Zero ? left / (Components.Count - c) : TimeSpan.Zero;
            var keep = component == "sequence" ? s_sequenceServingCost : null;
            results.Add(TuneOne(component, model, defaults, portfolio, keep, share, seed, ct));
        }
        return results;
    }

    private TuningInfo TuneOne(string component, string model, string defaults, IReadOnlyList<IReadOnlyDictionary<string, string>> portfolio,
        HashSet<string>? keepConfigured, TimeSpan budget, int seed, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var baseline = ModelParameters.Parse(defaults.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Values;
        // A candidate: the configuration with the entry's values over it, the cost knobs left as configured.
        Dictionary<string, string> Over(IReadOnlyDictionary<string, string> entry)
        {
            var p = new Dictionary<string, string>(baseline, StringComparer.OrdinalIgnoreCase);
            foreach (var (k, v) in entry)
                if (keepConfigured is null || !keepConfigured.Contains(k)) p[k] = v;
            return p;
        }
        // The defaults are measured whatever the budget; any other configuration is stopped when the budget ends (NaN).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        double Score(IReadOnlyDictionary<string, string> p, CancellationToken token)
        {
            try
            {
                return Measure(BundleTrainer.Fit(model, ParameterSampler.Canonical(p), _train, token)).HitRate;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return double.NaN;
            }
        }

        double defaultValue = Score(baseline, ct);
        deadline.CancelAfter(budget > clock.Elapsed ? budget - clock.Elapsed : TimeSpan.Zero);
        var best = (Parameters: (IReadOnlyDictionary<string, string>)baseline, Value: defaultValue);
        var tried = new HashSet<string>(StringComparer.Ordinal) { ParameterSampler.Canonical(baseline) };
        int trials = 1;
        void Consider(IReadOnlyDictionary<string, string> p)
        {
            if (!tried.Add(ParameterSampler.Canonical(p)) || deadline.IsCancellationRequested) return;
            double value = Score(p, deadline.Token);
            if (double.IsNaN(value)) return; // stopped by the budget
            trials++;
            if (value > best.Value * (1 + ModelSearch.RefineMargin)) best = (p, value);
        }
        foreach (var entry in portfolio)
        {
            if (clock.Elapsed >= budget) break;
            Consider(Over(entry));
        }
        var space = ModelCatalog.Get(model).SearchSpace;
        if (keepConfigured is not null) space = [.. space.Where(r => !keepConfigured.Contains(r.Name))];
        var sampler = new ParameterSampler(space, seed);
        for (int step = 0; clock.Elapsed < budget && step < 200 && space.Count > 0; step++)
        {
            Consider(Over(sampler.Step(best.Parameters, step).Parameters));
        }
        return new TuningInfo(component, ParameterSampler.Canonical(best.Parameters), defaults, "hitRate@20", Math.Round(defaultValue, 4),
            Math.Round(best.Value, 4), trials, Math.Round(clock.Elapsed.TotalSeconds, 1));
    }

    private (double HitRate, double Ndcg) Measure(IRecommender model)
    {
        var scores = new float[_train.Items];
        var top = new int[K];
        double hits = 0, ndcg = 0;
        foreach (var (u, target) in _heldOut)
        {
            model.Score(u, _train.Sequences is { } seq ? seq.Row(u) : _train.Interactions.ItemsOf(u), scores);
            foreach (int i in _train.Interactions.ItemsOf(u)) scores[i] = float.NegativeInfinity;
            int k = TopK.Select(scores, K, top);
            int rank = RankingMetrics.RankOf(top.AsSpan(0, k), target);
            hits += RankingMetrics.HitAt(rank, K);
            ndcg += RankingMetrics.NdcgAt(rank, K);
        }
        return (hits / _heldOut.Length, ndcg / _heldOut.Length);
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
