namespace Attune.Experiments.Statistics;

/// <summary>
/// One parsed request of the JSON contract: <c>{"test": NAME, "config": {...}, "control": STATISTIC, "treatment": STATISTIC}</c>
/// (<see cref="StatisticsJson.ParseRequest(string)"/>).
/// </summary>
/// <param name="Test">A gbstats test class name (<see cref="StatisticalTests.Names"/>).</param>
/// <param name="Config">A <see cref="FrequentistConfig"/>, <see cref="SequentialConfig"/> or <see cref="EffectBayesianConfig"/>, as the test takes.</param>
public sealed record AnalysisRequest(string Test, BaseConfig Config, Statistic Control, Statistic Treatment)
{
    /// <summary>Runs the test.</summary>
    public TestResult Run() => StatisticalTests.Create(Test, Control, Treatment, Config).ComputeResult();
}
