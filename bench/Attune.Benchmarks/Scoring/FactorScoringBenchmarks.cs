using System.Runtime.Intrinsics;
using Attune.Algorithms.Als;
using Attune.Algorithms.Scoring;
using BenchmarkDotNet.Attributes;

namespace Attune.Benchmarks.Scoring;

/// <summary>
/// Serving a factor model: the top 20 of 100,000 items for one user at 64 factors (a 25.6 MB item matrix, so the scan is
/// bound by memory bandwidth), the score-everything kernels it is built from, and folding in a new visitor.
/// Single-threaded. Allocation must be 0 B for every benchmark here.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Scoring")]
public class FactorScoringBenchmarks
{
    private const int Items = 100_000, Rank = 64, K = 20;
    private float[] _itemFactors = [];
    private float[] _user = [];
    private float[] _scores = [];
    private readonly int[] _top = new int[K];
    private readonly float[] _folded = new float[Rank];
    private readonly int[] _history = [17, 256, 1_024, 4_000, 9_999, 12_345, 33_333, 50_000, 77_777, 99_999];
    private AlsModel? _model;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _itemFactors = new float[Items * Rank];
        for (int i = 0; i < _itemFactors.Length; i++) _itemFactors[i] = (float)(rng.NextDouble() - 0.5);
        _user = new float[Rank];
        for (int i = 0; i < Rank; i++) _user[i] = (float)(rng.NextDouble() - 0.5);
        _scores = new float[Items];
        _model = new AlsModel(Rank, new float[Rank], _itemFactors, alpha: 1, unobservedWeight: 1, regularization: 0.015f, regularizationExponent: 1);
    }

    [Benchmark(Baseline = true, Description = "top-20 of 100,000 × 64: TopKScorer (fused, blocked)")]
    public int TopKScorerSelect() => TopKScorer.Select(_itemFactors, Rank, _user, K, _top);

    [Benchmark(Description = "top-20 of 100,000 × 64: ScoreAll + TopK.Select")]
    public int ScoreAllThenSelect()
    {
        FactorScorer.ScoreAll(_itemFactors, Rank, _user, _scores);
        return TopK.Select(_scores, K, _top);
    }

    [Benchmark(Description = "score 100,000 × 64: Vector512 (rank-64 loop, prefetch)")]
    public float ScoreVector512() => Score(ScoringKernel.Vector512);

    [Benchmark(Description = "score 100,000 × 64: Vector256, 8 rows per step, prefetch")]
    public float ScoreVector256() => Score(ScoringKernel.Vector256);

    [Benchmark(Description = "score 100,000 × 64: TensorPrimitives.Dot per row")]
    public float ScorePerRow() => Score(ScoringKernel.PerRow);

    [Benchmark(Description = "ALS fold-in of 10 items, 64 factors (Cholesky)")]
    public float FoldIn()
    {
        _model!.FoldIn(_history, default, _folded);
        return _folded[0];
    }

    private float Score(ScoringKernel kernel)
    {
        if (kernel == ScoringKernel.Vector512 && !Vector512.IsHardwareAccelerated) return float.NaN;
        FactorScorer.ScoreAll(_itemFactors, Rank, _user, _scores, default, kernel);
        return _scores[^1];
    }
}
