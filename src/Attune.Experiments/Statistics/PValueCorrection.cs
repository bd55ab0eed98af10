namespace Attune.Experiments.Statistics;

/// <summary>The multiple-testing corrections GrowthBook offers (its <c>PValueCorrection</c> setting).</summary>
public enum PValueCorrection
{
    /// <summary><c>"holm-bonferroni"</c>: controls the family-wise error rate (the chance of any false positive).</summary>
    HolmBonferroni,

    /// <summary><c>"benjamini-hochberg"</c>: controls the false discovery rate (the share of false positives among wins).</summary>
    BenjaminiHochberg,
}
