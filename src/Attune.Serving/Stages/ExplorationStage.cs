using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// Exploration for learning (a scenario's <c>"exploration"</c>, 0–0.5): each slot of the chosen list shows, with that chance,
/// one of the candidates the blend ranked just below the list (already filtered: the top-k stage's pool) instead. The answer
/// is logged like any other, so a learned ranker trained on the log sees how people take items the blend ranks lower and can
/// then choose among them (<c>"rerank"</c>). Off by default.
/// </summary>
public sealed class ExplorationStage : IRankingStage
{
    public string Name => "exploration";

    public void Apply(RankingContext c)
    {
        double rate = c.Scenario.Exploration;
        if (rate <= 0) return;
        var chosen = c.Chosen;
        var candidates = c.Candidates;
        Span<int> spare = stackalloc int[Math.Min(candidates.Count, 256)];
        int n = 0;
        foreach (var (item, _) in candidates)
            if (n < spare.Length && !chosen.Contains(item)) spare[n++] = item;
        for (int k = 0; k < chosen.Count && n > 0; k++)
        {
            if (Random.Shared.NextDouble() >= rate) continue;
            int pick = Random.Shared.Next(n);
            chosen[k] = spare[pick];
            spare[pick] = spare[--n];
        }
    }
}
