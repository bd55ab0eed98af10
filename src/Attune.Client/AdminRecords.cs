using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attune.Client;

// Client-side records for the admin answers whose server types live in assemblies a client should not pull
// (BusinessRule in Attune.Serving, ModelInfo in Attune.Serving.Models): the same JSON shape, field for field, checked by
// AttuneClientTests against the real server. Recipes and experiments are answered as JsonElement (their server types are
// large and still growing; docs/api.md and docs/experiments.md describe them).

/// <summary>A business rule (<c>/v1/rules</c>): the same JSON as the server's <c>BusinessRule</c>.</summary>
/// <param name="Action"><c>boost</c>, <c>bury</c>, <c>exclude</c> or <c>pin</c>.</param>
/// <param name="Set">The rule set (null: <c>default</c>); a recipe chooses which sets apply.</param>
/// <param name="Weight">For boost (score × (1 + w)) and bury (score × (1 − w)).</param>
/// <param name="ItemId">For pin: the item; <paramref name="Position"/> its 1-based place.</param>
/// <param name="Segment">Only for members of this segment.</param>
/// <param name="Queries">Only for searches holding one of these queries ("for 'gift' pin item X").</param>
/// <param name="QueryMatch"><c>phrase</c> (default: the query holds the words in order) or <c>exact</c>.</param>
public sealed record Rule(string Id, string Action, string? Set = null, IReadOnlyList<string>? Scenarios = null, string? Filter = null,
    double? Weight = null, string? ItemId = null, int? Position = null, bool Enabled = true, string? Description = null,
    string? Segment = null, IReadOnlyList<string>? Queries = null, string? QueryMatch = null);

/// <summary><c>GET /v1/models</c>: the active version, what training is doing, and each stored version.</summary>
/// <param name="Node">The answering node's name.</param>
/// <param name="Trainer">Whether the answering node trains (on several nodes, the elected one).</param>
public sealed record ModelList(string? Active, string? Training, int LivePeople, long DroppedRecommendationLogs, IReadOnlyList<ModelVersion> Versions,
    string? Node = null, bool? Trainer = null);

/// <summary>One trained model version: the same JSON as the server's <c>ModelInfo</c>.</summary>
/// <param name="Metrics">Held-out quality measured while training, e.g. <c>als.ndcg@20</c>.</param>
/// <param name="Reason">Why it was trained: <c>startup</c>, <c>schedule</c>, <c>new-events</c>, <c>api</c>, <c>tuning</c>.</param>
/// <param name="AlsParameters">The factor model's parameters it was trained with (configured, or chosen by a tuning).</param>
/// <param name="SequenceParameters">The sequence model's parameters it was trained with (configured, or chosen by a tuning).</param>
/// <param name="Tuning">The factor model's tuning whose parameters it uses, when there was one.</param>
/// <param name="Tunings">Every component's tuning whose parameters it uses (<c>als</c>, <c>sequence</c>).</param>
/// <param name="Node">The node that trained it.</param>
public sealed record ModelVersion(string Version, DateTimeOffset TrainedAt, DateTimeOffset? DataUntil, long Watermark, DateTimeOffset SnapshotAt,
    long Events, int Users, int Items, long Interactions, double ReadSeconds, double TrainingSeconds,
    IReadOnlyDictionary<string, double> ComponentSeconds, IReadOnlyDictionary<string, double> Metrics, string? Reason,
    string? AlsParameters = null, ModelTuning? Tuning = null, string? SequenceParameters = null, IReadOnlyList<ModelTuning>? Tunings = null,
    string? Node = null)
{
    /// <summary>Fields a newer server added that this client does not know yet.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; init; }
}

/// <summary>A tuning of one component on the shop's own data (<c>POST /v1/models/tune</c>): what was chosen and the gain measured.</summary>
public sealed record ModelTuning(string Component, string Parameters, string Defaults, string Metric, double DefaultValue, double TunedValue,
    int Trials, double Seconds, DateTimeOffset? At)
{
    /// <summary>Fields a newer server added that this client does not know yet.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; init; }
}
