using Attune.Algorithms.Scoring;
using BenchmarkDotNet.Attributes;

namespace Attune.Benchmarks.Scoring;

/// <summary>
/// The heap alone: top-k of 100,000 precomputed scores. Random scores are the usual case (few items beat the heap's minimum
/// once it is full); rising scores are the worst case (every item enters the heap), so the heap's own cost shows.
/// Single-threaded. Allocation must be 0 B.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Scoring")]
public class TopKBenchmarks
{
    private const int Items = 100_000;
    private float[] _random = [];
    private float[] _rising = [];
    private readonly int[] _top = new int[200];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _random = new float[Items];
        for (int i = 0; i < Items; i++) _random[i] = (float)rng.NextDouble();
        _rising = new float[Items];
        for (int i = 0; i < Items; i++) _rising[i] = i;
    }

    [Benchmark(Baseline = true, Description = "TopK.Select top-20 of 100,000 random")]
    public int Random20() => TopK.Select(_random, 20, _top);

    [Benchmark(Description = "TopK.Select top-200 of 100,000 random")]
    public int Random200() => TopK.Select(_random, 200, _top);

    [Benchmark(Description = "TopK.Select top-20 of 100,000 rising (every item enters)")]
    public int Rising20() => TopK.Select(_rising, 20, _top);
}
