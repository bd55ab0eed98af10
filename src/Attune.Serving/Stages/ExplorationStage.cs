using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// Exploration for learning (a scenario's <c>"exploration"</c>, 0–0.5): each slot of the chosen list shows, with that chance,
/// one of the candidates the blend ranked just below the list (already filtered: the top-k stage's pool) instead. The answer
/// is logged like any other, so a learned ranker trained on the log sees how people take items the blend ranks lower and can
/// then choose among them (<c>"rerank"</c>). Off by default. The draws are seeded by the person and the request's time, so a
/// replayed run explores the same way.
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
        var random = new Random(Seed(c.Request.UserId ?? c.Request.AnonymousId, c.Sources.NowMs));
        for (int k = 0; k < chosen.Count && n > 0; k++)
        {
            if (random.NextDouble() >= rate) continue;
            int pick = random.Next(n);
            chosen[k] = spare[pick];
            spare[pick] = spare[--n];
        }
    }

    /// <summary>FNV-1a of the person's id and the time: the same on every run and process (string hashes are not).</summary>
    private static int Seed(string? person, long nowMs)
    {
        uint h = 2166136261;
        foreach (char ch in person ?? "") h = (h ^ ch) * 16777619;
        h = (h ^ (uint)nowMs) * 16777619;
        h = (h ^ (uint)(nowMs >> 32)) * 16777619;
        return (int)h;
    }
}
