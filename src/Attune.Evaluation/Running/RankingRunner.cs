using Attune.Algorithms;
using Attune.Algorithms.Scoring;
using Attune.Evaluation.Metrics;
using Attune.Evaluation.Protocols;

namespace Attune.Evaluation.Running;

/// <summary>
/// Scores every case of a split in parallel and returns the mean of each metric. Per case: <c>Score</c> into the thread's buffer,
/// (sampled metrics read the raw scores), excluded items set to −∞, <see cref="TopK.Select"/>, metrics. No allocation per case.
/// Each case writes its metric values to its own slots and the means are summed in case order afterwards, so the result does not
/// depend on the number of threads.
/// <para>With a <see cref="TrialScoring"/>, every fourth case (a quarter spread over the split) is scored first and its
/// checkpoint sees the metric's mean over them; when it says stop, the run ends with <see cref="TrialStoppedException"/>.
/// The result of a run that goes on is the same as without one, and the metric's value per case is kept.</para>
/// </summary>
public static class RankingRunner
{
    private const int ProgressEvery = 1024;

    public static OrderedDictionary<string, double> Run(IRecommender model, EvaluationSplit split, int threads,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default, TrialScoring? scoring = null)
    {
        var cases = split.Cases;
        var metrics = split.Metrics;
        int items = split.Training.Items;
        if (model.Items != items)
            throw new InvalidOperationException($"model scores {model.Items:N0} items but the split has {items:N0}");
        int names = metrics.Names.Count;
        int depth = Math.Max(metrics.Depth, BeyondAccuracy.K);
        var beyond = new BeyondAccuracy(split.Training.Interactions, split.ItemCategories);
        var recommended = new byte[items];
        int slots = names + BeyondAccuracy.Slots;
        var perCase = new double[(long)cases.Count * slots];
        long done = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken };
        // Cases c with c % stride == phase: all of them in one phase, or the scoring's quarter first and the rest after.
        void Score(int stride, int phase, bool skip) =>
            Parallel.For(0, (cases.Count - phase + stride - 1) / stride, options,
                () => new ScoringWorker(items, depth),
                (j, _, w) =>
                {
                    int c = j * stride + phase;
                    if (skip && c % CheckpointStride == 0) return w;
                    ScoreCase(model, cases, metrics, beyond, recommended, c, w, perCase.AsSpan(c * slots, slots));
                    long n = Interlocked.Increment(ref done);
                    if (progress is not null && n % ProgressEvery == 0) progress.Report(n);
                    return w;
                },
                _ => { });
        int judged = scoring is null ? -1 : IndexOf(metrics.Names, scoring.Metric);
        if (scoring is not null && cases.Count >= CheckpointStride * scoring.MinCases)
        {
            Score(CheckpointStride, 0, skip: false);
            double sum = 0;
            int scored = 0;
            for (int c = 0; c < cases.Count; c += CheckpointStride, scored++) sum += perCase[c * slots + judged];
            double partial = sum / scored * metrics.Scale;
            scoring.Partial = partial;
            if (!scoring.Continue(partial)) throw new TrialStoppedException(scoring.Metric, partial, scored);
            Score(1, 0, skip: true);
        }
        else Score(1, 0, skip: false);
        progress?.Report(cases.Count);
        if (scoring is not null)
        {
            var values = new float[cases.Count];
            for (int c = 0; c < cases.Count; c++) values[c] = (float)(perCase[c * slots + judged] * metrics.Scale);
            scoring.PerCase = values;
        }
        var totals = new double[slots];
        for (int c = 0; c < cases.Count; c++)
            for (int m = 0; m < slots; m++) totals[m] += perCase[c * slots + m];

        var result = new OrderedDictionary<string, double>();
        double count = Math.Max(1, cases.Count);
        for (int m = 0; m < names; m++) result[metrics.Names[m]] = totals[m] / count * metrics.Scale;
        int covered = 0;
        foreach (byte b in recommended) covered += b;
        result[BeyondAccuracy.Names[0]] = items == 0 ? 0 : (double)covered / items;
        result[BeyondAccuracy.Names[1]] = totals[names] / Math.Max(1, totals[names + 1]);
        result[BeyondAccuracy.Names[2]] = totals[names + 2] / Math.Max(1, totals[names + 3]);
        return result;
    }

    /// <summary>A <see cref="TrialScoring"/> checkpoint scores every this many-th case first.</summary>
    public const int CheckpointStride = 4;

    private static int IndexOf(IReadOnlyList<string> names, string metric)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], metric, StringComparison.OrdinalIgnoreCase)) return i;
        throw new ArgumentException($"the split reports no metric '{metric}'", nameof(metric));
    }

    private static void ScoreCase(IRecommender model, EvaluationCases cases, CaseMetrics metrics, BeyondAccuracy beyond,
        byte[] recommended, int c, ScoringWorker w, Span<double> sums)
    {
        var scores = w.Scores.AsSpan();
        model.Score(cases.Users[c], cases.History.Row(c), scores);
        if (metrics.NeedsRawScores) metrics.AddRaw(c, cases, scores, sums);
        if (cases.Exclude is { } exclude)
            foreach (int i in exclude.Row(c)) scores[i] = float.NegativeInfinity;
        int n = TopK.Select(scores, w.Top.Length, w.Top);
        var top = w.Top.AsSpan(0, n);
        metrics.Add(c, cases, top[..Math.Min(n, metrics.Depth)], sums);
        var listed = top[..Math.Min(n, BeyondAccuracy.K)];
        foreach (int i in listed) recommended[i] = 1;  // racing writes all store 1
        beyond.Add(listed, sums[metrics.Names.Count..]);
    }
}
