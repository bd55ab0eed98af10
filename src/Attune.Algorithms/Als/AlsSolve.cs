using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Als;

/// <summary>Per-thread buffers for one solve; sized once, reused for every row a thread handles.</summary>
internal sealed class AlsScratch(int rank, int maxRow)
{
    public readonly float[] R = new float[rank], P = new float[rank], Ap = new float[rank], B = new float[rank];
    /// <summary>Per item of the row: confidence c, weight c − α₀, and dot products.</summary>
    public readonly float[] D = new float[Math.Max(1, maxRow)], W = new float[Math.Max(1, maxRow)], Tmp = new float[Math.Max(1, maxRow)];
    private float[]? _a;
    private double[]? _l, _z;
    public float[] A => _a ??= new float[rank * rank];
    public double[] L => _l ??= new double[rank * rank];
    public double[] Z => _z ??= new double[rank];
}

/// <summary>
/// One row's weighted least-squares solve: <c>(α₀·G + Σ_i (c_i − α₀)·y_i·y_iᵀ + λ·I)·x = Σ_i c_i·y_i</c> with
/// <c>c_i = 1 + alpha·value_i</c> and <c>α₀·G</c> given precomputed as <c>scaledGram</c>.
/// </summary>
internal static class AlsSolve
{
    /// <summary>λ·(n + α₀·others)^ν (Rendle et al. 2022, eq. 7); λ when ν = 0.</summary>
    public static float Lambda(float reg, float exponent, int n, float alpha0, int others) =>
        exponent == 0 ? reg : (float)(reg * Math.Pow(n + (double)alpha0 * others, exponent));

    /// <summary>Fills <c>s.W[i] = c_i − α₀</c> and <c>s.D[i] = c_i</c>; values empty means every value is 1.</summary>
    private static void Weights(ReadOnlySpan<float> values, int n, float alpha, float alpha0, AlsScratch s)
    {
        var w = s.W.AsSpan(0, n);
        var c = s.D.AsSpan(0, n);
        if (values.IsEmpty)
        {
            c.Fill(1 + alpha);
            w.Fill(1 + alpha - alpha0);
            return;
        }
        for (int i = 0; i < n; i++)
        {
            float ci = 1 + alpha * values[i];
            c[i] = ci;
            w[i] = ci - alpha0;
        }
    }

    /// <summary>
    /// <paramref name="steps"/> conjugate-gradient steps from the current <paramref name="x"/> (a warm start: the previous
    /// sweep's answer), as in Takács, Pilászy and Tikk 2011 and the <c>implicit</c> library: one pass over the row's items
    /// for the residual and one per step (AVX-512: dot products and weighted sum fused; otherwise two loops). Cost per row:
    /// (steps + 1)·(2·n·k + k²) multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ConjugateGradient(ReadOnlySpan<float> y, int k, ReadOnlySpan<int> items, ReadOnlySpan<float> values,
        float alpha, float alpha0, ReadOnlySpan<float> scaledGram, float lambda, Span<float> x, int steps, AlsScratch s)
    {
        int n = items.Length;
        if (n == 0) { x.Clear(); return; }       // b = 0, so x = 0 exactly.
        Weights(values, n, alpha, alpha0, s);
        if (FactorKernels.VectorWidth(k) == 16)
        {
            ConjugateGradient16(y, k, items, scaledGram, lambda, x, steps, s);
            return;
        }
        var w = s.W.AsSpan(0, n);
        var d = s.D.AsSpan(0, n);
        Span<float> r = s.R, p = s.P, ap = s.Ap;

        // r = b − A·x = Σ (c_i − w_i·(y_i·x))·y_i − α₀G·x − λ·x.
        var dp = s.Tmp.AsSpan(0, n);
        FactorKernels.DotRows(y, k, items, x, dp);   // y_i·x
        TensorPrimitives.Multiply(w, dp, dp);        // w_i·(y_i·x)
        TensorPrimitives.Subtract(d, dp, dp);        // c_i − w_i·(y_i·x)
        FactorKernels.SumRows(y, k, items, dp, r, accumulate: false);
        ap.Clear();
        FactorKernels.AddSymmetricProduct(scaledGram, k, x, ap);
        TensorPrimitives.Subtract(r, ap, r);
        TensorPrimitives.MultiplyAdd(x, -lambda, r, r);
        r.CopyTo(p);
        float rs = TensorPrimitives.Dot(r, r);

        for (int step = 0; step < steps && rs > 1e-20f; step++)
        {
            // ap = A·p
            FactorKernels.DotRows(y, k, items, p, dp);
            TensorPrimitives.Multiply(w, dp, dp);
            FactorKernels.SumRows(y, k, items, dp, ap, accumulate: false);
            FactorKernels.AddSymmetricProduct(scaledGram, k, p, ap);
            TensorPrimitives.MultiplyAdd(p, lambda, ap, ap);

            float a = rs / TensorPrimitives.Dot(p, ap);
            TensorPrimitives.MultiplyAdd(p, a, x, x);
            TensorPrimitives.MultiplyAdd(ap, -a, r, r);
            float rsNew = TensorPrimitives.Dot(r, r);
            TensorPrimitives.MultiplyAdd(p, rsNew / rs, r, p);
            rs = rsNew;
        }
    }

    /// <summary>The same iteration with the AVX-512 kernels: one pass over the row's items per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConjugateGradient16(ReadOnlySpan<float> y, int k, ReadOnlySpan<int> items, ReadOnlySpan<float> scaledGram,
        float lambda, Span<float> x, int steps, AlsScratch s)
    {
        int n = items.Length;
        var w = s.W.AsSpan(0, n);
        var c = s.D.AsSpan(0, n);
        Span<float> r = s.R, p = s.P, ap = s.Ap;
        FactorKernels.SumRowsByDot(y, k, items, x, w, -1f, c, r, prefetch: true); // Σ (c_i − w_i·(y_i·x))·y_i
        FactorKernels.AddRegularizedProduct(scaledGram, k, x, lambda, -1f, r);  // − α₀G·x − λ·x
        r.CopyTo(p);
        float rs = FactorKernels.Dot16(r, r);
        for (int step = 0; step < steps && rs > 1e-20f; step++)
        {
            FactorKernels.SumRowsByDot(y, k, items, p, w, 1f, default, ap);
            FactorKernels.AddRegularizedProduct(scaledGram, k, p, lambda, 1f, ap);
            float a = rs / FactorKernels.Dot16(p, ap);
            float rsNew = FactorKernels.CgUpdate16(x, r, p, ap, a);
            FactorKernels.Xpby16(r, rsNew / rs, p);
            rs = rsNew;
        }
    }

    /// <summary>An exact solve: builds the k × k system and factors it.</summary>
    public static void Cholesky(ReadOnlySpan<float> y, int k, ReadOnlySpan<int> items, ReadOnlySpan<float> values,
        float alpha, float alpha0, ReadOnlySpan<float> scaledGram, float lambda, Span<float> x, AlsScratch s)
    {
        int n = items.Length;
        if (n == 0) { x.Clear(); return; }
        Weights(values, n, alpha, alpha0, s);
        var a = s.A.AsSpan();
        scaledGram.CopyTo(a);
        FactorKernels.AddGram(y, k, items, s.W.AsSpan(0, n), a);
        for (int j = 0; j < k; j++) a[j * k + j] += lambda;
        FactorKernels.SumRows(y, k, items, s.D.AsSpan(0, n), s.B, accumulate: false);
        DenseCholesky.Solve(a, s.B, x, k, s.L, s.Z);
    }
}
