using Attune.Search.Semantic;

namespace Attune.Tests.Search;

/// <summary>The quantized vector index against exact float cosine similarity: same neighbours, close similarities, vectors
/// whose largest component is negative (quantized to zeros by the first cut), updates and removals.</summary>
public sealed class VectorIndexTests
{
    private static float[] Unit(Random rng, int dims)
    {
        var v = new float[dims];
        double norm = 0;
        for (int i = 0; i < dims; i++) { v[i] = (float)(rng.NextDouble() * 2 - 1); norm += v[i] * v[i]; }
        for (int i = 0; i < dims; i++) v[i] /= (float)Math.Sqrt(norm);
        return v;
    }

    private static float Cos(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    [Fact]
    public void QuantizedSearchFindsTheExactNeighboursWithCloseSimilarities()
    {
        var rng = new Random(3);
        const int dims = 384, n = 3_000;
        var index = new VectorIndex(dims);
        var vectors = new float[n][];
        for (int i = 0; i < n; i++) index.Set("v" + i, vectors[i] = Unit(rng, dims));
        Assert.Equal(n, index.Count);
        Assert.True(index.MemoryBytes < n * dims * sizeof(float) / 2, $"{index.MemoryBytes} bytes");
        for (int q = 0; q < 20; q++)
        {
            // A query near a known vector, so the neighbourhood is not a tie of random noise.
            var query = Unit(rng, dims);
            var target = vectors[rng.Next(n)];
            for (int i = 0; i < dims; i++) query[i] = 0.8f * target[i] + 0.2f * query[i];
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(query);
            for (int i = 0; i < dims; i++) query[i] /= norm;

            var exact = Enumerable.Range(0, n).Select(i => (Id: "v" + i, Cos: Cos(query, vectors[i]))).OrderByDescending(x => x.Cos).Take(10).ToList();
            var found = index.Search(query, 10);
            Assert.Equal(exact[0].Id, found[0].ItemId);
            Assert.True(found.Select(h => h.ItemId).Intersect(exact.Select(e => e.Id)).Count() >= 9);
            foreach (var hit in found) Assert.Equal(Cos(query, vectors[int.Parse(hit.ItemId[1..])]), hit.Score, 0.02f);
        }
    }

    [Fact]
    public void AVectorWhoseLargestComponentIsNegativeIsKept()
    {
        var index = new VectorIndex(4);
        float[] negative = [-0.8f, 0.36f, 0.36f, 0.3f];
        index.Set("n", negative);
        var hits = index.Search(negative, 1);
        Assert.Equal("n", hits[0].ItemId);
        Assert.Equal(Cos(negative, negative), hits[0].Score, 0.02f);
        Span<float> similarity = stackalloc float[2];
        index.Similarities(negative, ["n", "absent"], similarity);
        Assert.Equal(hits[0].Score, similarity[0], 0.0001f);
        Assert.True(float.IsNaN(similarity[1]));
    }

    [Fact]
    public void UpdatesReplaceAndRemovalsForget()
    {
        var index = new VectorIndex(2);
        index.Set("a", [1f, 0f]);
        index.Set("b", [0f, 1f]);
        Assert.Equal("a", index.Search([1f, 0f], 1)[0].ItemId);
        index.Set("a", [0f, -1f]);
        Assert.Equal("a", index.Search([0f, -1f], 1)[0].ItemId);
        Assert.Empty(index.Search([1f, 0f], 5, minSimilarity: 0.5f)); // nothing points that way any more
        Assert.True(index.Remove("b"));
        Assert.False(index.Remove("b"));
        Assert.Empty(index.Search([0f, 1f], 5, minSimilarity: 0.5f));
        index.Set("c", [0f, 1f]); // reuses the freed row
        Assert.Equal(["c"], index.Search([0f, 1f], 5, minSimilarity: 0.5f).Select(h => h.ItemId));
        Assert.Equal(2, index.Count);
    }
}
