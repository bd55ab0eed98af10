using System.Numerics.Tensors;

namespace Attune.Predictions.Segments;

/// <summary>One behavioural cluster: its name (its strongest categories), its members' count and those categories.</summary>
public sealed record ClusterInfo(string Name, int Members, IReadOnlyList<string> TopCategories);

/// <summary>
/// Behavioural clusters: k-means (k-means++ seeding, seeded) over people's taste vectors (the matrix factorization's user
/// vectors, normalized), each named by the categories of the items its centre scores highest, so a cluster keeps its name
/// from one training to the next while the shop's tastes hold.
/// </summary>
public static class BehaviourClusters
{
    /// <param name="vectors">People's vectors, <paramref name="rank"/> floats each.</param>
    /// <param name="itemVectors">Item vectors in the same space (rank floats each) and each item's category (or null).</param>
    public static (int[] Assignment, ClusterInfo[] Clusters) Fit(ReadOnlySpan<float> vectors, int rank, int k, ReadOnlySpan<float> itemVectors,
        IReadOnlyList<string?> itemCategories, int seed = 42, int iterations = 25)
    {
        int n = vectors.Length / rank;
        k = Math.Min(k, n);
        if (k == 0) return ([], []);
        var x = new float[n * rank];
        for (int i = 0; i < n; i++)
        {
            var source = vectors.Slice(i * rank, rank);
            float norm = TensorPrimitives.Norm(source);
            if (norm > 0) TensorPrimitives.Divide(source, norm, x.AsSpan(i * rank, rank));
        }
        var random = new Random(seed);
        var centres = new float[k * rank];
        // k-means++: each next centre drawn with probability ∝ squared distance to the nearest chosen one.
        var nearest = new float[n];
        Array.Fill(nearest, float.MaxValue);
        int first = random.Next(n);
        x.AsSpan(first * rank, rank).CopyTo(centres);
        for (int c = 1; c < k; c++)
        {
            double total = 0;
            var last = centres.AsSpan((c - 1) * rank, rank);
            for (int i = 0; i < n; i++)
            {
                float d = TensorPrimitives.Distance(x.AsSpan(i * rank, rank), last);
                nearest[i] = Math.Min(nearest[i], d * d);
                total += nearest[i];
            }
            double pick = random.NextDouble() * total;
            int chosen = n - 1;
            for (int i = 0; i < n; i++) { pick -= nearest[i]; if (pick <= 0) { chosen = i; break; } }
            x.AsSpan(chosen * rank, rank).CopyTo(centres.AsSpan(c * rank, rank));
        }
        var assignment = new int[n];
        var sums = new double[k * rank];
        var counts = new int[k];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            int changed = 0;
            Parallel.For(0, n, () => 0, (i, _, local) =>
            {
                var v = x.AsSpan(i * rank, rank);
                int best = 0;
                float bestDistance = float.MaxValue;
                for (int c = 0; c < k; c++)
                {
                    float d = TensorPrimitives.Distance(v, centres.AsSpan(c * rank, rank));
                    if (d < bestDistance) { bestDistance = d; best = c; }
                }
                if (assignment[i] != best || iteration == 0) { assignment[i] = best; local++; }
                return local;
            }, local => Interlocked.Add(ref changed, local));
            Array.Clear(sums);
            Array.Clear(counts);
            for (int i = 0; i < n; i++)
            {
                int c = assignment[i];
                counts[c]++;
                for (int d = 0; d < rank; d++) sums[c * rank + d] += x[i * rank + d];
            }
            for (int c = 0; c < k; c++)
                if (counts[c] > 0)
                    for (int d = 0; d < rank; d++) centres[c * rank + d] = (float)(sums[c * rank + d] / counts[c]);
            if (changed == 0) break;
        }
        // Names: the two most common categories among the 50 items each centre scores highest.
        int items = itemVectors.Length / rank;
        var clusters = new ClusterInfo[k];
        var used = new HashSet<string>(StringComparer.Ordinal);
        var scores = new float[items];
        for (int c = 0; c < k; c++)
        {
            var centre = centres.AsSpan(c * rank, rank);
            for (int j = 0; j < items; j++) scores[j] = TensorPrimitives.Dot(centre, itemVectors.Slice(j * rank, rank));
            var top = Enumerable.Range(0, items).OrderByDescending(j => scores[j]).Take(50);
            var categories = top.Select(j => itemCategories[j]).Where(s => s is not null).GroupBy(s => s!)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(2).Select(g => g.Key).ToArray();
            string name = categories.Length > 0 ? string.Join(" & ", categories) : "cluster";
            string unique = name;
            for (int suffix = 2; !used.Add(unique); suffix++) unique = $"{name} #{suffix}";
            clusters[c] = new ClusterInfo(unique, counts[c], categories);
        }
        return (assignment, clusters);
    }
}
