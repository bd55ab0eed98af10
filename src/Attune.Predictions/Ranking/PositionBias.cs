namespace Attune.Predictions.Ranking;

/// <summary>
/// How much less often a shown item is looked at the lower it sits: the examination probability per position of the
/// position-based click model (P(click | item i at position p) = θ_p · γ_i), fitted by expectation-maximization on logged
/// impressions (Chuklin, Markov and de Rijke, "Click Models for Web Search", 2015, §4.2). θ is returned relative to the top
/// position (θ_1 = 1): the inverse-propensity weight of a click at position p is 1 / θ_p.
/// </summary>
public static class PositionBias
{
    /// <summary>One shown item: which (any stable key: the item, or the item and the kind of page), where (1-based), clicked or not.</summary>
    public readonly record struct Impression(int Key, int Position, bool Clicked);

    /// <param name="positions">Positions 1…<paramref name="positions"/> are estimated; impressions below are ignored.</param>
    public static double[] Estimate(IReadOnlyList<Impression> impressions, int positions, int iterations = 100)
    {
        int keys = 0;
        foreach (var x in impressions) keys = Math.Max(keys, x.Key + 1);
        var theta = new double[positions + 1];
        var gamma = new double[keys];
        for (int p = 1; p <= positions; p++) theta[p] = 0.5;
        Array.Fill(gamma, 0.5);
        var thetaSum = new double[positions + 1];
        var thetaCount = new double[positions + 1];
        var gammaSum = new double[keys];
        var gammaCount = new double[keys];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            Array.Clear(thetaSum);
            Array.Clear(thetaCount);
            Array.Clear(gammaSum);
            Array.Clear(gammaCount);
            foreach (var (key, position, clicked) in impressions)
            {
                if (position < 1 || position > positions) continue;
                double t = theta[position], g = gamma[key];
                double examined, relevant;
                if (clicked) examined = relevant = 1;
                else
                {
                    double noClick = Math.Max(1e-12, 1 - t * g);
                    examined = t * (1 - g) / noClick;   // examined, not relevant
                    relevant = (1 - t) * g / noClick;   // relevant, not examined
                }
                thetaSum[position] += examined;
                thetaCount[position]++;
                gammaSum[key] += relevant;
                gammaCount[key]++;
            }
            for (int p = 1; p <= positions; p++) theta[p] = thetaCount[p] > 0 ? Math.Clamp(thetaSum[p] / thetaCount[p], 1e-6, 1) : theta[p];
            for (int k = 0; k < keys; k++) gamma[k] = gammaCount[k] > 0 ? Math.Clamp(gammaSum[k] / gammaCount[k], 1e-6, 1 - 1e-6) : gamma[k];
        }
        var relative = new double[positions + 1];
        for (int p = 1; p <= positions; p++) relative[p] = theta[1] > 0 ? Math.Min(1, theta[p] / theta[1]) : 1;
        relative[0] = 1;
        return relative;
    }
}
