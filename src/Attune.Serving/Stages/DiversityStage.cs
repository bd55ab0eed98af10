using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// Greedy MMR over the candidates with caps per category and brand: each pick maximises
/// <c>(1 − λ)·relevance − λ·(similarity to the most similar item already picked)</c>, where items of the same category are
/// similar 1, of the same department 0.5, plus 0.3 for the same brand. Caps are soft: when too few items satisfy them, the
/// best of the rest fill the list so it still has the count asked.
/// </summary>
public sealed class DiversityStage : IRankingStage
{
    public string Name => "diversity";

    [ThreadStatic] private static int[]? t_categoryCount, t_brandCount;
    [ThreadStatic] private static float[]? t_maxSim;

    public void Apply(RankingContext ctx)
    {
        var chosen = ctx.Chosen;
        var candidates = ctx.Candidates;
        chosen.Clear();
        int c = candidates.Count;
        if (c == 0) return;
        var scenario = ctx.Scenario;
        int count = ctx.Count;
        int names = ctx.State.Catalog.NameCount;
        var columns = ctx.State.Catalog.Columns;
        float top = Math.Max(candidates[0].Score, 1e-9f);
        float lambda = (float)Math.Clamp(scenario.Diversity, 0, 1);
        int maxCategory = Math.Max(1, (int)Math.Ceiling(scenario.MaxCategoryShare * count));
        int maxBrand = Math.Max(1, (int)Math.Ceiling(scenario.MaxBrandShare * count));
        // Per name id: how many picked items have it (names added while this runs have no slot: uncapped).
        if (t_categoryCount is null || t_categoryCount.Length < names)
        {
            t_categoryCount = new int[names * 2];
            t_brandCount = new int[names * 2];
        }
        var categoryCount = t_categoryCount.AsSpan(0, names);
        var brandCount = t_brandCount.AsSpan(0, names);
        categoryCount.Clear();
        brandCount.Clear();
        if (t_maxSim is null || t_maxSim.Length < c) t_maxSim = new float[Math.Max(c, 64)];
        var maxSim = t_maxSim.AsSpan(0, c);
        maxSim.Clear();
        Span<bool> taken = c <= 2048 ? stackalloc bool[c] : new bool[c];
        var category = columns.Category;
        var department = columns.Department;
        var brand = columns.Brand;
        while (chosen.Count < count)
        {
            int pick = -1;
            float bestValue = float.NegativeInfinity;
            for (int k = 0; k < c; k++)
            {
                if (taken[k]) continue;
                int j = candidates[k].Item;
                int cj = category[j], bj = brand[j];
                if (cj != 0 && (uint)cj < (uint)names && categoryCount[cj] >= maxCategory) continue;
                if (bj != 0 && (uint)bj < (uint)names && brandCount[bj] >= maxBrand) continue;
                float relevance = Math.Max(candidates[k].Score, 0) / top;
                float value = (1 - lambda) * relevance - lambda * maxSim[k];
                if (value > bestValue)
                {
                    bestValue = value;
                    pick = k;
                }
            }
            if (pick < 0) break;
            taken[pick] = true;
            int p = candidates[pick].Item;
            chosen.Add(p);
            if ((uint)category[p] < (uint)names) categoryCount[category[p]]++;
            if ((uint)brand[p] < (uint)names) brandCount[brand[p]]++;
            for (int k = 0; k < c; k++)
            {
                if (taken[k]) continue;
                int j = candidates[k].Item;
                float sim = category[j] != 0 && category[j] == category[p] ? 1f : department[j] != 0 && department[j] == department[p] ? 0.5f : 0f;
                if (brand[j] != 0 && brand[j] == brand[p]) sim = Math.Min(1f, sim + 0.3f);
                if (sim > maxSim[k]) maxSim[k] = sim;
            }
        }
        // Soft caps: fill from the best of the rest.
        for (int k = 0; k < c && chosen.Count < count; k++)
        {
            if (!taken[k]) chosen.Add(candidates[k].Item);
        }
    }
}
