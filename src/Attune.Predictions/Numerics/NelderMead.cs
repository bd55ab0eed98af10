namespace Attune.Predictions.Numerics;

/// <summary>Where a minimization ended: the point, the value there, whether it converged, and if not, why.</summary>
public sealed record Minimum(double[] Point, double Value, bool Converged, string? Reason, int Evaluations);

/// <summary>
/// Nelder-Mead minimization (adaptive coefficients of Gao and Han 2012 for the dimension), restarted from its own best point
/// until a restart no longer improves it. A function value that is NaN or infinite counts as +∞ (the simplex steps away from
/// it), so a likelihood that overflows somewhere never throws. Non-convergence is reported, not thrown; so is a minimum that
/// lies at the edge (a coordinate beyond ±<c>edge</c>: for log-parameters, a parameter running off to 0 or infinity because the
/// data do not pin it down).
/// </summary>
public static class NelderMead
{
    public static Minimum Minimize(Func<double[], double> f, double[] start, double tolerance = 1e-10, int maxEvaluations = 20_000, double step = 0.5,
        double edge = 15, IReadOnlyList<string>? names = null)
    {
        int evaluations = 0;
        double Eval(double[] x)
        {
            evaluations++;
            double v;
            try { v = f(x); }
            catch (ArithmeticException) { v = double.PositiveInfinity; }
            return double.IsFinite(v) ? v : double.PositiveInfinity;
        }

        double[] best = (double[])start.Clone();
        double bestValue = Eval(best);
        bool converged = false;
        for (int restart = 0; restart < 10 && evaluations < maxEvaluations; restart++)
        {
            var (point, value, done) = Run(Eval, best, tolerance, maxEvaluations, step, () => evaluations);
            bool improved = value < bestValue - tolerance * (1 + Math.Abs(bestValue));
            if (value <= bestValue) (best, bestValue) = (point, value);
            if (done && !improved && restart > 0)
            {
                converged = true;
                break;
            }
            if (!done) break;
            step = Math.Max(step / 2, 0.05);
        }
        int off = Array.FindIndex(best, x => Math.Abs(x) >= edge);
        if (converged && off >= 0) converged = false;
        string? reason = converged ? null
            : off >= 0 ? $"{(names is not null && off < names.Count ? names[off] : $"parameter {off + 1}")} ran off towards {(best[off] > 0 ? "infinity" : "0")} (e^{best[off]:0.#}): the data do not pin it down"
            : !double.IsFinite(bestValue) ? "the objective is not finite anywhere the search went (check the data)"
            : evaluations >= maxEvaluations ? $"no convergence within {maxEvaluations:N0} evaluations"
            : "the search stopped improving before its tolerance was met";
        return new Minimum(best, bestValue, converged && double.IsFinite(bestValue), reason, evaluations);
    }

    private static (double[] Point, double Value, bool Converged) Run(Func<double[], double> f, double[] start, double tolerance,
        int maxEvaluations, double step, Func<int> evaluations)
    {
        int n = start.Length;
        double alpha = 1, gamma = 1 + 2.0 / n, rho = 0.75 - 1 / (2.0 * n), sigma = 1 - 1.0 / n;
        var simplex = new double[n + 1][];
        var values = new double[n + 1];
        simplex[0] = (double[])start.Clone();
        values[0] = f(simplex[0]);
        for (int i = 0; i < n; i++)
        {
            var p = (double[])start.Clone();
            p[i] += step;
            simplex[i + 1] = p;
            values[i + 1] = f(p);
        }
        var order = new int[n + 1];
        var centroid = new double[n];
        while (evaluations() < maxEvaluations)
        {
            for (int i = 0; i <= n; i++) order[i] = i;
            Array.Sort(order, (x, y) => values[x].CompareTo(values[y]));
            int bestI = order[0], worstI = order[n], secondI = order[n - 1];
            double spread = Math.Abs(values[worstI] - values[bestI]);
            double size = 0;
            for (int i = 0; i <= n; i++)
                for (int d = 0; d < n; d++) size = Math.Max(size, Math.Abs(simplex[i][d] - simplex[bestI][d]));
            if (double.IsFinite(values[bestI]) && spread <= tolerance * (1 + Math.Abs(values[bestI])) && size <= 1e-8)
                return (simplex[bestI], values[bestI], true);

            Array.Clear(centroid);
            for (int i = 0; i <= n; i++)
            {
                if (i == worstI) continue;
                for (int d = 0; d < n; d++) centroid[d] += simplex[i][d] / n;
            }
            double[] Along(double t)
            {
                var p = new double[n];
                for (int d = 0; d < n; d++) p[d] = centroid[d] + t * (simplex[worstI][d] - centroid[d]);
                return p;
            }
            var reflected = Along(-alpha);
            double fr = f(reflected);
            if (fr < values[bestI])
            {
                var expanded = Along(-alpha * gamma);
                double fe = f(expanded);
                if (fe < fr) (simplex[worstI], values[worstI]) = (expanded, fe);
                else (simplex[worstI], values[worstI]) = (reflected, fr);
                continue;
            }
            if (fr < values[secondI])
            {
                (simplex[worstI], values[worstI]) = (reflected, fr);
                continue;
            }
            bool outside = fr < values[worstI];
            var contracted = Along(outside ? -alpha * rho : rho);
            double fc = f(contracted);
            if (fc < (outside ? fr : values[worstI]))
            {
                (simplex[worstI], values[worstI]) = (contracted, fc);
                continue;
            }
            // Shrink towards the best point.
            for (int i = 0; i <= n; i++)
            {
                if (i == bestI) continue;
                for (int d = 0; d < n; d++) simplex[i][d] = simplex[bestI][d] + sigma * (simplex[i][d] - simplex[bestI][d]);
                values[i] = f(simplex[i]);
            }
        }
        int b = 0;
        for (int i = 1; i <= n; i++) if (values[i] < values[b]) b = i;
        return (simplex[b], values[b], false);
    }
}
