using System.Numerics;
using System.Numerics.Tensors;

namespace Attune.Algorithms.LinearAlgebra;

/// <summary>In-place inverse of a symmetric positive-definite matrix.</summary>
public static class SymmetricInverse
{
    /// <summary>
    /// Replaces the row-major <paramref name="n"/> × <paramref name="n"/> matrix <paramref name="a"/> with its inverse by
    /// Gauss–Jordan elimination without pivoting (stable for symmetric positive-definite input). Every step is a row update
    /// <c>row_i -= f · row_k</c> over contiguous memory (TensorPrimitives.MultiplyAdd), spread over <paramref name="threads"/>.
    /// Cost: n³ multiply-adds.
    /// </summary>
    public static void Invert<T>(T[] a, int n, int threads, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length != (long)n * n) throw new ArgumentException($"expected {n}×{n} values", nameof(a));
        var pivotRow = new T[n];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken };
        for (int k = 0; k < n; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rowK = a.AsSpan(k * n, n);
            T pivot = rowK[k];
            if (!(pivot > T.Zero)) throw new ArithmeticException($"matrix is not positive definite (pivot {k} = {pivot})");
            rowK[k] = T.One;
            TensorPrimitives.Divide(rowK, pivot, rowK);
            rowK.CopyTo(pivotRow);
            int k1 = k;
            // Rows are independent given the pivot row: split them across threads in blocks.
            int blocks = Math.Min(n, options.MaxDegreeOfParallelism * 4);
            if (n < 256 || options.MaxDegreeOfParallelism == 1)
            {
                UpdateRows(a, n, k1, pivotRow, 0, n);
            }
            else
            {
                Parallel.For(0, blocks, options, b =>
                    UpdateRows(a, n, k1, pivotRow, (int)((long)b * n / blocks), (int)((long)(b + 1) * n / blocks)));
            }
        }
    }

    private static void UpdateRows<T>(T[] a, int n, int k, T[] pivotRow, int from, int to)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = from; i < to; i++)
        {
            if (i == k) continue;
            var row = a.AsSpan(i * n, n);
            T f = row[k];
            if (f == T.Zero) continue;
            row[k] = T.Zero;
            TensorPrimitives.MultiplyAdd(pivotRow, -f, row, row);
        }
    }
}
