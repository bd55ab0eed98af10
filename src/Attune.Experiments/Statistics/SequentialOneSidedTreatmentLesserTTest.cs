namespace Attune.Experiments.Statistics;

/// <summary>The always-valid test of "treatment is lesser" (gbstats <c>SequentialOneSidedTreatmentLesserTTest</c>).</summary>
public sealed class SequentialOneSidedTreatmentLesserTTest(Statistic control, Statistic treatment, SequentialConfig? config = null)
    : SequentialOneSidedTTest(control, treatment, config)
{
    /// <inheritdoc/>
    protected override bool Lesser => true;
}
