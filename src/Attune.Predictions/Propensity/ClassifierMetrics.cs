namespace Attune.Predictions.Propensity;

/// <summary>How good a binary classifier's scores are: ranking (ROC-AUC, PR-AUC) and calibration (expected calibration error).</summary>
public static class ClassifierMetrics
{
    /// <summary>ROC-AUC: the probability a random positive scores above a random negative, ties counting ½ (Mann-Whitney).</summary>
    public static double RocAuc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var s = scores.ToArray();
        Array.Sort(order, (a, b) => s[a].CompareTo(s[b]));
        double rankSumPositive = 0;
        long positives = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && s[order[j + 1]] == s[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1; // the tie group's mean rank
            for (int k = i; k <= j; k++)
                if (labels[order[k]]) { rankSumPositive += rank; positives++; }
            i = j + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (rankSumPositive - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>PR-AUC as average precision (scikit-learn's <c>average_precision_score</c>): Σ (Rₙ − Rₙ₋₁) Pₙ over thresholds.</summary>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var s = scores.ToArray();
        Array.Sort(order, (a, b) => s[b].CompareTo(s[a]));
        long totalPositives = 0;
        foreach (bool l in labels) if (l) totalPositives++;
        if (totalPositives == 0) return double.NaN;
        double ap = 0, previousRecall = 0;
        long truePositives = 0, seen = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && s[order[j + 1]] == s[order[i]]) j++;
            for (int k = i; k <= j; k++) if (labels[order[k]]) truePositives++;
            seen += j - i + 1;
            double recall = (double)truePositives / totalPositives, precision = (double)truePositives / seen;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
            i = j + 1;
        }
        return ap;
    }

    /// <summary>Expected calibration error over <paramref name="bins"/> equal-width bins of the predicted probability:
    /// Σ (|bin| / n) × |mean prediction − observed rate|.</summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, int bins = 10)
    {
        var count = new int[bins];
        var predicted = new double[bins];
        var observed = new double[bins];
        for (int i = 0; i < probabilities.Length; i++)
        {
            int b = Math.Clamp((int)(probabilities[i] * bins), 0, bins - 1);
            count[b]++;
            predicted[b] += probabilities[i];
            if (labels[i]) observed[b]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++)
            if (count[b] > 0) ece += (double)count[b] / probabilities.Length * Math.Abs(predicted[b] / count[b] - observed[b] / count[b]);
        return ece;
    }

    /// <summary>Mean log loss of probabilities (clipped to [1e-15, 1 − 1e-15]).</summary>
    public static double LogLoss(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
    {
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = Math.Clamp(probabilities[i], 1e-15, 1 - 1e-15);
            sum -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        return sum / probabilities.Length;
    }
}
