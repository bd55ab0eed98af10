using System.Text.Json;

namespace Attune.Experiments.Statistics;

public static partial class StatisticsJson
{
    private static readonly string[] BaseFields = ["difference_type", "traffic_percentage", "phase_length_days", "total_users", "alpha", "post_stratify"];
    private static readonly string[] FrequentistFields = [.. BaseFields, "test_value"];
    private static readonly string[] SequentialFields = [.. FrequentistFields, "sequential_tuning_parameter", "rho"];
    private static readonly string[] EffectBayesianFields = [.. BaseFields, "inverse", "prior_type", "prior_effect"];

    /// <summary>
    /// Parses <c>config</c> for a test of the given kind: exactly the fields of gbstats' config class (absent ones take
    /// gbstats' defaults; an absent <c>config</c> is all defaults).
    /// </summary>
    private static BaseConfig ParseConfig(JsonElement? element, StatisticalTests.ConfigKind kind, string test)
    {
        string[] allowed = kind switch
        {
            StatisticalTests.ConfigKind.Frequentist => FrequentistFields,
            StatisticalTests.ConfigKind.Sequential => SequentialFields,
            _ => EffectBayesianFields,
        };
        var f = new JsonFields(element ?? EmptyObject, "config", $"{test}'s config", allowed);
        var difference = f.OneOf("difference_type", "relative", "absolute", "scaled") switch
        {
            "absolute" => DifferenceType.Absolute,
            "scaled" => DifferenceType.Scaled,
            _ => DifferenceType.Relative,
        };
        double alpha = f.Number("alpha", 0.05);
        if (!(alpha > 0 && alpha < 1)) throw new StatisticsInputException("config.alpha", $"must be strictly between 0 and 1 (got {alpha})");
        var common = new BaseConfig
        {
            DifferenceType = difference,
            TrafficPercentage = f.Number("traffic_percentage", 1),
            PhaseLengthDays = f.Number("phase_length_days", 1),
            TotalUsers = f.NullableInteger("total_users"),
            Alpha = alpha,
            PostStratify = f.Boolean("post_stratify", false),
        };
        switch (kind)
        {
            case StatisticalTests.ConfigKind.Frequentist:
                return new FrequentistConfig { TestValue = f.Number("test_value", 0) }.With(common);
            case StatisticalTests.ConfigKind.Sequential:
                double tuning = f.Number("sequential_tuning_parameter", 5000);
                if (!(tuning > 0)) throw new StatisticsInputException("config.sequential_tuning_parameter", $"must be positive (got {tuning})");
                double? rho = f.NullableNumber("rho");
                if (rho is { } r && !(r > 0)) throw new StatisticsInputException("config.rho", $"must be positive (got {r})");
                return new SequentialConfig { TestValue = f.Number("test_value", 0), SequentialTuningParameter = tuning, Rho = rho }.With(common);
            default:
                return new EffectBayesianConfig
                {
                    Inverse = f.Boolean("inverse", false),
                    PriorType = f.OneOf("prior_type", "relative", "absolute") == "absolute" ? PriorType.Absolute : PriorType.Relative,
                    PriorEffect = ParsePrior(f),
                }.With(common);
        }
    }

    private static GaussianPrior ParsePrior(JsonFields config)
    {
        if (config.Optional("prior_effect") is not { } element) return new GaussianPrior();
        var f = new JsonFields(element, "config.prior_effect", "GaussianPrior", "mean", "variance", "proper");
        double variance = f.Number("variance", 1);
        if (!(variance > 0)) throw new StatisticsInputException("config.prior_effect.variance", $"must be positive (got {variance})");
        return new GaussianPrior(f.Number("mean", 0), variance, f.Boolean("proper", false));
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>Copies the shared settings onto a test-specific config.</summary>
    private static T With<T>(this T config, BaseConfig common) where T : BaseConfig => config with
    {
        DifferenceType = common.DifferenceType,
        TrafficPercentage = common.TrafficPercentage,
        PhaseLengthDays = common.PhaseLengthDays,
        TotalUsers = common.TotalUsers,
        Alpha = common.Alpha,
        PostStratify = common.PostStratify,
    };
}
