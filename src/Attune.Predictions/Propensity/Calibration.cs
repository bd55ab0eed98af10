namespace Attune.Predictions.Propensity;

/// <summary>Turns a model's scores into probabilities.</summary>
public interface ICalibrator
{
    string Name { get; }
    double Probability(double score);
}

/// <summary>Platt scaling: p = σ(a·score + b), fitted by Newton's method on the log loss (with Platt's target smoothing).</summary>
public sealed class PlattCalibrator : ICalibrator
{
    private readonly double _a, _b;

    private PlattCalibrator(double a, double b) => (_a, _b) = (a, b);

    public string Name => "platt";

    /// <summary>The slope and intercept (what a stored model holds).</summary>
    public (double A, double B) Parameters => (_a, _b);

    /// <summary>A calibrator from <see cref="Parameters"/>.</summary>
    public static PlattCalibrator FromParameters(double a, double b) =>
        double.IsFinite(a) && double.IsFinite(b) ? new PlattCalibrator(a, b) : throw new FormatException("Platt parameters must be finite");

    public double Probability(double score) => 1 / (1 + Math.Exp(-(_a * score + _b)));

    public static PlattCalibrator Fit(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        int positives = 0;
        foreach (bool l in labels) if (l) positives++;
        int negatives = labels.Length - positives;
        double hi = (positives + 1.0) / (positives + 2.0), lo = 1.0 / (negatives + 2.0);
        double a = 1, b = 0;
        for (int iteration = 0; iteration < 100; iteration++)
        {
            double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
            for (int i = 0; i < scores.Length; i++)
            {
                double p = 1 / (1 + Math.Exp(-(a * scores[i] + b)));
                double t = labels[i] ? hi : lo;
                double d = p - t, w = p * (1 - p);
                ga += d * scores[i];
                gb += d;
                haa += w * scores[i] * scores[i];
                hab += w * scores[i];
                hbb += w;
            }
            double det = haa * hbb - hab * hab;
            if (Math.Abs(det) < 1e-18) break;
            double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if (Math.Abs(da) < 1e-10 && Math.Abs(db) < 1e-10) break;
        }
        return new PlattCalibrator(a, b);
    }
}

/// <summary>Isotonic regression (pool adjacent violators): a non-decreasing step function of the score, interpolated linearly.</summary>
public sealed class IsotonicCalibrator : ICalibrator
{
    private readonly double[] _x, _y;

    private IsotonicCalibrator(double[] x, double[] y) => (_x, _y) = (x, y);

    public string Name => "isotonic";

    /// <summary>The step function's scores (increasing) and probabilities (what a stored model holds).</summary>
    public (double[] X, double[] Y) Steps => (_x, _y);

    /// <summary>A calibrator from <see cref="Steps"/>, checked: as many probabilities as scores, at least one, scores sorted.</summary>
    public static IsotonicCalibrator FromSteps(double[] x, double[] y)
    {
        if (x.Length == 0 || x.Length != y.Length) throw new FormatException("isotonic steps of different lengths");
        for (int i = 1; i < x.Length; i++) if (!(x[i] >= x[i - 1])) throw new FormatException("isotonic steps out of order");
        return new IsotonicCalibrator(x, y);
    }

    public double Probability(double score)
    {
        if (score <= _x[0]) return _y[0];
        if (score >= _x[^1]) return _y[^1];
        int i = Array.BinarySearch(_x, score);
        if (i >= 0) return _y[i];
        i = ~i;
        double t = (score - _x[i - 1]) / (_x[i] - _x[i - 1]);
        return _y[i - 1] + t * (_y[i] - _y[i - 1]);
    }

    public static IsotonicCalibrator Fit(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var s = scores.ToArray();
        Array.Sort(order, (a, b) => s[a].CompareTo(s[b]));
        // Blocks of (sum of labels, weight, mean score), merged while a block's mean is below the previous one's.
        var sum = new List<double>(n);
        var weight = new List<double>(n);
        var xs = new List<double>(n);
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            sum.Add(labels[i] ? 1 : 0);
            weight.Add(1);
            xs.Add(s[i]);
            while (sum.Count > 1 && sum[^2] / weight[^2] >= sum[^1] / weight[^1])
            {
                int last = sum.Count - 1;
                double w = weight[last - 1] + weight[last];
                xs[last - 1] = (xs[last - 1] * weight[last - 1] + xs[last] * weight[last]) / w;
                sum[last - 1] += sum[last];
                weight[last - 1] = w;
                sum.RemoveAt(last);
                weight.RemoveAt(last);
                xs.RemoveAt(last);
            }
        }
        var y = new double[sum.Count];
        for (int i = 0; i < y.Length; i++) y[i] = sum[i] / weight[i];
        return new IsotonicCalibrator([.. xs], y);
    }
}
