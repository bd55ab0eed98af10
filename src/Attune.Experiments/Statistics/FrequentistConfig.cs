namespace Attune.Experiments.Statistics;

/// <summary>Settings of the fixed-horizon t-tests (gbstats <c>FrequentistConfig</c>).</summary>
public record FrequentistConfig : BaseConfig
{
    /// <summary>JSON <c>test_value</c>: the effect under the null hypothesis. <value>The default value is 0.</value></summary>
    public double TestValue { get; init; }
}
