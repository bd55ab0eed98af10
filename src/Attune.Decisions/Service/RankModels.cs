using System.Text.Json;
using Attune.Decisions.Points;

namespace Attune.Decisions.Service;

/// <summary>One rank request, read and checked (the API's JSON becomes this).</summary>
/// <param name="Context">Context features: an object, or a list of objects (Personalizer's <c>contextFeatures</c>); may be undefined.</param>
/// <param name="Actions">The request's own actions, or null for the point's stored ones.</param>
/// <param name="Slots">Several slots on one page (each chooses a different action), or null for one decision.</param>
/// <param name="Protected">Attribute names that never become features (the user record's, for offers and prices).</param>
/// <param name="ContextFeatures"><paramref name="Context"/> already featurized (by <see cref="RankReader"/>), or null to featurize it.</param>
/// <param name="ControlAction">This request's control action (what an experiment's control and the holdout get), when it is
/// not the point's fixed <c>controlAction</c>: the day's price level for the <c>price</c> point.</param>
public sealed record RankInput(string Point, JsonElement Context, string? UserId, string? AnonymousId, IReadOnlyList<DecisionAction>? Actions,
    IReadOnlySet<string> Excluded, string? EventId, bool DeferActivation, IReadOnlyList<SlotInput>? Slots = null, IReadOnlySet<string>? Protected = null,
    Features.FeatureSet? ContextFeatures = null, string? ControlAction = null);

/// <summary>One slot of a multi-slot rank: its features, the actions it may not show, and the action it shows today (for comparison).</summary>
public sealed record SlotInput(string Id, JsonElement Features, IReadOnlySet<string> Excluded, string? BaselineAction);

/// <summary>An action's place in a ranking.</summary>
public readonly record struct RankedAction(string Id, double Probability, double Score);

/// <summary>What one slot (or the single decision) chose.</summary>
public sealed record SlotOutcome(string SlotId, string ChosenId, IReadOnlyList<RankedAction> Ranking, string? BaselineAction);

/// <summary>A ranked decision: its event id (for rewards), what each slot chose, and whether it awaits activation.</summary>
public sealed record RankResult(string EventId, string Point, IReadOnlyList<SlotOutcome> Slots, bool Activated, string Policy)
{
    /// <summary>The experiment (or <c>holdout</c>) the person is in at this point, and their variant; null when none.</summary>
    public string? Experiment { get; init; }
    public string? Variant { get; init; }
}

/// <summary>Why a rank could not be made, naming the request field.</summary>
public sealed class DecisionException(string field, string message, int status = 400) : Exception(message)
{
    public string Field { get; } = field;
    public int Status { get; } = status;
}
