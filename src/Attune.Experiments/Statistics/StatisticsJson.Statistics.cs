using System.Text.Json;

namespace Attune.Experiments.Statistics;

public static partial class StatisticsJson
{
    /// <summary>The <c>type</c> names of the contract, which are gbstats' class names.</summary>
    public static IReadOnlyList<string> StatisticTypes { get; } =
    [
        "SampleMeanStatistic", "ProportionStatistic", "RatioStatistic", "RegressionAdjustedStatistic",
        "RegressionAdjustedRatioStatistic", "QuantileStatistic", "QuantileClusteredStatistic",
    ];

    /// <summary>Parses one arm's statistic, e.g. <c>{"type": "SampleMeanStatistic", "n": 3407, "sum": 1396.87, "sum_squares": 52377.9767}</c>.</summary>
    /// <exception cref="StatisticsInputException">Malformed input, named by its path under <paramref name="path"/>.</exception>
    public static Statistic ParseStatistic(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new StatisticsInputException(path, $"must be a JSON object (a statistic), not {JsonFields.Describe(element)}");
        if (!element.TryGetProperty("type", out var typeElement))
            throw new StatisticsInputException(path + ".type", $"is required: one of {string.Join(", ", StatisticTypes)}");
        if (typeElement.ValueKind != JsonValueKind.String)
            throw new StatisticsInputException(path + ".type", $"must be a string, not {JsonFields.Describe(typeElement)}");
        string type = typeElement.GetString()!;
        switch (type)
        {
            case "SampleMeanStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "sum", "sum_squares");
                return new SampleMeanStatistic(f.Count("n"), f.Number("sum"), f.Number("sum_squares"));
            }
            case "ProportionStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "sum");
                return new ProportionStatistic(f.Count("n"), f.Number("sum"));
            }
            case "RatioStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "m_statistic", "d_statistic", "m_d_sum_of_products");
                return new RatioStatistic(f.Count("n"), Sum(f, "m_statistic"), Sum(f, "d_statistic"), f.Number("m_d_sum_of_products"));
            }
            case "RegressionAdjustedStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "post_statistic", "pre_statistic", "post_pre_sum_of_products", "theta");
                var post = Sum(f, "post_statistic");
                var pre = Sum(f, "pre_statistic");
                SameKind(post, pre, f.Child("pre_statistic"), "post_statistic");
                return new RegressionAdjustedStatistic(f.Count("n"), post, pre, f.Number("post_pre_sum_of_products"), f.NullableNumber("theta"));
            }
            case "RegressionAdjustedRatioStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "m_statistic_post", "d_statistic_post", "m_statistic_pre",
                    "d_statistic_pre", "m_post_m_pre_sum_of_products", "d_post_d_pre_sum_of_products", "m_pre_d_pre_sum_of_products",
                    "m_post_d_post_sum_of_products", "m_post_d_pre_sum_of_products", "m_pre_d_post_sum_of_products", "theta");
                var mPost = Sum(f, "m_statistic_post");
                var dPost = Sum(f, "d_statistic_post");
                var mPre = Sum(f, "m_statistic_pre");
                var dPre = Sum(f, "d_statistic_pre");
                SameKind(mPost, mPre, f.Child("m_statistic_pre"), "m_statistic_post");
                SameKind(dPost, dPre, f.Child("d_statistic_pre"), "d_statistic_post");
                return new RegressionAdjustedRatioStatistic(f.Count("n"), mPost, dPost, mPre, dPre,
                    f.Number("m_post_m_pre_sum_of_products"), f.Number("d_post_d_pre_sum_of_products"),
                    f.Number("m_pre_d_pre_sum_of_products"), f.Number("m_post_d_post_sum_of_products"),
                    f.Number("m_post_d_pre_sum_of_products"), f.Number("m_pre_d_post_sum_of_products"), f.NullableNumber("theta"));
            }
            case "QuantileStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "n_star", "nu", "quantile_hat", "quantile_lower", "quantile_upper");
                return new QuantileStatistic(f.Count("n"), f.Count("n_star"), QuantileLevel(f), f.Number("quantile_hat"),
                    f.Number("quantile_lower"), f.Number("quantile_upper"));
            }
            case "QuantileClusteredStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "n_star", "nu", "quantile_hat", "quantile_lower", "quantile_upper",
                    "main_sum", "main_sum_squares", "denominator_sum", "denominator_sum_squares", "main_denominator_sum_product", "n_clusters");
                return new QuantileClusteredStatistic(f.Count("n"), f.Count("n_star"), QuantileLevel(f), f.Number("quantile_hat"),
                    f.Number("quantile_lower"), f.Number("quantile_upper"), f.Number("main_sum"), f.Number("main_sum_squares"),
                    f.Number("denominator_sum"), f.Number("denominator_sum_squares"), f.Number("main_denominator_sum_product"),
                    f.Count("n_clusters"));
            }
            default:
                throw new StatisticsInputException(path + ".type", $"unknown statistic type '{type}'; known types: {string.Join(", ", StatisticTypes)}");
        }
    }

    /// <summary>
    /// A nested mean or proportion (inside ratio and CUPED statistics). gbstats' reference data give these without a
    /// <c>type</c>, so one is optional: <c>sum_squares</c> present means a mean, absent a proportion.
    /// </summary>
    private static SumStatistic Sum(JsonFields parent, string name)
    {
        string path = parent.Child(name);
        var element = parent.Required(name);
        if (element.ValueKind != JsonValueKind.Object)
            throw new StatisticsInputException(path, $"must be a JSON object (a SampleMeanStatistic or ProportionStatistic), not {JsonFields.Describe(element)}");
        string type = element.TryGetProperty("type", out var t)
            ? t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new StatisticsInputException(path + ".type", "must be a string")
            : element.TryGetProperty("sum_squares", out _) ? "SampleMeanStatistic" : "ProportionStatistic";
        switch (type)
        {
            case "SampleMeanStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "sum", "sum_squares");
                return new SampleMeanStatistic(f.Count("n"), f.Number("sum"), f.Number("sum_squares"));
            }
            case "ProportionStatistic":
            {
                var f = new JsonFields(element, path, type, "type", "n", "sum");
                return new ProportionStatistic(f.Count("n"), f.Number("sum"));
            }
            default:
                throw new StatisticsInputException(path + ".type", $"must be SampleMeanStatistic or ProportionStatistic, not '{type}'");
        }
    }

    private static void SameKind(SumStatistic post, SumStatistic pre, string prePath, string postName)
    {
        if (post.GetType() != pre.GetType())
            throw new StatisticsInputException(prePath, $"must be the same kind of statistic as {postName} ({post.GetType().Name}), not {pre.GetType().Name}");
    }

    private static double QuantileLevel(JsonFields f)
    {
        double nu = f.Number("nu");
        return nu > 0 && nu < 1 ? nu : throw new StatisticsInputException(f.Child("nu"), $"must be strictly between 0 and 1 (got {nu})");
    }

    /// <summary>What gbstats would raise on for this pair: CUPED arms of different kinds, post-stratified quantiles.</summary>
    private static void CheckPair(Statistic control, Statistic treatment, BaseConfig config)
    {
        if (control is RegressionAdjustedStatistic a && treatment is RegressionAdjustedStatistic b && (a.Theta is null || b.Theta is null)
            && a.PostStatistic.GetType() != b.PostStatistic.GetType())
            throw new StatisticsInputException("treatment.post_statistic",
                "Statistic types for a metric must not be different types across variations (control's is " + a.PostStatistic.GetType().Name + ")");
        if (config.PostStratify && (control is QuantileStatistic || treatment is QuantileStatistic))
            throw new StatisticsInputException("config.post_stratify", "Post-stratification requires summable statistics (not quantiles)");
    }
}
