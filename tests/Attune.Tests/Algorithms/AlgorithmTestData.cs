using Attune.Algorithms;
using Attune.Algorithms.Data;
using Attune.Algorithms.Scoring;

namespace Attune.Tests.Algorithms;

/// <summary>Small matrices with a known answer, MovieLens loading, and ranking metrics shared by the algorithm tests.</summary>
internal static class AlgorithmTestData
{
    /// <summary>
    /// Two taste groups: users 0..9 like items 0..4, users 10..19 like items 5..9 (items 10..11 nobody touches). Each user has
    /// every item of their block except one, <see cref="MissingItem"/>: the item a model should rank first.
    /// </summary>
    public static InteractionMatrix Blocks()
    {
        var users = new List<int>();
        var items = new List<int>();
        for (int u = 0; u < 20; u++)
        {
            int first = u < 10 ? 0 : 5;
            for (int i = first; i < first + 5; i++)
            {
                if (i == MissingItem(u)) continue;
                users.Add(u);
                items.Add(i);
            }
        }
        return FromPairs(20, 12, users, items);
    }

    public static int MissingItem(int user) => (user < 10 ? 0 : 5) + user % 5;

    /// <summary>A random matrix: each pair present with probability <paramref name="density"/>, values 1..3.</summary>
    public static InteractionMatrix Random(int users, int items, double density, int seed)
    {
        var rng = new Random(seed);
        var u = new List<int>();
        var i = new List<int>();
        var v = new List<float>();
        for (int a = 0; a < users; a++)
            for (int b = 0; b < items; b++)
                if (rng.NextDouble() < density) { u.Add(a); i.Add(b); v.Add(1 + rng.Next(3)); }
        return InteractionMatrix.FromTriples(users, items, u.ToArray(), i.ToArray(), v.ToArray());
    }

    public static InteractionMatrix FromPairs(int users, int items, List<int> u, List<int> i) =>
        InteractionMatrix.FromTriples(users, items, u.ToArray(), i.ToArray(), Enumerable.Repeat(1f, u.Count).ToArray());

    /// <summary>The top item for each user with their own items excluded.</summary>
    public static int TopUnseen(IRecommender model, InteractionMatrix m, int user)
    {
        var scores = new float[model.Items];
        model.Score(user, m.ItemsOf(user), scores);
        foreach (int i in m.ItemsOf(user)) scores[i] = float.NegativeInfinity;
        Span<int> top = stackalloc int[1];
        Assert.Equal(1, TopK.Select(scores, 1, top));
        return top[0];
    }

    /// <summary>
    /// MovieLens 100k as implicit feedback (every rating a positive), split at random 75/25 within each user (seed fixed).
    /// Users and items are renumbered densely in order of first appearance.
    /// </summary>
    public static (InteractionMatrix Train, List<int>[] Test) MovieLensSplit(string path, int seed)
    {
        var userIds = new Dictionary<string, int>();
        var itemIds = new Dictionary<string, int>();
        var byUser = new List<List<int>>();
        foreach (string line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            if (f.Length < 2) continue;
            if (!userIds.TryGetValue(f[0], out int u)) { u = userIds.Count; userIds[f[0]] = u; byUser.Add([]); }
            if (!itemIds.TryGetValue(f[1], out int i)) { i = itemIds.Count; itemIds[f[1]] = i; }
            byUser[u].Add(i);
        }
        var rng = new Random(seed);
        var trainUsers = new List<int>();
        var trainItems = new List<int>();
        var test = new List<int>[byUser.Count];
        for (int u = 0; u < byUser.Count; u++)
        {
            var items = byUser[u].ToArray();
            rng.Shuffle(items);
            int cut = (int)Math.Round(items.Length * 0.75);
            test[u] = [.. items[cut..]];
            foreach (int i in items[..cut]) { trainUsers.Add(u); trainItems.Add(i); }
        }
        return (FromPairs(byUser.Count, itemIds.Count, trainUsers, trainItems), test);
    }

    /// <summary>Mean binary NDCG@k over users with test items (log2 discount), training items excluded from the ranking.</summary>
    public static double Ndcg(IRecommender model, InteractionMatrix train, List<int>[] test, int k)
    {
        var scores = new float[model.Items];
        var top = new int[k];
        double total = 0;
        int users = 0;
        for (int u = 0; u < train.Users; u++)
        {
            if (test[u].Count == 0) continue;
            model.Score(u, train.ItemsOf(u), scores);
            foreach (int i in train.ItemsOf(u)) scores[i] = float.NegativeInfinity;
            int n = TopK.Select(scores, k, top);
            var relevant = test[u].ToHashSet();
            double dcg = 0, ideal = 0;
            for (int r = 0; r < n; r++) if (relevant.Contains(top[r])) dcg += 1 / Math.Log2(r + 2);
            for (int r = 0; r < Math.Min(k, relevant.Count); r++) ideal += 1 / Math.Log2(r + 2);
            total += dcg / ideal;
            users++;
        }
        return total / users;
    }

    public static float[] Scores(IRecommender model, int user, ReadOnlySpan<int> history)
    {
        var scores = new float[model.Items];
        model.Score(user, history, scores);
        return scores;
    }
}
