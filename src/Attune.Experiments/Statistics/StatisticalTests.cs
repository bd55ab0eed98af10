namespace Attune.Experiments.Statistics;

/// <summary>
/// The tests the JSON contract can name, by their gbstats class names, with the config each takes: one table, read by the
/// parser (which config fields are allowed) and by <see cref="Create"/>.
/// </summary>
public static class StatisticalTests
{
    /// <summary>Which gbstats config class a test takes.</summary>
    public enum ConfigKind
    {
        /// <summary><see cref="FrequentistConfig"/>.</summary>
        Frequentist,
        /// <summary><see cref="SequentialConfig"/>.</summary>
        Sequential,
        /// <summary><see cref="EffectBayesianConfig"/>.</summary>
        EffectBayesian,
    }

    private sealed record Entry(ConfigKind Kind, Func<Statistic, Statistic, BaseConfig, ABTest> Create);

    private static readonly Dictionary<string, Entry> Tests = new(StringComparer.Ordinal)
    {
        ["TwoSidedTTest"] = new(ConfigKind.Frequentist, (a, b, c) => new TwoSidedTTest(a, b, (FrequentistConfig)c)),
        ["OneSidedTreatmentGreaterTTest"] = new(ConfigKind.Frequentist, (a, b, c) => new OneSidedTreatmentGreaterTTest(a, b, (FrequentistConfig)c)),
        ["OneSidedTreatmentLesserTTest"] = new(ConfigKind.Frequentist, (a, b, c) => new OneSidedTreatmentLesserTTest(a, b, (FrequentistConfig)c)),
        ["SequentialTwoSidedTTest"] = new(ConfigKind.Sequential, (a, b, c) => new SequentialTwoSidedTTest(a, b, (SequentialConfig)c)),
        ["SequentialOneSidedTreatmentGreaterTTest"] = new(ConfigKind.Sequential, (a, b, c) => new SequentialOneSidedTreatmentGreaterTTest(a, b, (SequentialConfig)c)),
        ["SequentialOneSidedTreatmentLesserTTest"] = new(ConfigKind.Sequential, (a, b, c) => new SequentialOneSidedTreatmentLesserTTest(a, b, (SequentialConfig)c)),
        ["EffectBayesianABTest"] = new(ConfigKind.EffectBayesian, (a, b, c) => new EffectBayesianABTest(a, b, (EffectBayesianConfig)c)),
    };

    /// <summary>The test names, in the order above.</summary>
    public static IReadOnlyCollection<string> Names => Tests.Keys;

    /// <summary>The config kind of a test, or null for an unknown name.</summary>
    public static ConfigKind? KindOf(string name) => Tests.TryGetValue(name, out var e) ? e.Kind : null;

    /// <summary>Creates the named test; <paramref name="config"/> must be of its <see cref="KindOf"/> kind.</summary>
    public static ABTest Create(string name, Statistic control, Statistic treatment, BaseConfig config) =>
        Tests.TryGetValue(name, out var e) ? e.Create(control, treatment, config) : throw new ArgumentException($"unknown test '{name}'", nameof(name));
}
