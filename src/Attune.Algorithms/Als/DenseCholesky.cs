using System.Numerics.Tensors;

namespace Attune.Algorithms.Als;

/// <summary>Solves a small symmetric positive-definite system by Cholesky factorisation in double precision.</summary>
/// <remarks>
/// Row-major throughout: <c>L[i, j]</c> is computed as <c>(A[i, j] − L[i, :j]·L[j, :j]) / L[j, j]</c>, so every inner product is
/// over two contiguous row prefixes (a vectorised <see cref="TensorPrimitives.Dot{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>).
/// O(n³/6) multiply-adds: about 44,000 for n = 64.
/// </remarks>
internal static class DenseCholesky
{
    /// <summary>
    /// Solves <c>a·x = b</c>. Only the lower triangle of <paramref name="a"/> (n × n, row-major) is read.
    /// <paramref name="l"/> (n × n) and <paramref name="z"/> (n) are scratch.
    /// </summary>
    public static void Solve(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> x, int n, Span<double> l, Span<double> z)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                l[i * n + j] = a[i * n + j];

        for (int j = 0; j < n; j++)
        {
            var lj = l.Slice(j * n, j);
            double d = l[j * n + j] - TensorPrimitives.Dot<double>(lj, lj);
            // A loses definiteness only through rounding (a regularised Gram matrix is positive definite); clamp instead of failing.
            double ljj = Math.Sqrt(Math.Max(d, 1e-12));
            l[j * n + j] = ljj;
            double inv = 1.0 / ljj;
            for (int i = j + 1; i < n; i++)
                l[i * n + j] = (l[i * n + j] - TensorPrimitives.Dot<double>(l.Slice(i * n, j), lj)) * inv;
        }

        // L·z = b, then Lᵀ·x = z (z overwritten with x from the last row up).
        for (int i = 0; i < n; i++)
            z[i] = (b[i] - TensorPrimitives.Dot<double>(l.Slice(i * n, i), z[..i])) / l[i * n + i];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = z[i];
            for (int j = i + 1; j < n; j++) s -= l[j * n + i] * z[j];
            z[i] = s / l[i * n + i];
        }
        for (int i = 0; i < n; i++) x[i] = (float)z[i];
    }
}
