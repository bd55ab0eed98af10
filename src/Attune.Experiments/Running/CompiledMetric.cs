using Attune.Experiments.Definitions;
using Attune.Model;
using Attune.Storage;

namespace Attune.Experiments.Running;

/// <summary>A metric ready for counting: its event type codes as a bitmap, its window in milliseconds, how an event adds.</summary>
internal sealed class CompiledMetric
{
    public CompiledMetric(MetricDefinition definition, double attributionHours)
    {
        Definition = definition;
        Numerator = Codes(definition.EventTypes);
        Value = definition.Value;
        RecommendedOnly = definition.RecommendedOnly;
        WindowMs = (long)((definition.WindowHours ?? attributionHours) * 3_600_000);
        if (definition.Denominator is { } d)
        {
            Denominator = Codes(d.EventTypes);
            DenominatorValue = d.Value;
            DenominatorRecommendedOnly = d.RecommendedOnly;
        }
    }

    public MetricDefinition Definition { get; }
    public string Id => Definition.Id;
    public MetricKind Kind => Definition.Kind;
    public bool[] Numerator { get; }
    public MetricValue Value { get; }
    public bool RecommendedOnly { get; }
    public bool[]? Denominator { get; }
    public MetricValue DenominatorValue { get; }
    public bool DenominatorRecommendedOnly { get; }
    public long WindowMs { get; }

    /// <summary>Whether the metric counts orders (distinct sessions), so people need their order keys kept.</summary>
    public bool UsesOrders => Value == MetricValue.Orders || DenominatorValue == MetricValue.Orders;

    /// <summary>Whether <paramref name="e"/> is an event this metric counts as an order (a purchase of an order metric): only
    /// such events open an order, so a click earlier in the same session does not take the purchase's order.</summary>
    public bool CountsAsOrder(in StoredEvent e) => (uint)e.TypeCode < (uint)Numerator.Length
        && ((Value == MetricValue.Orders && Numerator[e.TypeCode]) || (DenominatorValue == MetricValue.Orders && Denominator is { } d && d[e.TypeCode]));

    /// <summary>Whether answers served count (click-through's denominator).</summary>
    public bool UsesAnswers => Denominator is not null && DenominatorValue == MetricValue.Answers;

    private static bool[] Codes(IReadOnlyList<string> names)
    {
        var codes = new bool[EventTypes.FirstCustomCode];
        foreach (string name in names)
        {
            if (EventTypes.TryGetBuiltIn(name, out var type)) codes[(int)type] = true;
        }
        return codes;
    }

    /// <summary>How much <paramref name="e"/> adds to the numerator (0 when it does not count); <paramref name="newOrder"/> for orders.</summary>
    public double NumeratorDelta(in StoredEvent e, bool newOrder) => Delta(e, Numerator, Value, RecommendedOnly, newOrder);

    public double DenominatorDelta(in StoredEvent e, bool newOrder) =>
        Denominator is null || DenominatorValue == MetricValue.Answers ? 0 : Delta(e, Denominator, DenominatorValue, DenominatorRecommendedOnly, newOrder);

    private static double Delta(in StoredEvent e, bool[] codes, MetricValue value, bool recommendedOnly, bool newOrder)
    {
        if ((uint)e.TypeCode >= (uint)codes.Length || !codes[e.TypeCode]) return 0;
        if (recommendedOnly && (e.Extra is null || !e.Extra.Contains("\"recommendationId\"", StringComparison.Ordinal))) return 0;
        return value switch
        {
            MetricValue.Value => e.Value ?? 0,
            MetricValue.Orders => newOrder ? 1 : 0,
            _ => 1,
        };
    }
}
