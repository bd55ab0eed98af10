using System.Text.Json;
using System.Text.Json.Serialization;
using Attune.Decisions.Learning;

namespace Attune.Decisions.Points;

/// <summary>
/// A place where Attune decides among a few actions (a hero banner, the order of tabs, an email's subject line, an offer):
/// its stored actions and its settings. Stored as a document of kind <see cref="DocumentKind"/>; every change is a new version.
/// </summary>
public sealed record DecisionPoint
{
    public const string DocumentKind = "decision-point";

    public required string Id { get; init; }
    public string? Description { get; init; }
    /// <summary>The stored actions (a rank request may send its own instead).</summary>
    public IReadOnlyList<DecisionAction> Actions { get; init; } = [];
    public DecisionSettings Settings { get; init; } = new();
    public int Version { get; init; } = 1;
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Whether an action may be chosen: generated drafts wait for a person's approval.</summary>
[JsonConverter(typeof(KebabEnumConverter<ActionStatus>))]
public enum ActionStatus { Approved, Draft, Retired }

/// <summary>One action of a decision point.</summary>
/// <param name="Features">Features as JSON: an object or a list of objects (Personalizer's shape).</param>
/// <param name="Eligibility">A condition over the person and the context (the experiments' condition language), or null for everyone.</param>
public sealed record DecisionAction(string Id, JsonElement? Features = null, string? Text = null, string? ImageUrl = null,
    JsonElement? Eligibility = null, ActionStatus Status = ActionStatus.Approved, double? Worth = null);

/// <summary>A decision point's settings.</summary>
public sealed record DecisionSettings
{
    public ExplorationSettings Exploration { get; init; } = ExplorationSettings.Default;
    public LearningSettings Learning { get; init; } = LearningSettings.Default;
    /// <summary>How long after a decision is shown its reward is awaited (Personalizer's default: 10 minutes).</summary>
    public double RewardWaitSeconds { get; init; } = 600;
    /// <summary>The reward learned when none arrives in time, in [0, 1].</summary>
    public double DefaultReward { get; init; }
    /// <summary>How named rewards combine into one (<c>{"click": 0.3, "purchase": 0.7}</c>): their weighted sum, at most 1.</summary>
    public IReadOnlyDictionary<string, double> RewardWeights { get; init; } = new Dictionary<string, double>();
    /// <summary>
    /// The action shown to people in a control variant of an experiment on the point and in the global holdout (no offer,
    /// the usual banner): what the point's learning is compared against. Null: such people get the learner's choice.
    /// </summary>
    public string? ControlAction { get; init; }
}
