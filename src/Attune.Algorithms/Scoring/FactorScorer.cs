using System.Numerics.Tensors;

namespace Attune.Algorithms.Scoring;

/// <summary>Which loop <see cref="FactorScorer.ScoreAll(ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, ScoringKernel)"/> runs.</summary>
public enum ScoringKernel
{
    /// <summary>The fastest this CPU and rank allow (<see cref="Vector512"/>, then <see cref="Vector256"/>, then per row).</summary>
    Auto,
    /// <summary>Eight rows per iteration with <c>Vector512</c>, software-prefetched (a dedicated loop at rank 64); needs rank % 16 == 0 and AVX-512.</summary>
    Vector512,
    /// <summary>Eight rows per iteration with <c>Vector256</c>, software-prefetched; needs rank % 8 == 0 and AVX2.</summary>
    Vector256,
    /// <summary><see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> once per row.</summary>
    PerRow,
}

/// <summary>Scores every item for one user vector: the item factor matrix times the vector, plus an optional item bias.</summary>
/// <remarks>
/// Item factors are row-major, <c>rank</c> floats per item. On AVX-512 with rank 64 the blocked kernel scores 100,000 items in
/// about as long as it takes to stream the 25.6 MB matrix from memory (see <c>bench/Attune.Benchmarks/Scoring</c>).
/// </remarks>
public static class FactorScorer
{
    /// <summary>Writes <c>scores[i] = dot(itemFactors[i], user) + itemBias[i]</c> for every item (<c>scores.Length</c> items).</summary>
    /// <param name="itemBias">Per-item bias, or empty for none.</param>
    public static void ScoreAll(ReadOnlySpan<float> itemFactors, int rank, ReadOnlySpan<float> user, Span<float> scores,
        ReadOnlySpan<float> itemBias = default, ScoringKernel kernel = ScoringKernel.Auto)
    {
        Validate(itemFactors, rank, user, scores.Length, itemBias);
        FactorKernels.DotAll(itemFactors, rank, user, scores, Width(kernel, rank));
        if (!itemBias.IsEmpty) TensorPrimitives.Add(scores, itemBias[..scores.Length], scores);
    }

    internal static int Width(ScoringKernel kernel, int rank)
    {
        int auto = FactorKernels.VectorWidth(rank);
        return kernel switch
        {
            ScoringKernel.Auto => auto,
            ScoringKernel.Vector512 when auto == 16 => 16,
            ScoringKernel.Vector256 when auto >= 8 => 8,
            ScoringKernel.PerRow => 0,
            _ => throw new NotSupportedException($"kernel {kernel} needs a rank multiple of {(kernel == ScoringKernel.Vector512 ? 16 : 8)} and the matching CPU support"),
        };
    }

    internal static void Validate(ReadOnlySpan<float> itemFactors, int rank, ReadOnlySpan<float> user, int items, ReadOnlySpan<float> itemBias)
    {
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), "rank must be positive");
        if (user.Length != rank) throw new ArgumentException($"user vector has {user.Length} floats, rank is {rank}", nameof(user));
        if ((long)items * rank > itemFactors.Length) throw new ArgumentException($"{items} items × rank {rank} exceed the {itemFactors.Length} item factors", nameof(itemFactors));
        if (!itemBias.IsEmpty && itemBias.Length < items) throw new ArgumentException($"item bias has {itemBias.Length} entries for {items} items", nameof(itemBias));
    }
}
