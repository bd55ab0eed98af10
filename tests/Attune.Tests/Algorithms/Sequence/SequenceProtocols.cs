using Attune.Algorithms;
using Attune.Algorithms.Data;

namespace Attune.Tests.Algorithms.Sequence;

/// <summary>Which held-out item a leave-one-out run predicts.</summary>
internal enum HoldOut
{
    /// <summary>The second-to-last item of each user; trains on everything before it. For tuning.</summary>
    Validation,

    /// <summary>The last item of each user; trains on everything before it (the validation item included).</summary>
    Test,
}

internal readonly record struct SeqFullResult(int Users, double Ndcg10, double Hit10, double Ndcg20, double Hit20);

internal readonly record struct SessionResult(int Cases, double P20, double Mrr20);

/// <summary>
/// Test-only measurement of the two next-item protocols of <c>../shared/datasets/README.md</c> (sections 3 and 4a):
/// <c>seq-full</c> (ICLRec / S3-Rec leave-one-out, full ranking with the user's earlier items masked, NDCG@10 and HIT@10)
/// and <c>session</c> (SR-GNN Diginetica prefixes, all items ranked, nothing masked, P@20 and MRR@20 ×100).
/// Evaluation runs in parallel over users or cases, one score buffer per worker.
/// </summary>
internal static class SequenceProtocols
{
    public const int MaxInput = 50;

    /// <summary>Reads <c>user item item …</c> lines (ids from 1) as 0-based item rows, and the number of items.</summary>
    public static (List<int[]> Rows, int Items) ReadUserSequences(string path)
    {
        var rows = new List<int[]>();
        int items = 0;
        foreach (string line in File.ReadLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            var row = new int[parts.Length - 1];
            for (int k = 1; k < parts.Length; k++)
            {
                row[k - 1] = int.Parse(parts[k], System.Globalization.CultureInfo.InvariantCulture) - 1;
                items = Math.Max(items, row[k - 1] + 1);
            }
            rows.Add(row);
        }
        return (rows, items);
    }

    /// <summary>Training data whose users are <paramref name="rows"/>: counts in the matrix, the rows as sequences.</summary>
    public static TrainingData ToTrainingData(IReadOnlyList<int[]> rows, int items, int threads = 0)
    {
        int n = rows.Sum(r => r.Length);
        var u = new int[n];
        var it = new int[n];
        var v = new float[n];
        int k = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            foreach (int i in rows[r])
            {
                u[k] = r;
                it[k] = i;
                v[k++] = 1f;
            }
        }
        return new TrainingData
        {
            Interactions = InteractionMatrix.FromTriples(rows.Count, items, u, it, v),
            Sequences = SequenceData.FromRows(items, rows),
            Threads = threads > 0 ? threads : Environment.ProcessorCount,
        };
    }

    /// <summary>
    /// The <c>seq-full</c> protocol on one ICLRec file. Trains on each user's items before the held-out one, scores every item for
    /// the last <see cref="MaxInput"/> items before it (user index given), masks the user's earlier items, and averages
    /// NDCG/HIT@10 and @20 over all users, or over <paramref name="sampleUsers"/> users drawn with <paramref name="seed"/>.
    /// </summary>
    public static SeqFullResult SeqFull(string path, HoldOut holdOut, IRecommenderTrainer trainer, int sampleUsers = 0, int seed = 7)
    {
        var (all, items) = ReadUserSequences(path);
        int cut = holdOut == HoldOut.Test ? 1 : 2;
        var train = all.Select(r => r[..^cut]).ToList();
        var model = trainer.Fit(ToTrainingData(train, items));
        return SeqFull(model, all, train, holdOut, sampleUsers, seed);
    }

    public static SeqFullResult SeqFull(IRecommender model, List<int[]> all, List<int[]> train, HoldOut holdOut, int sampleUsers = 0, int seed = 7)
    {
        int cut = holdOut == HoldOut.Test ? 1 : 2;
        int[] users = Enumerable.Range(0, all.Count).ToArray();
        if (sampleUsers > 0 && sampleUsers < users.Length)
        {
            new Random(seed).Shuffle(users);
            users = users[..sampleUsers];
        }
        int items = model.Items;
        double ndcg10 = 0, hit10 = 0, ndcg20 = 0, hit20 = 0;
        var gate = new object();
        Parallel.For(0, users.Length, () => (Scores: new float[items], Sum: new double[4]), (x, _, local) =>
        {
            int u = users[x];
            int[] seq = all[u];
            int target = seq[^cut];
            var before = train[u].AsSpan();
            var input = before.Length > MaxInput ? before[^MaxInput..] : before;
            model.Score(u, input, local.Scores);
            foreach (int i in before) local.Scores[i] = float.NegativeInfinity;
            int rank = RankOf(local.Scores, target);
            if (rank < 20)
            {
                double g = 1.0 / Math.Log2(rank + 2);
                local.Sum[2] += g;
                local.Sum[3] += 1;
                if (rank < 10)
                {
                    local.Sum[0] += g;
                    local.Sum[1] += 1;
                }
            }
            return local;
        }, local =>
        {
            lock (gate)
            {
                ndcg10 += local.Sum[0];
                hit10 += local.Sum[1];
                ndcg20 += local.Sum[2];
                hit20 += local.Sum[3];
            }
        });
        int n = users.Length;
        return new SeqFullResult(n, ndcg10 / n, hit10 / n, ndcg20 / n, hit20 / n);
    }

    /// <summary>Reads <c>train_sessions.txt</c> (one session a line, ids from 1) as 0-based rows.</summary>
    public static List<int[]> ReadSessions(string path) =>
        File.ReadLines(path)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) - 1).ToArray())
            .Where(r => r.Length > 0)
            .ToList();

    /// <summary>Reads <c>test.tsv</c> (<c>prefix ids \t target id</c>) as 0-based cases.</summary>
    public static List<(int[] Prefix, int Target)> ReadCases(string path) =>
        File.ReadLines(path)
            .Where(l => l.Length > 0)
            .Select(l =>
            {
                int tab = l.IndexOf('\t');
                var prefix = l[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) - 1).ToArray();
                return (prefix, int.Parse(l[(tab + 1)..], System.Globalization.CultureInfo.InvariantCulture) - 1);
            })
            .ToList();

    /// <summary>The SR-GNN expansion of sessions into (prefix, next item) cases, longest prefix first per session.</summary>
    public static List<(int[] Prefix, int Target)> Expand(IEnumerable<int[]> sessions)
    {
        var cases = new List<(int[], int)>();
        foreach (var s in sessions)
            for (int end = s.Length - 1; end >= 1; end--) cases.Add((s[..end], s[end]));
        return cases;
    }

    /// <summary>
    /// Diginetica sessions for one split: <see cref="HoldOut.Test"/> = all training sessions and <c>test.tsv</c>;
    /// <see cref="HoldOut.Validation"/> = the first 90% of training sessions (they are in date order) and the expanded last 10%.
    /// </summary>
    public static (List<int[]> Train, List<(int[] Prefix, int Target)> Cases, int Items) Diginetica(string folder, HoldOut holdOut)
    {
        var sessions = ReadSessions(Path.Combine(folder, "train_sessions.txt"));
        var test = ReadCases(Path.Combine(folder, "test.tsv"));
        int items = Math.Max(sessions.Max(s => s.Max()), test.Max(c => Math.Max(c.Target, c.Prefix.Max()))) + 1;
        if (holdOut == HoldOut.Test) return (sessions, test, items);
        int cut = sessions.Count * 9 / 10;
        return (sessions[..cut], Expand(sessions[cut..]), items);
    }

    /// <summary>
    /// The <c>session</c> protocol: scores all items for each prefix (user -1), nothing masked; P@20 and MRR@20 ×100 over the
    /// cases, or over <paramref name="sampleCases"/> of them drawn with <paramref name="seed"/>.
    /// </summary>
    public static SessionResult Session(IRecommender model, IReadOnlyList<(int[] Prefix, int Target)> cases, int sampleCases = 0, int seed = 7)
    {
        int[] pick = Enumerable.Range(0, cases.Count).ToArray();
        if (sampleCases > 0 && sampleCases < pick.Length)
        {
            new Random(seed).Shuffle(pick);
            pick = pick[..sampleCases];
        }
        int items = model.Items;
        double hits = 0, rr = 0;
        var gate = new object();
        Parallel.For(0, pick.Length, () => (Scores: new float[items], Hits: 0.0, Rr: 0.0), (x, _, local) =>
        {
            var (prefix, target) = cases[pick[x]];
            model.Score(-1, prefix, local.Scores);
            int rank = RankOf(local.Scores, target);
            if (rank < 20)
            {
                local.Hits += 1;
                local.Rr += 1.0 / (rank + 1);
            }
            return local;
        }, local =>
        {
            lock (gate)
            {
                hits += local.Hits;
                rr += local.Rr;
            }
        });
        return new SessionResult(pick.Length, 100 * hits / pick.Length, 100 * rr / pick.Length);
    }

    /// <summary>
    /// 0-based rank of <paramref name="target"/>: items scoring higher, plus equal scores at lower indexes (the tie rule of
    /// <c>TopK.Select</c>). A target at negative infinity ranks last.
    /// </summary>
    public static int RankOf(ReadOnlySpan<float> scores, int target)
    {
        float t = scores[target];
        if (!(t > float.NegativeInfinity)) return scores.Length;
        int rank = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (s > t || (s == t && i < target)) rank++;
        }
        return rank;
    }
}
