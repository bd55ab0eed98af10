using System.Runtime.Intrinsics;
using Attune.Algorithms.Scoring;

namespace Attune.Tests.Algorithms;

public class FactorScoringTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 10 }, { 5, 0 }, { 5, 33 }, { 8, 1 }, { 8, 7 }, { 8, 9 }, { 16, 8 }, { 16, 1027 }, { 24, 100 }, { 64, 2051 }, { 72, 50 }, { 128, 300 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_kernel_matches_a_naive_loop(int rank, int items)
    {
        var rng = new Random(rank * 1000 + items);
        var factors = RandomFloats(rng, items * rank);
        var user = RandomFloats(rng, rank);
        var bias = RandomFloats(rng, items);
        var expected = new double[items];
        for (int i = 0; i < items; i++)
        {
            for (int d = 0; d < rank; d++) expected[i] += (double)factors[i * rank + d] * user[d];
            expected[i] += bias[i];
        }

        foreach (var kernel in Kernels(rank))
        {
            var scores = new float[items];
            FactorScorer.ScoreAll(factors, rank, user, scores, bias, kernel);
            for (int i = 0; i < items; i++) Assert.True(Math.Abs(scores[i] - expected[i]) < 1e-4 * (1 + rank), $"{kernel} item {i}: {scores[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Gathered_dot_products_and_row_sums_match_a_naive_loop()
    {
        var rng = new Random(1);
        foreach (int rank in new[] { 3, 8, 16, 48, 64, 80, 128 })
        {
            var m = RandomFloats(rng, 200 * rank);
            var v = RandomFloats(rng, rank);
            foreach (int n in new[] { 0, 1, 7, 8, 9, 17, 100 })
            {
                var rows = Enumerable.Range(0, n).Select(_ => rng.Next(200)).ToArray();
                var coef = RandomFloats(rng, n);
                var dots = new float[n];
                FactorKernels.DotRows(m, rank, rows, v, dots);
                var sum = new float[rank];
                FactorKernels.SumRows(m, rank, rows, coef, sum, accumulate: false);
                var gram = new float[rank * rank];
                FactorKernels.AddGram(m, rank, rows, coef, gram);
                for (int i = 0; i < n; i++)
                {
                    double e = 0;
                    for (int d = 0; d < rank; d++) e += (double)m[rows[i] * rank + d] * v[d];
                    Assert.True(Math.Abs(dots[i] - e) < 1e-4 * rank, $"rank {rank}, n {n}, dot {i}");
                }
                for (int d = 0; d < rank; d++)
                {
                    double e = 0;
                    for (int i = 0; i < n; i++) e += (double)coef[i] * m[rows[i] * rank + d];
                    Assert.True(Math.Abs(sum[d] - e) < 1e-4 * (n + 1), $"rank {rank}, n {n}, sum {d}");
                    for (int d2 = 0; d2 < rank; d2++)
                    {
                        double g = 0;
                        for (int i = 0; i < n; i++) g += (double)coef[i] * m[rows[i] * rank + d] * m[rows[i] * rank + d2];
                        Assert.True(Math.Abs(gram[d * rank + d2] - g) < 1e-4 * (n + 1), $"rank {rank}, n {n}, gram {d},{d2}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(48)]
    [InlineData(64)]
    [InlineData(128)]
    public void Fused_dot_and_sum_matches_a_naive_loop(int rank)
    {
        Assert.SkipUnless(FactorKernels.VectorWidth(rank) == 16, "needs AVX-512");
        var rng = new Random(rank);
        var m = RandomFloats(rng, 300 * rank);
        var v = RandomFloats(rng, rank);
        foreach (int n in new[] { 0, 1, 3, 4, 5, 19, 20, 21, 64, 250 })
        {
            var rows = Enumerable.Range(0, n).Select(_ => rng.Next(300)).ToArray();
            var mul = RandomFloats(rng, n);
            var add = RandomFloats(rng, n);
            foreach (bool withAdd in new[] { false, true })
            {
                var result = new float[rank];
                result.AsSpan().Fill(99);   // overwritten, not accumulated
                FactorKernels.SumRowsByDot(m, rank, rows, v, mul, -0.5f, withAdd ? add : default, result, prefetch: n > 20);
                for (int d = 0; d < rank; d++)
                {
                    double e = 0;
                    for (int i = 0; i < n; i++)
                    {
                        double dot = 0;
                        for (int j = 0; j < rank; j++) dot += (double)m[rows[i] * rank + j] * v[j];
                        e += ((withAdd ? add[i] : 0) - 0.5 * mul[i] * dot) * m[rows[i] * rank + d];
                    }
                    Assert.True(Math.Abs(result[d] - e) < 1e-3 * (n + 1), $"rank {rank}, n {n}, add {withAdd}, d {d}: {result[d]} vs {e}");
                }
            }
        }
    }

    [Fact]
    public void Gram_is_the_same_for_any_thread_count()
    {
        var m = RandomFloats(new Random(3), 10_000 * 16);
        var one = FactorKernels.Gram(m, 16, 10_000, threads: 1);
        var four = FactorKernels.Gram(m, 16, 10_000, threads: 4);
        Assert.Equal(one, four);
    }

    [Fact]
    public void TopK_select_matches_a_full_sort_on_random_data_with_ties()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed);
            int n = rng.Next(0, 600);
            int k = rng.Next(0, 40);
            // Few distinct values: many ties, which must go to the lower index. Some excluded (−∞) and NaN entries.
            var scores = Enumerable.Range(0, n).Select(_ => rng.Next(10) switch { 0 => float.NegativeInfinity, 1 when seed % 3 == 0 => float.NaN, var v => (float)(v % 5) }).ToArray();
            var result = new int[k];
            int found = TopK.Select(scores, k, result);
            var expected = Enumerable.Range(0, n).Where(i => scores[i] > float.NegativeInfinity).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            Assert.Equal(expected, result[..found]);
        }
    }

    [Fact]
    public void TopK_scorer_matches_scoring_everything_then_a_full_sort()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            int rank = new[] { 4, 8, 16, 64 }[seed % 4];
            int items = rng.Next(0, 3000);
            int k = seed % 17 == 0 ? 300 : rng.Next(0, 30);   // 300: past the stack heap
            // Quantised factors make equal scores common.
            var factors = Enumerable.Range(0, items * rank).Select(_ => (float)rng.Next(-2, 3)).ToArray();
            var user = Enumerable.Range(0, rank).Select(_ => (float)rng.Next(-2, 3)).ToArray();
            var bias = seed % 2 == 0 ? [] : Enumerable.Range(0, items).Select(_ => (float)rng.Next(0, 2)).ToArray();
            var exclude = Enumerable.Range(0, items / 10).Select(_ => rng.Next(items)).Order().ToArray();

            var scores = new float[items];
            FactorScorer.ScoreAll(factors, rank, user, scores, bias);
            var excluded = exclude.ToHashSet();
            var expected = Enumerable.Range(0, items).Where(i => !excluded.Contains(i)).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();

            foreach (var kernel in Kernels(rank))
            {
                var result = new int[Math.Max(k, 1)];
                int found = TopKScorer.Select(factors, rank, user, k, result, exclude, bias, kernel);
                Assert.Equal(expected, result[..found]);
            }
        }
    }

    [Fact]
    public void TopK_scorer_allocates_nothing()
    {
        const int rank = 64, items = 20_000;
        var rng = new Random(5);
        var factors = RandomFloats(rng, items * rank);
        var user = RandomFloats(rng, rank);
        var result = new int[20];
        int[] exclude = [3, 99, 1234];
        for (int i = 0; i < 3; i++) TopKScorer.Select(factors, rank, user, 20, result, exclude);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) TopKScorer.Select(factors, rank, user, 20, result, exclude);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static IEnumerable<ScoringKernel> Kernels(int rank)
    {
        yield return ScoringKernel.Auto;
        yield return ScoringKernel.PerRow;
        if (Vector256.IsHardwareAccelerated && rank % 8 == 0) yield return ScoringKernel.Vector256;
        if (Vector512.IsHardwareAccelerated && rank % 16 == 0) yield return ScoringKernel.Vector512;
    }

    private static float[] RandomFloats(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
}
