using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attune.Experiments.Definitions;

/// <summary>
/// An A/B test of recipes: who is in it (coverage, targeting, namespace), which recipe each variant serves and how people
/// split between them, the scenarios it applies to and what it is judged on. Stored as a document of kind
/// <see cref="ExperimentBook.Kind"/> together with its <see cref="Status"/> and <see cref="Phases"/>.
/// </summary>
/// <remarks>
/// Assignment follows the GrowthBook SDK spec (hash v2 of the hash attribute with the experiment id as seed, bucket ranges
/// from the weights and coverage, namespaces): the same person gets the same variant on every node, and a person's first
/// variant in a phase is kept (sticky) even when weights change later.
/// </remarks>
public sealed record Experiment
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? Hypothesis { get; init; }
    /// <summary>
    /// <see cref="ExperimentMethod.AB"/> splits people between variants; <see cref="ExperimentMethod.Interleaving"/> serves
    /// everyone in it one list merged from both variants' recipes (team draft) and counts whose items each person clicks.
    /// </summary>
    public ExperimentMethod Method { get; init; } = ExperimentMethod.AB;
    /// <summary>Two or more; the first is the control the others are compared with.</summary>
    public required IReadOnlyList<ExperimentVariant> Variants { get; init; }
    /// <summary>The share of eligible people who enter the experiment, in [0, 1].</summary>
    public double Coverage { get; init; } = 1;
    /// <summary>A GrowthBook condition (MongoDB-style) over the person's attributes and the request context; null = everyone.</summary>
    public JsonElement? Targeting { get; init; }
    /// <summary><c>userId</c>, or <c>anonymousId</c> (the assignment of a visitor then stays with the person after identify).</summary>
    public string HashAttribute { get; init; } = "userId";
    /// <summary>Mutually exclusive experiments share a namespace with disjoint ranges.</summary>
    public ExperimentNamespace? Namespace { get; init; }
    /// <summary>The scenarios whose answers it changes; empty = every scenario.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];
    /// <summary>
    /// The decision points it splits (their ranks, offers and prices follow each variant's <see cref="ExperimentVariant.Policy"/>).
    /// An experiment with points and no scenarios leaves recommendation answers alone.
    /// </summary>
    public IReadOnlyList<string> Points { get; init; } = [];
    public required ExperimentMetrics Metrics { get; init; }
    /// <summary>Metrics defined for this experiment only, referred to by id in <see cref="Metrics"/>.</summary>
    public IReadOnlyList<MetricDefinition> CustomMetrics { get; init; } = [];
    public ExperimentAnalysis Analysis { get; init; } = new();

    // Kept by the server, not sent by the client.
    public ExperimentStatus Status { get; init; } = ExperimentStatus.Draft;
    public IReadOnlyList<ExperimentPhase> Phases { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore]
    public ExperimentPhase? CurrentPhase => Phases.Count == 0 ? null : Phases[^1];

    /// <summary>Whether the split changed: a running experiment then starts a new phase.</summary>
    public bool SplitDiffers(Experiment other)
    {
        if (Variants.Count != other.Variants.Count || Coverage != other.Coverage) return true;
        for (int i = 0; i < Variants.Count; i++)
        {
            if (Variants[i] != other.Variants[i]) return true;
        }
        return false;
    }
}

/// <param name="Key">Names the variant in answers and results (<c>control</c>, <c>treatment</c>…).</param>
/// <param name="Recipe">The recipe its people are served with.</param>
/// <param name="Weight">Its share of the people in the experiment; the weights sum to 1.</param>
/// <param name="Policy">On decision points: null (the point's learner) or <c>control</c> (the point's control action, e.g. no offer).</param>
public sealed record ExperimentVariant(string Key, string Recipe, double Weight, string? Policy = null);

/// <summary>A namespace and the range of it this experiment takes (GrowthBook: <c>[name, start, end]</c>).</summary>
[JsonConverter(typeof(ExperimentNamespaceConverter))]
public sealed record ExperimentNamespace(string Name, double Start, double End)
{
    public bool Overlaps(ExperimentNamespace other) => Name == other.Name && Start < other.End && other.Start < End;
}

/// <param name="Primary">The metric the decision is made on.</param>
/// <param name="Secondary">Reported, not decided on.</param>
/// <param name="Guardrails">Must not get significantly worse (a breach is shown in the verdict).</param>
public sealed record ExperimentMetrics(string Primary, IReadOnlyList<string> Secondary, IReadOnlyList<string> Guardrails);

/// <summary>How results are computed.</summary>
public sealed record ExperimentAnalysis
{
    /// <summary><c>frequentist</c> (Welch t-test) or <c>bayesian</c> (Gaussian effect posterior).</summary>
    public string Engine { get; init; } = "frequentist";
    /// <summary>Sequential testing (confidence sequences): results may be read at any time without inflating false positives.</summary>
    public bool Sequential { get; init; } = true;
    /// <summary>CUPED: adjust each metric by its value over the pre-exposure period.</summary>
    public bool Cuped { get; init; } = true;
    public double Alpha { get; init; } = 0.05;
    /// <summary>Relative change the experiment must be able to detect; drives "keep running: N more people".</summary>
    public double MinimumDetectableEffect { get; init; } = 0.05;
    /// <summary>Correction over variants × metrics: <c>holm</c>, <c>benjamini-hochberg</c> or <c>none</c>.</summary>
    public string Correction { get; init; } = "holm";
    /// <summary>How long after first exposure events count (conversion window).</summary>
    public double AttributionHours { get; init; } = 72;
    /// <summary>The pre-exposure period CUPED reads.</summary>
    public double PrePeriodDays { get; init; } = 14;
}

[JsonConverter(typeof(JsonStringEnumConverter<ExperimentMethod>))]
public enum ExperimentMethod
{
    [JsonStringEnumMemberName("ab")] AB,
    [JsonStringEnumMemberName("interleaving")] Interleaving,
}

[JsonConverter(typeof(JsonStringEnumConverter<ExperimentStatus>))]
public enum ExperimentStatus
{
    Draft,
    Running,
    Stopped,
}

/// <summary>
/// One period of a running experiment with a fixed split. Results are per phase; a person keeps the variant they first got
/// in a phase. Changing the variants, weights or coverage of a running experiment starts a new phase.
/// </summary>
/// <param name="Number">1, 2, …</param>
/// <param name="Variants">The split of this phase.</param>
/// <param name="EventSeq">The store's newest event seq when the phase began: results are rebuilt from the events after it.</param>
public sealed record ExperimentPhase(int Number, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, IReadOnlyList<ExperimentVariant> Variants,
    double Coverage, string? Reason, long EventSeq = 0);

/// <summary>Reads and writes the <c>[name, start, end]</c> array form of a namespace.</summary>
public sealed class ExperimentNamespaceConverter : JsonConverter<ExperimentNamespace>
{
    public override ExperimentNamespace Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("namespace must be [name, start, end]");
        reader.Read();
        string name = reader.GetString() ?? throw new JsonException("namespace name");
        reader.Read();
        double start = reader.GetDouble();
        reader.Read();
        double end = reader.GetDouble();
        reader.Read();
        if (reader.TokenType != JsonTokenType.EndArray) throw new JsonException("namespace must be [name, start, end]");
        return new ExperimentNamespace(name, start, end);
    }

    public override void Write(Utf8JsonWriter writer, ExperimentNamespace value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteStringValue(value.Name);
        writer.WriteNumberValue(value.Start);
        writer.WriteNumberValue(value.End);
        writer.WriteEndArray();
    }
}
