namespace Attune.Experiments.Statistics;

/// <summary>The always-valid test of "treatment is greater" (gbstats <c>SequentialOneSidedTreatmentGreaterTTest</c>).</summary>
public sealed class SequentialOneSidedTreatmentGreaterTTest(Statistic control, Statistic treatment, SequentialConfig? config = null)
    : SequentialOneSidedTTest(control, treatment, config)
{
    /// <inheritdoc/>
    protected override bool Lesser => false;
}
