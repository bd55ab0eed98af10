using System.Diagnostics;
using System.Numerics.Tensors;
using Attune.Algorithms.Data;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Als;

/// <summary>Fits an <see cref="AlsModel"/> by alternating least squares over implicit feedback (see <see cref="AlsOptions"/>).</summary>
/// <remarks>
/// Each iteration solves every user against the fixed item factors, then every item against the new user factors. A
/// half-sweep computes the fixed side's Gram matrix once (O(n·k²)), then solves rows in parallel
/// (<see cref="TrainingData.Threads"/>) with per-thread scratch; nothing is allocated per row. Each row's solve reads only
/// fixed data, so the result does not depend on the thread count.
/// </remarks>
public sealed class AlsTrainer(AlsOptions options) : IRecommenderTrainer
{
    /// <summary>Rows handed to a thread at a time: small enough to balance heavy users, large enough to amortise scheduling.</summary>
    private const int Chunk = 64;

    public AlsTrainer() : this(new AlsOptions()) { }

    public AlsOptions Options => options;

    /// <summary>Called after each iteration with its number (1-based) and seconds since the start; for progress and tests.</summary>
    public Action<int, double>? OnIteration { get; init; }

    IRecommender IRecommenderTrainer.Fit(TrainingData data, CancellationToken cancellationToken) => Fit(data, cancellationToken);

    public AlsModel Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var byUser = data.Interactions;
        var byItem = byUser.Transpose();
        int seed = options.Seed ?? data.Seed;
        if (options.Seeds == 1) return Fit(byUser, byItem, seed, data.Threads, cancellationToken);

        // Several fits side by side: [x¹ … xⁿ]·[y¹ … yⁿ] / n is the average of the fits' scores.
        int k = options.Factors, n = options.Seeds, rank = k * n;
        var users = new float[(long)byUser.Users * rank];
        var items = new float[(long)byUser.Items * rank];
        float scale = 1f / MathF.Sqrt(n);
        for (int s = 0; s < n; s++)
        {
            var model = Fit(byUser, byItem, seed + s, data.Threads, cancellationToken);
            Interleave(model.UserFactors, users, byUser.Users, k, rank, s * k, scale);
            Interleave(model.ItemFactors, items, byUser.Items, k, rank, s * k, scale);
        }
        return new AlsModel(rank, users, items, options.Alpha, options.UnobservedWeight, options.Regularization, options.RegularizationExponent);
    }

    private static void Interleave(ReadOnlySpan<float> source, Span<float> target, int rows, int k, int rank, int offset, float scale)
    {
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Multiply(source.Slice(r * k, k), scale, target.Slice(r * rank + offset, k));
    }

    private AlsModel Fit(InteractionMatrix byUser, InteractionMatrix byItem, int seed, int threads, CancellationToken cancellationToken)
    {
        int k = options.Factors;
        var userFactors = new float[(long)byUser.Users * k];
        var itemFactors = new float[(long)byUser.Items * k];
        float std = options.InitStd / MathF.Sqrt(k);
        FactorRandom.For(seed, 0).FillNormal(userFactors, std);
        FactorRandom.For(seed, 1).FillNormal(itemFactors, std);

        var clock = Stopwatch.StartNew();
        for (int iteration = 1; iteration <= options.Iterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SolveSide(byUser, itemFactors, userFactors, threads, cancellationToken);
            SolveSide(byItem, userFactors, itemFactors, threads, cancellationToken);
            OnIteration?.Invoke(iteration, clock.Elapsed.TotalSeconds);
        }
        return new AlsModel(k, userFactors, itemFactors, options.Alpha, options.UnobservedWeight, options.Regularization, options.RegularizationExponent);
    }

    /// <summary>Solves every row of <paramref name="rows"/> (users, or items via the transpose) for <paramref name="target"/>.</summary>
    private void SolveSide(InteractionMatrix rows, float[] fixedFactors, float[] target, int threads, CancellationToken cancellationToken)
    {
        int k = options.Factors;
        int others = rows.Items;
        var scaledGram = FactorKernels.Gram(fixedFactors, k, others, threads);
        TensorPrimitives.Multiply(scaledGram, options.UnobservedWeight, scaledGram);
        int maxRow = 0;
        for (int u = 0; u < rows.Users; u++) maxRow = Math.Max(maxRow, rows.CountOf(u));

        float alpha = options.Alpha, alpha0 = options.UnobservedWeight, reg = options.Regularization, exponent = options.RegularizationExponent;
        bool cg = options.Solver == AlsSolver.ConjugateGradient;
        int steps = options.CgSteps;
        int chunks = (rows.Users + Chunk - 1) / Chunk;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken };
        Parallel.For(0, chunks, parallel, () => new AlsScratch(k, maxRow), (chunk, _, scratch) =>
        {
            int end = Math.Min(rows.Users, (chunk + 1) * Chunk);
            for (int u = chunk * Chunk; u < end; u++)
            {
                var items = rows.ItemsOf(u);
                var values = rows.ValuesOf(u);
                var x = target.AsSpan(u * k, k);
                float lambda = AlsSolve.Lambda(reg, exponent, items.Length, alpha0, others);
                if (cg) AlsSolve.ConjugateGradient(fixedFactors, k, items, values, alpha, alpha0, scaledGram, lambda, x, steps, scratch);
                else AlsSolve.Cholesky(fixedFactors, k, items, values, alpha, alpha0, scaledGram, lambda, x, scratch);
            }
            return scratch;
        }, static _ => { });
    }
}
