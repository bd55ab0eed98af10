using Attune.Demo;
using Attune.Search.Semantic;
using BenchmarkDotNet.Attributes;

namespace Attune.Benchmarks.Search;

/// <summary>
/// all-MiniLM-L6-v2 alone, on one thread: the cost of one demo item's text (the search text Attune embeds, a median-length
/// one of the demo shop) and of a short query, with int8 weights (what Attune runs) and the published float32 ones. The
/// model's time grows with the text's word pieces; indexing N items on C cores takes about N × (item text) / C.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Search")]
public class EmbeddingBenchmarks
{
    private MiniLmEmbedder _int8 = null!, _float32 = null!;
    private string[] _item = [], _query = ["running shoes for flat feet"];

    [GlobalSetup]
    public void Setup()
    {
        var shop = DemoShop.Generate(new DemoOptions { Users = 100, Items = 5_000, Days = 10, Seed = 42, End = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) });
        var texts = shop.Items.Select(SemanticIndex.TextOf).OrderBy(t => t.Length).ToArray();
        _item = [texts[texts.Length / 2]];
        _int8 = new MiniLmEmbedder(threads: 1);
        _float32 = new MiniLmEmbedder(threads: 1, precision: ModelPrecision.Float32);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _int8.Dispose();
        _float32.Dispose();
    }

    [Benchmark(Baseline = true, Description = "int8: one demo item text")]
    public float[] ItemInt8() => _int8.Embed(_item)[0];

    [Benchmark(Description = "float32: one demo item text")]
    public float[] ItemFloat32() => _float32.Embed(_item)[0];

    [Benchmark(Description = "int8: a 5-word query")]
    public float[] QueryInt8() => _int8.Embed(_query)[0];
}
