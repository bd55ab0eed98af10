namespace Attune.Algorithms.Sequence;

/// <summary>
/// Fits linear logits <c>z = X·w</c> so that a softmax over each case's candidate rows puts its mass on the target row
/// (multinomial logistic regression with an L2 penalty). Each row holds <c>width</c> features and then a fixed logit offset, by damped Newton steps: the problem is convex and small (a few
/// dozen weights), so a handful of steps converge.
/// </summary>
internal static class SoftmaxFit
{
    public static float[] Fit(float[][] features, int[] targets, int width, float l2, int threads, CancellationToken cancellationToken)
    {
        int n = features.Length;
        var w = new double[width];
        double lambda = l2 * n;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken };
        double loss = Evaluate(features, targets, width, w, lambda, null, null, parallel);
        var grad = new double[width];
        var hess = new double[width * width];
        for (int iteration = 0; iteration < 40; iteration++)
        {
            Evaluate(features, targets, width, w, lambda, grad, hess, parallel);
            var step = Solve(hess, grad, width);
            double slope = 0;
            for (int f = 0; f < width; f++) slope -= grad[f] * step[f];
            double t = 1;
            var trial = new double[width];
            double next = loss;
            for (int tries = 0; tries < 20; tries++, t *= 0.5)
            {
                for (int f = 0; f < width; f++) trial[f] = w[f] - t * step[f];
                next = Evaluate(features, targets, width, trial, lambda, null, null, parallel);
                if (next <= loss + 1e-4 * t * slope) break;
            }
            if (next > loss) break;
            double moved = 0;
            for (int f = 0; f < width; f++) moved = Math.Max(moved, Math.Abs(trial[f] - w[f]));
            Array.Copy(trial, w, width);
            bool done = loss - next < 1e-7 * Math.Max(1, Math.Abs(loss)) || moved < 1e-6;
            loss = next;
            if (done) break;
        }
        return w.Select(v => (float)v).ToArray();
    }

    /// <summary>Mean-free total loss; when <paramref name="grad"/> is given, also its gradient and Hessian.</summary>
    private static double Evaluate(
        float[][] features, int[] targets, int width, double[] w, double lambda, double[]? grad, double[]? hess, ParallelOptions parallel)
    {
        int n = features.Length;
        double total = 0;
        if (grad is not null)
        {
            Array.Clear(grad);
            Array.Clear(hess!);
        }
        var gate = new object();
        Parallel.For(0, n, parallel,
            () => (Loss: 0.0, G: grad is null ? null : new double[width], H: grad is null ? null : new double[width * width], Z: new List<double>()),
            (c, _, local) =>
            {
                var x = features[c];
                int stride = width + 1;
                int m = x.Length / stride;
                var z = local.Z;
                z.Clear();
                double max = double.NegativeInfinity;
                for (int r = 0; r < m; r++)
                {
                    double v = x[r * stride + width];
                    for (int f = 0; f < width; f++) v += w[f] * x[r * stride + f];
                    z.Add(v);
                    max = Math.Max(max, v);
                }
                double sum = 0;
                for (int r = 0; r < m; r++)
                {
                    z[r] = Math.Exp(z[r] - max);
                    sum += z[r];
                }
                int t = targets[c];
                local.Loss += -(Math.Log(z[t] / sum));
                if (local.G is null) return local;
                Span<double> mean = stackalloc double[width];
                for (int r = 0; r < m; r++)
                {
                    double p = z[r] / sum;
                    z[r] = p;
                    for (int f = 0; f < width; f++) mean[f] += p * x[r * stride + f];
                }
                for (int f = 0; f < width; f++) local.G[f] += mean[f] - x[t * stride + f];
                // Hessian: Σ p x xᵀ − mean meanᵀ.
                var h = local.H!;
                for (int r = 0; r < m; r++)
                {
                    double p = z[r];
                    if (p < 1e-12) continue;
                    for (int a = 0; a < width; a++)
                    {
                        double pa = p * x[r * stride + a];
                        if (pa == 0) continue;
                        for (int b = 0; b <= a; b++) h[a * width + b] += pa * x[r * stride + b];
                    }
                }
                for (int a = 0; a < width; a++)
                    for (int b = 0; b <= a; b++) h[a * width + b] -= mean[a] * mean[b];
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    total += local.Loss;
                    if (grad is null) return;
                    for (int f = 0; f < width; f++) grad[f] += local.G![f];
                    for (int f = 0; f < width * width; f++) hess![f] += local.H![f];
                }
            });
        double penalty = 0;
        for (int f = 0; f < width; f++) penalty += w[f] * w[f];
        total += 0.5 * lambda * penalty;
        if (grad is not null)
        {
            for (int a = 0; a < width; a++)
            {
                grad[a] += lambda * w[a];
                hess![a * width + a] += lambda + 1e-9;
                for (int b = 0; b < a; b++) hess[b * width + a] = hess[a * width + b];
            }
        }
        return total;
    }

    /// <summary>Solves <c>H s = g</c> for a symmetric positive definite <c>H</c> (Cholesky).</summary>
    private static double[] Solve(double[] h, double[] g, int n)
    {
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = h[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = i == j ? Math.Sqrt(Math.Max(s, 1e-12)) : s / l[j * n + j];
            }
        }
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = g[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * y[k];
            y[i] = s / l[i * n + i];
        }
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }
}
