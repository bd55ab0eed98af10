namespace Attune.Predictions.Propensity;

/// <summary>
/// Logistic regression on a few columns (each log1p-transformed and standardized), fitted by Newton's method with a small
/// ridge: the recency-frequency-monetary baseline that the propensity models must beat.
/// </summary>
public sealed class LogisticRegression
{
    private readonly int[] _columns;
    private readonly double[] _mean, _scale, _weights; // weights: one per column, then the intercept

    private LogisticRegression(int[] columns, double[] mean, double[] scale, double[] weights) =>
        (_columns, _mean, _scale, _weights) = (columns, mean, scale, weights);

    private double Input(float[] row, int j) => (Log1p(Math.Max(0, row[_columns[j]])) - _mean[j]) / _scale[j];

    private static double Log1p(double x) => double.LogP1(x);

    public double Probability(float[] row)
    {
        double z = _weights[^1];
        for (int j = 0; j < _columns.Length; j++) z += _weights[j] * Input(row, j);
        return 1 / (1 + Math.Exp(-z));
    }

    public static LogisticRegression Fit(TabularData data, int[] columns, double ridge = 1e-4)
    {
        int k = columns.Length, n = data.Count;
        var mean = new double[k];
        var scale = new double[k];
        for (int j = 0; j < k; j++)
        {
            double s = 0, s2 = 0;
            foreach (var row in data.Rows)
            {
                double v = Log1p(Math.Max(0, row[columns[j]]));
                s += v;
                s2 += v * v;
            }
            mean[j] = s / Math.Max(1, n);
            scale[j] = Math.Sqrt(Math.Max(1e-12, s2 / Math.Max(1, n) - mean[j] * mean[j]));
        }
        var model = new LogisticRegression(columns, mean, scale, new double[k + 1]);
        var w = model._weights;
        var x = new double[k + 1];
        for (int iteration = 0; iteration < 50; iteration++)
        {
            var gradient = new double[k + 1];
            var hessian = new double[k + 1, k + 1];
            for (int i = 0; i < n; i++)
            {
                var row = data.Rows[i];
                for (int j = 0; j < k; j++) x[j] = model.Input(row, j);
                x[k] = 1;
                double z = 0;
                for (int j = 0; j <= k; j++) z += w[j] * x[j];
                double p = 1 / (1 + Math.Exp(-z)), d = p - (data.Labels[i] ? 1 : 0), v = Math.Max(p * (1 - p), 1e-12);
                for (int a = 0; a <= k; a++)
                {
                    gradient[a] += d * x[a];
                    for (int b = 0; b <= a; b++) hessian[a, b] += v * x[a] * x[b];
                }
            }
            for (int a = 0; a <= k; a++)
            {
                for (int b = 0; b < a; b++) hessian[b, a] = hessian[a, b];
                if (a < k)
                {
                    gradient[a] += ridge * n * w[a];
                    hessian[a, a] += ridge * n;
                }
                hessian[a, a] += 1e-9;
            }
            var step = Solve(hessian, gradient);
            double largest = 0;
            for (int j = 0; j <= k; j++)
            {
                w[j] -= step[j];
                largest = Math.Max(largest, Math.Abs(step[j]));
            }
            if (largest < 1e-8) break;
        }
        return model;
    }

    /// <summary>Solves A·x = b by Gaussian elimination with partial pivoting (A is small and positive definite).</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var y = (double[])b.Clone();
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c])) pivot = r;
            if (pivot != c)
            {
                for (int j = 0; j < n; j++) (m[c, j], m[pivot, j]) = (m[pivot, j], m[c, j]);
                (y[c], y[pivot]) = (y[pivot], y[c]);
            }
            for (int r = c + 1; r < n; r++)
            {
                double f = m[r, c] / m[c, c];
                for (int j = c; j < n; j++) m[r, j] -= f * m[c, j];
                y[r] -= f * y[c];
            }
        }
        var x = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            double s = y[r];
            for (int j = r + 1; j < n; j++) s -= m[r, j] * x[j];
            x[r] = s / m[r, r];
        }
        return x;
    }
}
