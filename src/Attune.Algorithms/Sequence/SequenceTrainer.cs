using Attune.Algorithms.Data;

namespace Attune.Algorithms.Sequence;

/// <summary>
/// Builds a <see cref="SequenceModel"/> from <see cref="TrainingData.Sequences"/>. With <see cref="SequenceOptions.Learn"/> it
/// first holds out next items (see <see cref="StackMode"/>), builds the parts without them, fits the log-linear combination on
/// them, and then builds the parts again on everything.
/// </summary>
public sealed class SequenceTrainer(string name, SequenceOptions options) : IRecommenderTrainer
{
    public SequenceOptions Options => options;

    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var seq = data.Sequences ?? throw new ArgumentException($"model '{name}' needs the items in time order (TrainingData.Sequences)");
        int items = Math.Max(data.Items, seq.ItemCount);
        float[]? weights = options.Learn ? FitWeights(seq, items, data, cancellationToken) : null;
        return Build(seq, items, weights, data.Threads, cancellationToken);
    }

    private SequenceModel Build(SequenceData seq, int items, float[]? weights, int threads, CancellationToken cancellationToken)
    {
        var o = options;
        int rows = seq.Rows;
        var popularity = new float[items];
        var recent = new float[items];
        float halfLife = o.PopularityHalfLife > 0 ? o.PopularityHalfLife : Math.Max(1, rows / 20f);
        for (int r = 0; r < rows; r++)
        {
            float w = MathF.Pow(0.5f, (rows - 1 - r) / halfLife);
            foreach (int i in seq.Row(r))
            {
                popularity[i]++;
                recent[i] += w;
            }
        }
        ScaleToMax(popularity);
        ScaleToMax(recent);
        cancellationToken.ThrowIfCancellationRequested();
        var transitions = o.TransitionWeight > 0
            ? ItemTransitions.Build(seq, items, o.Window, o.StepDecay, o.Backward, o.RowNorm, o.PopularityPenalty, o.Keep, threads, cancellationToken)
            : null;
        var neighbors = o.NeighborWeight > 0 ? SessionNeighbors.From(seq, items) : null;
        return new SequenceModel(name, o, transitions, neighbors, popularity, recent, weights);
    }

    private static void ScaleToMax(float[] values)
    {
        float max = 0;
        foreach (float v in values) max = MathF.Max(max, v);
        if (max > 0) System.Numerics.Tensors.TensorPrimitives.Multiply(values, 1f / max, values);
    }

    private float[]? FitWeights(SequenceData seq, int items, TrainingData data, CancellationToken cancellationToken)
    {
        var o = options;
        var rng = new Random(data.Seed);
        var rows = new List<int[]>(seq.Rows);
        var cases = new List<(int User, int[] Prefix, int Target)>();
        if (o.Stack == StackMode.Users)
        {
            for (int r = 0; r < seq.Rows; r++)
            {
                var row = seq.Row(r);
                if (row.Length >= 2)
                {
                    rows.Add(row[..^1].ToArray());
                    var prefix = row[..^1];
                    if (prefix.Length > 50) prefix = prefix[^50..];
                    cases.Add((r, prefix.ToArray(), row[^1]));
                }
                else
                {
                    rows.Add(row.ToArray());
                }
            }
        }
        else
        {
            int held = Math.Clamp((int)(seq.Rows * o.StackFraction), 1, Math.Max(1, seq.Rows - 1));
            for (int r = 0; r < seq.Rows - held; r++) rows.Add(seq.Row(r).ToArray());
            for (int r = seq.Rows - held; r < seq.Rows; r++)
            {
                var row = seq.Row(r);
                for (int c = 1; c < row.Length; c++) cases.Add((-1, row[..c].ToArray(), row[c]));
            }
        }
        if (cases.Count < 10) return null; // too little to fit: keep the fixed weights
        if (cases.Count > o.StackCases)
        {
            var pick = cases.ToArray();
            rng.Shuffle(pick);
            cases = pick[..o.StackCases].ToList();
        }
        var probe = Build(SequenceData.FromRows(items, rows), items, null, data.Threads, cancellationToken);

        // Items without evidence compete too: the most popular and a few drawn at random join every case's candidates.
        var seen = Enumerable.Range(0, items).Where(j => probe.RecentPopularity(j) > 0 || probe.Popularity(j) > 0).ToArray();
        var popular = seen.OrderByDescending(j => probe.RecentPopularity(j)).Take(30).ToArray();
        var features = new float[cases.Count][];
        var targets = new int[cases.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, data.Threads), CancellationToken = cancellationToken };
        Parallel.For(0, cases.Count, parallel, () => (Buffer: new List<float>(4096), Random: new int[50]), (x, _, local) =>
        {
            var (user, prefix, target) = cases[x];
            var buffer = local.Buffer;
            buffer.Clear();
            var rng = new Random(data.Seed + x);
            for (int k = 0; k < local.Random.Length; k++) local.Random[k] = seen[rng.Next(seen.Length)];
            probe.CandidateFeatures(user, prefix, target, o.StackCandidates, popular, local.Random, seen.Length, buffer, out targets[x]);
            features[x] = buffer.ToArray();
            return local;
        }, _ => { });
        return SoftmaxFit.Fit(features, targets, SequenceModel.FeatureCount, o.StackL2, data.Threads, cancellationToken);
    }
}

/// <summary>Catalog entry of the sequence model.</summary>
public static class SequenceDescriptors
{
    public static readonly ModelDescriptor Sequence = new(
        "sequence",
        "Next item after a history (\"after X, people take Y\"), for sessions and for people's histories: multi-step item "
        + "transitions, session neighbours (STAN-like), the history's own items and popularity, mixed with fixed weights or, "
        + "with learn=true, log-linearly with weights fitted on held-out next items",
        p => new SequenceTrainer("sequence", SequenceOptions.From(p, new SequenceOptions()).Validate()),
        r => SequenceModel.Load("sequence", r),
        [
            new ParameterRange("transitions", 0, 2),
            new ParameterRange("window", 1, 10, Integer: true),
            new ParameterRange("stepDecay", 0.1, 1),
            new ParameterRange("backward", 0, 1),
            new ParameterRange("rowNorm", 0, 1),
            new ParameterRange("history", 1, 10, Integer: true),
            new ParameterRange("historyDecay", 0.1, 1),
            new ParameterRange("neighbors", 0, 2),
            new ParameterRange("k", 20, 1000, LogScale: true, Integer: true),
            new ParameterRange("knnHistory", 1, 50, LogScale: true, Integer: true),
            new ParameterRange("lambdaSession", 0.5, 20, LogScale: true),
            new ParameterRange("idf", 0, 1),
            new ParameterRange("lengthNorm", 0, 1),
            new ParameterRange("lambdaAfter", 0.5, 100, LogScale: true),
            new ParameterRange("beforeWeight", 0, 1),
            new ParameterRange("lambdaBefore", 0.5, 100, LogScale: true),
            new ParameterRange("repeat", 0, 3),
            new ParameterRange("lambdaRepeat", 0.5, 10, LogScale: true),
        ]);
}
