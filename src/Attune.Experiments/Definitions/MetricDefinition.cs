using System.Text.Json.Serialization;

namespace Attune.Experiments.Definitions;

/// <summary>
/// What an experiment is judged on, computed per exposed person from their events between first exposure and the end of the
/// attribution window, then averaged per variant. Built-in metrics are in <see cref="Metrics"/>; an experiment may define more.
/// </summary>
/// <remarks>
/// Kinds: <see cref="MetricKind.Binomial"/> (did the person do it: 0 or 1), <see cref="MetricKind.Mean"/> (a per-person
/// count or sum of values) and <see cref="MetricKind.Ratio"/> (a per-variant ratio of two per-person sums, e.g. revenue per
/// order, analysed with the delta method). Serving guardrails (latency, errors, empty answers) are measured per answer, not
/// per person: <see cref="MetricKind.Serving"/>.
/// </remarks>
public sealed record MetricDefinition
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public MetricKind Kind { get; init; } = MetricKind.Binomial;
    /// <summary>The events counted (type names, built-in or custom).</summary>
    public IReadOnlyList<string> EventTypes { get; init; } = [];
    /// <summary>What an event adds: 1 (<see cref="MetricValue.Count"/>), its value, or a new order (<see cref="MetricValue.Orders"/>).</summary>
    public MetricValue Value { get; init; } = MetricValue.Count;
    /// <summary>Only events carrying the <c>recommendationId</c> of an answer (clicks on recommended items).</summary>
    public bool RecommendedOnly { get; init; }
    /// <summary>Ratio metrics: the per-person denominator.</summary>
    public MetricDenominator? Denominator { get; init; }
    /// <summary>Hours after first exposure that count; null = the experiment's attribution window.</summary>
    public double? WindowHours { get; init; }
    /// <summary>Lower is better (refunds, latency).</summary>
    public bool Inverse { get; init; }

    /// <summary>Caps each person's value (mean metrics; a ratio's numerator) so that a few huge spenders do not decide a
    /// test: GrowthBook's capping. Null = none.</summary>
    public MetricCapping? Capping { get; init; }
}

/// <summary>
/// How a person's value is capped (winsorized) before the statistics: at an absolute <see cref="Value"/>, or at the
/// <see cref="Value"/> quantile (e.g. 0.99) of everyone's values in the experiment, recomputed as data grows (by at least 1 %);
/// <see cref="IgnoreZeros"/> takes that quantile over people with a non-zero value (most people buy nothing). Pre-exposure
/// values (CUPED) are capped at the same value.
/// </summary>
public sealed record MetricCapping(CappingType Type, double Value, bool IgnoreZeros = true);

[JsonConverter(typeof(JsonStringEnumConverter<CappingType>))]
public enum CappingType
{
    [JsonStringEnumMemberName("absolute")] Absolute,
    [JsonStringEnumMemberName("percentile")] Percentile,
}

/// <summary>The denominator of a ratio metric: events of these types, counted or summed like <see cref="MetricDefinition.Value"/>.</summary>
public sealed record MetricDenominator(IReadOnlyList<string> EventTypes, MetricValue Value = MetricValue.Count, bool RecommendedOnly = false);

[JsonConverter(typeof(JsonStringEnumConverter<MetricKind>))]
public enum MetricKind
{
    Binomial,
    Mean,
    Ratio,
    Serving,
}

[JsonConverter(typeof(JsonStringEnumConverter<MetricValue>))]
public enum MetricValue
{
    /// <summary>Each event adds 1.</summary>
    Count,
    /// <summary>Each event adds its <c>value</c> (revenue of a purchase, a rating…).</summary>
    Value,
    /// <summary>Each distinct session (or, without one, each distinct minute) with such an event adds 1: orders.</summary>
    Orders,
    /// <summary>Answers served to the person (impressions of recommendations), the denominator of click-through.</summary>
    Answers,
}

/// <summary>The built-in metrics, by id.</summary>
public static class Metrics
{
    public const string Conversion = "conversion", ClickThrough = "ctr", Revenue = "revenue", AverageOrderValue = "aov",
        AddToCart = "add-to-cart", ItemsPerOrder = "items-per-order", LatencyP99 = "latency-p99", ErrorRate = "error-rate",
        EmptyRate = "empty-rate";

    public static readonly IReadOnlyDictionary<string, MetricDefinition> BuiltIn = new Dictionary<string, MetricDefinition>(StringComparer.Ordinal)
    {
        [Conversion] = new() { Id = Conversion, Name = "Conversion (a purchase after first exposure)", Kind = MetricKind.Binomial, EventTypes = ["purchase"] },
        [ClickThrough] = new()
        {
            Id = ClickThrough, Name = "Click-through on recommended items (clicks carrying a recommendationId per answer)", Kind = MetricKind.Ratio,
            EventTypes = ["click", "view"], RecommendedOnly = true, Denominator = new(["answer"], MetricValue.Answers),
        },
        // Revenue is heavy-tailed: capped at the 99th percentile of buyers' revenue (without a cap, A/A tests of it came out
        // significant 5.7-7.1 % of the time at alpha 5 %; docs/benchmarks.md).
        [Revenue] = new()
        {
            Id = Revenue, Name = "Revenue per person (capped at the 99th percentile of buyers)", Kind = MetricKind.Mean, EventTypes = ["purchase"],
            Value = MetricValue.Value, Capping = new MetricCapping(CappingType.Percentile, 0.99),
        },
        [AverageOrderValue] = new()
        {
            Id = AverageOrderValue, Name = "Average order value (revenue per order; a person's revenue capped at the 99th percentile of buyers)",
            Kind = MetricKind.Ratio, EventTypes = ["purchase"], Value = MetricValue.Value, Denominator = new(["purchase"], MetricValue.Orders),
            Capping = new MetricCapping(CappingType.Percentile, 0.99),
        },
        [AddToCart] = new() { Id = AddToCart, Name = "Add-to-cart rate", Kind = MetricKind.Binomial, EventTypes = ["add_to_cart"] },
        [ItemsPerOrder] = new()
        {
            Id = ItemsPerOrder, Name = "Items per order", Kind = MetricKind.Ratio, EventTypes = ["purchase"],
            Denominator = new(["purchase"], MetricValue.Orders),
        },
        [LatencyP99] = new() { Id = LatencyP99, Name = "p99 answer latency (ms)", Kind = MetricKind.Serving, Inverse = true },
        [ErrorRate] = new() { Id = ErrorRate, Name = "Error rate of answers", Kind = MetricKind.Serving, Inverse = true },
        [EmptyRate] = new() { Id = EmptyRate, Name = "Empty-answer rate", Kind = MetricKind.Serving, Inverse = true },
    };
}
