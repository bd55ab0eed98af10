using System.Numerics.Tensors;
using Attune.Model;
using Attune.Search.Semantic;

namespace Attune.Tests.Search;

/// <summary>The sentence model as Attune runs it: int8 weights quantized at load stay close to the published float32 model, and
/// an item's text leaves out what repeats.</summary>
public sealed class MiniLmEmbedderTests
{
    private static readonly string[] Texts =
    [
        "Stride Sierra Stability Running Shoe. shoes running. Supportive for overpronation and flat feet",
        "jogging footwear",
        "Aerofit Padded Bike Lock. Keeps you seen in city traffic at night",
        "rucksack",
        "a warm wool sweater for winter",
    ];

    [Fact]
    public void Int8VectorsStayCloseToFloat32AndKeepTheOrder()
    {
        using var full = new MiniLmEmbedder(precision: ModelPrecision.Float32);
        using var int8 = new MiniLmEmbedder();
        Assert.Equal("all-MiniLM-L6-v2 (int8)", int8.Name);
        var a = full.Embed(Texts);
        var b = int8.Embed(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(384, b[i].Length);
            Assert.InRange(TensorPrimitives.Norm(b[i]), 0.999f, 1.001f);
            Assert.True(TensorPrimitives.Dot(a[i], b[i]) >= 0.98f, $"“{Texts[i]}”: cosine {TensorPrimitives.Dot(a[i], b[i])} to float32");
        }
        // What the search relies on: a request in other words is closer to what it means than to something else, in both.
        foreach (var v in new[] { a, b })
        {
            Assert.True(TensorPrimitives.Dot(v[1], v[0]) > TensorPrimitives.Dot(v[1], v[2]));
            Assert.True(TensorPrimitives.Dot(v[1], v[0]) > TensorPrimitives.Dot(v[1], v[4]));
        }
        // Batches pad to their longest text: a text's vector does not depend on its batch.
        var alone = int8.Embed([Texts[1]])[0];
        Assert.True(TensorPrimitives.Dot(alone, b[1]) > 0.999f, $"alone vs in a batch: {TensorPrimitives.Dot(alone, b[1])}; float32 {TensorPrimitives.Dot(full.Embed([Texts[1]])[0], a[1])}");
    }

    [Fact]
    public void AnItemsTextLeavesOutPartsThatAddNoWord()
    {
        var item = new Item
        {
            Id = "i1", Title = "Aerofit Sierra Padded Bike Lock", Brand = "Aerofit", Categories = ["sports/cycling"],
            Description = "Padded bike lock by Aerofit. Ride safer and further. Keeps you seen in city traffic at night.",
        };
        Assert.Equal("Aerofit Sierra Padded Bike Lock. sports cycling. Ride safer and further. Keeps you seen in city traffic at night",
            SemanticIndex.TextOf(item));
        Assert.Equal("i2", SemanticIndex.TextOf(new Item { Id = "i2" }));
    }
}
