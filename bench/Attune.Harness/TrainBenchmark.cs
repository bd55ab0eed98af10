using System.Diagnostics;
using System.Globalization;
using Attune.Algorithms;
using Attune.Algorithms.Data;
using Attune.Algorithms.Scoring;

namespace Attune.Harness;

/// <summary>
/// Training speed and held-out quality of the factor models on a tsv of <c>user item value ts</c> lines (numeric ids), e.g.
/// <c>gen_synth.py 100000 20000 5000000</c>. Every line counts as one interaction of strength 1. One random interaction per
/// user with at least two is held out (fixed seed); the model trains on the rest, then a fixed sample of users ranks every
/// item with their training items masked: recall@k (= hit rate, one held-out item) and NDCG@k.
/// </summary>
internal static class TrainBenchmark
{
    public static Task<int> RunAsync(HarnessOptions o)
    {
        string file = o.Get("file") ?? "/tmp/bench/synth5m.tsv";
        int runs = o.Int("runs", 3);
        int sample = o.Int("users", 10_000);
        int k = o.Int("k", 20);
        int threads = o.Int("threads", Environment.ProcessorCount);
        string models = o.Get("model") ?? "als,bpr";
        var extra = (o.Get("params") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Console.WriteLine($"train: {file}; load average before: {LoadAverage()}");
        var clock = Stopwatch.StartNew();
        var full = ReadTsv(file);
        double readSeconds = clock.Elapsed.TotalSeconds;
        var (train, heldOut) = HoldOut(full, seed: 20261125);
        var evalUsers = SampleUsers(heldOut, sample, seed: 7);
        Console.WriteLine($"  {full.Users:N0} users, {full.Items:N0} items, {full.NonZeros:N0} interactions read in {readSeconds:F2} s; " +
                          $"{full.NonZeros - train.NonZeros:N0} held out; {evalUsers.Length:N0} users evaluated; {threads} threads");
        var data = new TrainingData { Interactions = train, Threads = threads, Seed = 42 };

        foreach (string name in models.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parameters = ModelParameters.Parse(extra.Where(p => p.StartsWith(name + ".", StringComparison.OrdinalIgnoreCase)).Select(p => p[(name.Length + 1)..]));
            var seconds = new List<double>();
            (double Recall, double Ndcg) quality = default;
            for (int run = 1; run <= runs; run++)
            {
                var trainer = ModelCatalog.CreateTrainer(name, new ModelParameters(parameters.Values));
                var process = Process.GetCurrentProcess();
                var cpu = process.TotalProcessorTime;
                clock.Restart();
                var model = trainer.Fit(data);
                double s = clock.Elapsed.TotalSeconds;
                process.Refresh();
                double cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
                seconds.Add(s);
                clock.Restart();
                quality = Evaluate(model, train, heldOut, evalUsers, k, threads);
                Console.WriteLine($"  {name} run {run}: train {s:F2} s ({cpuSeconds:F2} s CPU); recall@{k} {quality.Recall:F4}, NDCG@{k} {quality.Ndcg:F4} (evaluated in {clock.Elapsed.TotalSeconds:F2} s); load {LoadAverage()}");
            }
            seconds.Sort();
            Console.WriteLine($"{name} [{parameters}]: train median {seconds[seconds.Count / 2]:F2} s (min {seconds[0]:F2}, max {seconds[^1]:F2}, {runs} runs), " +
                              $"recall@{k} {quality.Recall:F4}, NDCG@{k} {quality.Ndcg:F4}");
        }
        return Task.FromResult(0);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>Reads the first two tab-separated columns as numeric user and item ids and interns them to dense indexes.</summary>
    internal static InteractionMatrix ReadTsv(string file)
    {
        var userIds = new Dictionary<long, int>();
        var itemIds = new Dictionary<long, int>();
        var users = new List<int>(1 << 20);
        var items = new List<int>(1 << 20);
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        int filled = 0, lineNo = 0;
        while (true)
        {
            int read = stream.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            var span = buffer.AsSpan(0, filled);
            int consumed = 0;
            while (true)
            {
                int nl = span[consumed..].IndexOf((byte)'\n');
                if (nl < 0 && read > 0) break;
                var line = nl < 0 ? span[consumed..] : span.Slice(consumed, nl);
                consumed = nl < 0 ? filled : consumed + nl + 1;
                lineNo++;
                if (line.IsEmpty) { if (nl < 0) break; continue; }
                int t1 = line.IndexOf((byte)'\t');
                var rest = line[(t1 + 1)..];
                int t2 = rest.IndexOf((byte)'\t');
                if (t1 <= 0 || !long.TryParse(line[..t1], NumberStyles.None, CultureInfo.InvariantCulture, out long u)
                    || !long.TryParse(t2 < 0 ? rest : rest[..t2], NumberStyles.None, CultureInfo.InvariantCulture, out long i))
                    throw new FormatException($"{file}:{lineNo}: expected numeric 'user<TAB>item…'");
                users.Add(Intern(userIds, u));
                items.Add(Intern(itemIds, i));
                if (nl < 0) break;
            }
            if (read == 0) break;
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
            if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        }
        var ones = new float[users.Count];
        Array.Fill(ones, 1f);
        return InteractionMatrix.FromTriples(userIds.Count, itemIds.Count,
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(users), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items), ones);
    }

    private static int Intern(Dictionary<long, int> ids, long id)
    {
        ref int slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ids, id, out bool exists);
        if (!exists) slot = ids.Count - 1;
        return slot;
    }

    /// <summary>Removes one random interaction from every user with at least two; heldOut[u] is that item or -1.</summary>
    internal static (InteractionMatrix Train, int[] HeldOut) HoldOut(InteractionMatrix m, int seed)
    {
        var rng = new Random(seed);
        var heldOut = new int[m.Users];
        var rowStart = new int[m.Users + 1];
        var cols = new int[m.NonZeros];
        var vals = new float[m.NonZeros];
        int w = 0;
        for (int u = 0; u < m.Users; u++)
        {
            rowStart[u] = w;
            int n = m.CountOf(u);
            int skip = n >= 2 ? rng.Next(n) : -1;
            heldOut[u] = skip >= 0 ? m.ItemsOf(u)[skip] : -1;
            for (int p = 0; p < n; p++)
            {
                if (p == skip) continue;
                cols[w] = m.ItemsOf(u)[p];
                vals[w] = m.ValuesOf(u)[p];
                w++;
            }
        }
        rowStart[m.Users] = w;
        Array.Resize(ref cols, w);
        Array.Resize(ref vals, w);
        return (new InteractionMatrix(m.Users, m.Items, rowStart, cols, vals), heldOut);
    }

    internal static int[] SampleUsers(int[] heldOut, int count, int seed)
    {
        var candidates = Enumerable.Range(0, heldOut.Length).Where(u => heldOut[u] >= 0).ToArray();
        new Random(seed).Shuffle(candidates);
        var chosen = candidates.Take(count).ToArray();
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>Full ranking over every item, training items masked. Factor models use the fused top-k kernel.</summary>
    internal static (double Recall, double Ndcg) Evaluate(IRecommender model, InteractionMatrix train, int[] heldOut, int[] users, int k, int threads)
    {
        var hits = new double[users.Length];
        var gains = new double[users.Length];
        Parallel.For(0, users.Length, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => (Top: new int[k], Scores: new float[model.Items]),
            (n, _, buffers) =>
            {
                int u = users[n];
                var seen = train.ItemsOf(u);
                int found;
                if (model is FactorModel f)
                {
                    found = f.Recommend(u, seen, k, buffers.Top, exclude: seen);
                }
                else
                {
                    model.Score(u, seen, buffers.Scores);
                    foreach (int i in seen) buffers.Scores[i] = float.NegativeInfinity;
                    found = TopK.Select(buffers.Scores, k, buffers.Top);
                }
                int rank = Array.IndexOf(buffers.Top, heldOut[u], 0, found);
                if (rank >= 0)
                {
                    hits[n] = 1;
                    gains[n] = 1 / Math.Log2(rank + 2);
                }
                return buffers;
            }, static _ => { });
        return (hits.Sum() / users.Length, gains.Sum() / users.Length);
    }
}
