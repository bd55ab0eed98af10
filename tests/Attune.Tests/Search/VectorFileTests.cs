using Attune.Model;
using Attune.Search.Semantic;

namespace Attune.Tests.Search;

/// <summary>Item vectors saved beside the store: a restart computes only the vectors of items whose text changed.</summary>
public sealed class VectorFileTests
{
    /// <summary>A stand-in model: a vector from the text's letters (the real one is MiniLmEmbedderTests'), counting its calls.</summary>
    private sealed class LetterEmbedder(string name = "letters") : ITextEmbedder
    {
        public int Texts;
        public string Name => name;
        public int Dimensions => 32;

        public float[][] Embed(IReadOnlyList<string> texts, CancellationToken ct = default)
        {
            Interlocked.Add(ref Texts, texts.Count);
            var vectors = new float[texts.Count][];
            for (int i = 0; i < texts.Count; i++)
            {
                var v = vectors[i] = new float[Dimensions];
                foreach (char c in texts[i]) v[char.ToLowerInvariant(c) % Dimensions] += 1;
                float norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
                if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
            }
            return vectors;
        }

        public void Dispose() { }
    }

    private static Item[] Items(int n, string suffix = "") =>
        [.. Enumerable.Range(1, n).Select(i => new Item { Id = $"i{i}", Title = $"Item number {i} {suffix}", Description = "A thing." })];

    [Fact]
    public async Task ARestartComputesOnlyTheVectorsOfChangedItems()
    {
        using var dir = TestPaths.NewTempDirectory();
        string file = Path.Combine(dir.Path, "search", "vectors.bin");
        var first = new LetterEmbedder();
        float[] before;
        using (var index = new SemanticIndex(() => first, file))
        {
            foreach (var item in Items(50)) index.Upsert(item);
            await index.WhenIdleAsync(TestContext.Current.CancellationToken);
            Assert.Equal(50, first.Texts);
            before = [.. index.Search("item number 7", 1, -1).Select(h => h.Score)];
            index.Remove("i50");
        }
        Assert.True(File.Exists(file));

        // The same texts but one changed and one new: two computed, the rest read back.
        var second = new LetterEmbedder();
        using (var index = new SemanticIndex(() => second, file))
        {
            var items = Items(51);
            items[2] = items[2] with { Title = "Something else entirely" };
            foreach (var item in items) index.Upsert(item);
            await index.WhenIdleAsync(TestContext.Current.CancellationToken);
            Assert.Equal(3, second.Texts); // i3 changed, i50 removed before the save, i51 new
            Assert.Equal(48, index.Restored);
            Assert.Equal(51, index.Count);
            Assert.Null(index.FileProblem);
            Assert.Equal(before, index.Search("item number 7", 1, -1).Select(h => h.Score));
        }

        // Another model's vectors are never used.
        var other = new LetterEmbedder("another model");
        using (var index = new SemanticIndex(() => other, file))
        {
            foreach (var item in Items(5)) index.Upsert(item);
            await index.WhenIdleAsync(TestContext.Current.CancellationToken);
            Assert.Equal(5, other.Texts);
            Assert.Equal(0, index.Restored);
        }

        // A damaged file is reported and the vectors computed.
        File.WriteAllBytes(file, [1, 2, 3]);
        var fourth = new LetterEmbedder("another model");
        using (var index = new SemanticIndex(() => fourth, file))
        {
            foreach (var item in Items(5)) index.Upsert(item);
            await index.WhenIdleAsync(TestContext.Current.CancellationToken);
            Assert.Equal(5, fourth.Texts);
        }
    }
}
