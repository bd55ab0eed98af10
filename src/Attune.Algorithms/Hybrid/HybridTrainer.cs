using Attune.Algorithms.Data;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Hybrid;

/// <summary>Hyper-parameters of the hybrid: which components, with which parameters, and how weights are learned.</summary>
public sealed record HybridOptions
{
    /// <summary>Component model names, in order. Components that cannot train on the data (too many items for EASE, no item
    /// content) are left out.</summary>
    public IReadOnlyList<string> Components { get; init; } = ["ease", "als", "itemknn", "popularity"];

    /// <summary>Parameters per component name.</summary>
    public IReadOnlyDictionary<string, ModelParameters> ComponentParameters { get; init; } = new Dictionary<string, ModelParameters>();

    /// <summary>People held out to learn the weights. <value>The default value is 3,000.</value></summary>
    public int ValidationUsers { get; init; } = 3_000;

    /// <summary>Rank cut-off of the weight search's objective (NDCG@K). <value>The default value is 10.</value></summary>
    public int Cutoff { get; init; } = 10;

    /// <summary>Share of each validation person's items held out when the data are unordered. <value>The default value is 0.2.</value></summary>
    public double HoldOutFraction { get; init; } = 0.2;

    /// <summary>Never recommend items already in the person's history. <value>The default value is <see langword="true"/>.</value></summary>
    public bool MaskHistory { get; init; } = true;
}

/// <summary>
/// Learns a <see cref="HybridModel"/>: holds out one interaction per validation person (the last one when the data are
/// ordered, a random one otherwise), fits every component on the rest, searches the blend weights that maximise NDCG on
/// the held-out items (coordinate ascent over a grid), then refits the components on all the data with those weights.
/// The test data of an evaluation never reach it: it only sees its own training data.
/// </summary>
public sealed class HybridTrainer(HybridOptions options) : IRecommenderTrainer
{
    private static readonly float[] s_grid = [0f, 0.05f, 0.1f, 0.2f, 0.35f, 0.5f, 0.75f, 1f, 1.5f, 2f, 3f];
    private const int CandidatesPerComponent = 100;

    /// <summary>The learned weights of the last <see cref="Fit"/>, by component (for reports).</summary>
    public IReadOnlyDictionary<string, float> LearnedWeights { get; private set; } = new Dictionary<string, float>();

    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var (train, validation) = HoldOut(data);
        var components = FitComponents(train, cancellationToken, out var names);
        if (components.Count == 1) return new HybridModel([.. FitComponents(data, cancellationToken, out _, names)], [1f]);

        var cases = BuildCases(train, validation, components, cancellationToken);
        var weights = SearchWeights(cases, components.Count);
        LearnedWeights = names.Select((n, c) => (n, weights[c])).ToDictionary(x => x.n, x => x.Item2);

        // Refit on everything with the chosen weights; a component with weight 0 is dropped.
        var keep = names.Where((_, c) => weights[c] > 0).ToList();
        var final = FitComponents(data, cancellationToken, out _, keep);
        return new HybridModel([.. final], [.. weights.Where(w => w > 0)]);
    }

    private List<IRecommender> FitComponents(TrainingData data, CancellationToken ct, out List<string> names, IReadOnlyList<string>? only = null)
    {
        var models = new List<IRecommender>();
        names = [];
        foreach (string name in only ?? options.Components)
        {
            var p = options.ComponentParameters.GetValueOrDefault(name) ?? ModelParameters.Empty;
            try
            {
                models.Add(ModelCatalog.CreateTrainer(name, p).Fit(data, ct));
                names.Add(name);
            }
            catch (InvalidOperationException) when (only is null)
            {
                // This component cannot learn from these data (catalog too large, no content): the blend goes on without it.
            }
        }
        if (models.Count == 0) throw new InvalidOperationException("no hybrid component could be trained on these data");
        return models;
    }

    /// <summary>
    /// Held-out items per validation person, chosen reproducibly: the last item when the data are ordered (next-item
    /// questions), otherwise a random <see cref="HybridOptions.HoldOutFraction"/> of the person's items.
    /// </summary>
    private (TrainingData Train, (int User, int[] Targets)[] Validation) HoldOut(TrainingData data)
    {
        var m = data.Interactions;
        var random = new Random(data.Seed);
        var eligible = Enumerable.Range(0, m.Users).Where(u => m.CountOf(u) >= 3).ToArray();
        random.Shuffle(eligible);
        var chosen = eligible.Take(options.ValidationUsers).Order().ToArray();
        var validation = new (int User, int[] Targets)[chosen.Length];
        var remove = new Dictionary<int, HashSet<int>>();
        for (int v = 0; v < chosen.Length; v++)
        {
            int u = chosen[v];
            int[] targets;
            if (data.Task != PredictionTask.HeldOutSet && data.Sequences is { } seq && seq.Row(u).Length > 0) targets = [seq.Row(u)[^1]];
            else
            {
                var row = m.ItemsOf(u).ToArray();
                random.Shuffle(row);
                targets = row[..Math.Max(1, (int)Math.Round(options.HoldOutFraction * row.Length))];
            }
            validation[v] = (u, targets);
            remove[u] = [.. targets];
        }

        // The matrix without the held-out entries.
        var users = new List<int>(m.NonZeros);
        var items = new List<int>(m.NonZeros);
        var values = new List<float>(m.NonZeros);
        for (int u = 0; u < m.Users; u++)
        {
            var row = m.ItemsOf(u);
            var vals = m.ValuesOf(u);
            remove.TryGetValue(u, out var drop);
            for (int p = 0; p < row.Length; p++)
            {
                if (drop is not null && drop.Contains(row[p])) continue;
                users.Add(u);
                items.Add(row[p]);
                values.Add(vals[p]);
            }
        }
        var matrix = InteractionMatrix.FromTriples(m.Users, m.Items, users.ToArray(), items.ToArray(), values.ToArray());
        SequenceData? sequences = null;
        if (data.Sequences is { } s)
        {
            var rows = new List<int[]>(s.Rows);
            for (int u = 0; u < s.Rows; u++)
            {
                var row = s.Row(u).ToArray();
                // The held-out items leave the ordered history too: the last one, or the random set.
                if (!remove.TryGetValue(u, out var drop) || row.Length == 0) rows.Add(row);
                else rows.Add(data.Task == PredictionTask.HeldOutSet ? Array.FindAll(row, i => !drop.Contains(i)) : row[..^1]);
            }
            sequences = SequenceData.FromRows(s.ItemCount, rows);
        }
        var train = new TrainingData
        {
            Interactions = matrix,
            Sequences = sequences,
            Content = data.Content,
            Task = data.Task,
            Seed = data.Seed,
            Threads = data.Threads,
        };
        return (train, validation);
    }

    /// <summary>For each validation person: the union of every component's top candidates, their standardised scores, and the target.</summary>
    private List<Case> BuildCases(TrainingData train, (int User, int[] Targets)[] validation, List<IRecommender> components,
        CancellationToken ct)
    {
        int n = train.Items;
        var cases = new Case[validation.Length];
        var scratch = new ThreadLocal<(float[][] Scores, int[] Top, HashSet<int> Set)>(() =>
            (components.Select(_ => new float[n]).ToArray(), new int[CandidatesPerComponent], new HashSet<int>()));
        Parallel.For(0, validation.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, train.Threads), CancellationToken = ct }, v =>
        {
            var (scores, top, set) = scratch.Value;
            var (u, targets) = validation[v];
            var history = train.Sequences is { } seq ? seq.Row(u) : train.Interactions.ItemsOf(u);
            set.Clear();
            for (int c = 0; c < components.Count; c++)
            {
                components[c].Score(u, history, scores[c]);
                HybridModel.Standardize(scores[c]);
                if (options.MaskHistory)
                {
                    foreach (int i in history) scores[c][i] = float.NegativeInfinity;
                }
                int k = TopK.Select(scores[c], CandidatesPerComponent, top);
                for (int t = 0; t < k; t++) set.Add(top[t]);
            }
            var candidates = set.ToArray();
            var matrix = new float[candidates.Length * components.Count];
            for (int j = 0; j < candidates.Length; j++)
                for (int c = 0; c < components.Count; c++) matrix[j * components.Count + c] = scores[c][candidates[j]];
            var relevant = new bool[candidates.Length];
            foreach (int t in targets)
            {
                int j = Array.IndexOf(candidates, t);
                if (j >= 0) relevant[j] = true;
            }
            cases[v] = new Case(matrix, relevant, targets.Length);
        });
        scratch.Dispose();
        return [.. cases];
    }

    /// <summary>Steps of the two-component scan: the second component's share of the weight goes 0, 1/40, …, 1.</summary>
    private const int PairSteps = 40;

    /// <summary>
    /// Two components: every share of the weight in steps of 1/<see cref="PairSteps"/> (only the ratio matters to a ranking),
    /// a tie going to the more even share, so the answer does not depend on the components' order. More: coordinate ascent
    /// over <see cref="s_grid"/> from equal weights.
    /// </summary>
    private float[] SearchWeights(List<Case> cases, int componentCount)
    {
        if (componentCount == 2) return SearchPair(cases);
        var weights = Enumerable.Repeat(1f, componentCount).ToArray();
        double best = Objective(cases, weights);
        for (int round = 0; round < 3; round++)
        {
            bool improved = false;
            for (int c = 0; c < componentCount; c++)
            {
                float keep = weights[c];
                foreach (float g in s_grid)
                {
                    weights[c] = g;
                    if (weights.All(w => w == 0)) continue;
                    double value = Objective(cases, weights);
                    if (value > best + 1e-9)
                    {
                        best = value;
                        keep = g;
                        improved = true;
                    }
                }
                weights[c] = keep;
            }
            if (!improved) break;
        }
        return weights;
    }

    private float[] SearchPair(List<Case> cases)
    {
        var weights = new float[2];
        var best = (Value: double.NegativeInfinity, Step: PairSteps / 2);
        for (int i = 0; i <= PairSteps; i++)
        {
            weights[0] = (float)(PairSteps - i) / PairSteps;
            weights[1] = (float)i / PairSteps;
            double value = Objective(cases, weights);
            bool tie = Math.Abs(value - best.Value) <= 1e-9;
            if ((value > best.Value && !tie) || (tie && Math.Abs(2 * i - PairSteps) < Math.Abs(2 * best.Step - PairSteps)))
                best = (value, i);
        }
        return [(float)(PairSteps - best.Step) / PairSteps, (float)best.Step / PairSteps];
    }

    /// <summary>Mean binary NDCG@cutoff of the held-out items under the given weights (items outside the candidates are misses).</summary>
    private double Objective(List<Case> cases, float[] weights)
    {
        int k = weights.Length;
        int cutoff = options.Cutoff;
        Span<float> topScores = stackalloc float[cutoff];
        Span<bool> topRelevant = stackalloc bool[cutoff];
        double sum = 0;
        foreach (var c in cases)
        {
            // Keep the best `cutoff` candidates by insertion: candidates are few hundred, the cutoff small.
            int size = 0;
            int n = c.Relevant.Length;
            for (int j = 0; j < n; j++)
            {
                float s = Blend(c.Scores, j, weights, k);
                if (size == cutoff && s <= topScores[size - 1]) continue;
                int pos = size < cutoff ? size++ : size - 1;
                while (pos > 0 && topScores[pos - 1] < s)
                {
                    topScores[pos] = topScores[pos - 1];
                    topRelevant[pos] = topRelevant[pos - 1];
                    pos--;
                }
                topScores[pos] = s;
                topRelevant[pos] = c.Relevant[j];
            }
            double dcg = 0, ideal = 0;
            for (int r = 0; r < size; r++) if (topRelevant[r]) dcg += 1 / Math.Log2(r + 2);
            for (int r = 0; r < Math.Min(cutoff, c.RelevantCount); r++) ideal += 1 / Math.Log2(r + 2);
            sum += dcg / ideal;
        }
        return sum / Math.Max(1, cases.Count);
    }

    private static float Blend(float[] scores, int j, float[] weights, int k)
    {
        float s = 0;
        for (int c = 0; c < k; c++)
        {
            float w = weights[c];
            if (w != 0) s += w * scores[j * k + c];
        }
        return s;
    }

    /// <param name="Scores">Candidates × components, row-major, standardised.</param>
    /// <param name="Relevant">Which candidates are held-out items.</param>
    /// <param name="RelevantCount">How many items were held out (some may be outside the candidates).</param>
    private sealed record Case(float[] Scores, bool[] Relevant, int RelevantCount);
}
