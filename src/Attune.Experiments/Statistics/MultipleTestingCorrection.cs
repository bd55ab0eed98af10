namespace Attune.Experiments.Statistics;

/// <summary>
/// Multiple-testing corrections over a family of tests: every (variation, goal metric[, dimension]) p-value of one result view.
/// gbstats has none; GrowthBook applies them in its TypeScript layer, and this mirrors that code
/// (<c>packages/shared/src/experiments/experiments.ts</c>: <c>adjustPValuesHolmBonferroni</c>,
/// <c>adjustPValuesBenjaminiHochberg</c>, <c>adjustedCI</c>, <c>getAdjustedCI</c>). Frequentist results only, as in GrowthBook.
/// </summary>
public static class MultipleTestingCorrection
{
    /// <summary>GrowthBook's setting value for a correction.</summary>
    public static string Name(PValueCorrection method) => method switch
    {
        PValueCorrection.HolmBonferroni => "holm-bonferroni",
        PValueCorrection.BenjaminiHochberg => "benjamini-hochberg",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>Adjusts the p-values of one family; nulls are left out of the family and stay null.</summary>
    /// <remarks>
    /// Holm–Bonferroni: sort ascending, p₍ᵢ₎·(m − i) capped at 1, then a running maximum. Benjamini–Hochberg: sort descending,
    /// p₍ᵢ₎·m/(m − i) capped at 1, then a running minimum (i from 0). Ties keep their input order, as JavaScript's stable sort does.
    /// </remarks>
    public static AdjustedPValues Adjust(IReadOnlyList<double?> pValues, PValueCorrection method)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        var family = new List<int>(pValues.Count);
        for (int i = 0; i < pValues.Count; i++)
        {
            if (pValues[i] is not null) family.Add(i);
        }
        var adjusted = new double?[pValues.Count];
        int m = family.Count;
        if (m == 0) return new AdjustedPValues(method, adjusted);

        bool holm = method == PValueCorrection.HolmBonferroni;
        // Stable: ties ordered by input index.
        family.Sort((x, y) =>
        {
            int c = holm ? pValues[x]!.Value.CompareTo(pValues[y]!.Value) : pValues[y]!.Value.CompareTo(pValues[x]!.Value);
            return c != 0 ? c : x.CompareTo(y);
        });
        var values = new double[m];
        for (int i = 0; i < m; i++)
        {
            double p = pValues[family[i]]!.Value;
            values[i] = holm ? Math.Min(p * (m - i), 1) : Math.Min(p * m / (m - i), 1);
        }
        double running = values[0];
        for (int i = 1; i < m; i++)
        {
            if (holm ? values[i] > running : values[i] < running) running = values[i];
            else values[i] = running;
        }
        for (int i = 0; i < m; i++) adjusted[family[i]] = values[i];
        return new AdjustedPValues(method, adjusted);
    }

    /// <summary>
    /// The interval to show beside an adjusted p-value (GrowthBook <c>getAdjustedCI</c>): the standard deviation that would give
    /// the adjusted p-value, |lift/z_{1−p/2}|, times z_{1−threshold/2} around the lift; (−∞, ∞) when the adjusted p-value is
    /// (nearly) 1; never narrower than the unadjusted <paramref name="ci"/>.
    /// </summary>
    public static Interval AdjustedConfidenceInterval(double adjustedPValue, double lift, double pValueThreshold, Interval ci)
    {
        if (adjustedPValue > 0.999999) return new Interval(double.NegativeInfinity, double.PositiveInfinity);
        Interval adjusted;
        if (lift == 0 || double.IsNaN(lift))
        {
            adjusted = new Interval(0, 0);
        }
        else
        {
            double z = NormalDistribution.Quantile(1 - pValueThreshold / 2);
            double adjustedStdDev = Math.Abs(lift / NormalDistribution.Quantile(1 - adjustedPValue / 2));
            double width = z * adjustedStdDev;
            adjusted = new Interval(lift - width, lift + width);
        }
        return adjusted.Lower < ci.Lower && adjusted.Upper > ci.Upper ? adjusted : ci;
    }
}
