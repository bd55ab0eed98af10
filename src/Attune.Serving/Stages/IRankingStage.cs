using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// One step after the sources are blended: guardrails, business rules, filter + top-k, diversity, pins, explanations. Stages
/// run in order (<see cref="RankingStages.Default"/>) on the request's <see cref="RankingContext"/>; like sources they are
/// shared by all threads and keep no per-request state of their own.
/// </summary>
public interface IRankingStage
{
    string Name { get; }

    void Apply(RankingContext context);
}

/// <summary>The ordered stages of an engine.</summary>
public static class RankingStages
{
    /// <summary>Guardrails → learned ranking (when the recipe names a ranker) → rules → filter + top-k → diversity → exploration (when
    /// the recipe asks for it) → pins → explanations.</summary>
    public static IReadOnlyList<IRankingStage> Default { get; } =
    [
        new GuardrailsStage(), new LearnedRankingStage(), new RulesStage(), new FilterTopKStage(), new DiversityStage(), new ExplorationStage(),
        new PinsStage(), new ExplanationsStage(),
    ];
}
