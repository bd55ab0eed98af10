using Attune.Serving.Pipeline;
using Attune.Serving.Rules;

namespace Attune.Serving.Stages;

/// <summary>
/// Business rules of the scenario's rule sets: exclude (→ −∞), boost (× 1 + weight), bury (× 1 − weight; weight 1 sends the
/// item below everything else). Verdicts over item fields are cached per item in the <see cref="RuleBook"/>.
/// </summary>
public sealed class RulesStage : IRankingStage
{
    public string Name => "rules";

    public void Apply(RankingContext c)
    {
        var blend = c.Blend;
        var items = c.State.Catalog.Columns.Items;
        var context = c.Request.Context;
        foreach (var rule in c.State.Rules.Compiled)
        {
            var r = rule.Rule;
            if (r.Action == RuleAction.Pin || !rule.AppliesTo(c.Scenario.Name, c.Request.Query) || !c.Scenario.UsesRuleSet(r.Set)) continue;
            if (r.Segment is { } segment && !c.Serving.InSegment(c.Request, segment)) continue;
            float factor = r.Action switch
            {
                RuleAction.Boost => (float)(1 + r.Weight),
                RuleAction.Bury => (float)(1 - r.Weight),
                _ => float.NegativeInfinity,
            };
            foreach (int j in c.Scope)
            {
                float b = blend[j];
                if (b == float.NegativeInfinity || items[j] is not { } item || !rule.Matches(j, item, context)) continue;
                blend[j] = r.Action == RuleAction.Exclude ? float.NegativeInfinity
                    : r.Action == RuleAction.Bury && r.Weight >= 1 ? -1f + b * 1e-3f
                    : b * factor;
            }
        }
    }
}

/// <summary>Pins: each pinned item that passes the guardrails and the request's filter goes to its position.</summary>
public sealed class PinsStage : IRankingStage
{
    public string Name => "pins";

    public void Apply(RankingContext c)
    {
        var chosen = c.Chosen;
        var blend = c.Blend;
        int n = c.ItemCount;
        foreach (var rule in c.State.Rules.Compiled)
        {
            if (!Applies(c, rule)) continue;
            var r = rule.Rule;
            int i = c.State.Catalog.IndexOf(r.ItemId!);
            // A pin obeys everything a recommendation must: guardrails, exclusions, the request's filter.
            if (i < 0 || i >= n || blend[i] == float.NegativeInfinity) continue;
            if (c.Request.Filter is { } filter && (c.State.Catalog.Columns.Items[i] is not { } item || !filter.Matches(item, c.Request.Context))) continue;
            chosen.Remove(i);
            chosen.Insert(Math.Min(r.Position!.Value - 1, chosen.Count), i);
            c.Pinned.Add(i);
        }
        if (chosen.Count > c.Count) chosen.RemoveRange(c.Count, chosen.Count - c.Count);
    }

    /// <summary>Whether <paramref name="rule"/> is a pin for this request: its scenario, query, rule set and segment.</summary>
    internal static bool Applies(RankingContext c, RuleBook.CompiledRule rule)
    {
        var r = rule.Rule;
        return r.Action == RuleAction.Pin && rule.AppliesTo(c.Scenario.Name, c.Request.Query) && c.Scenario.UsesRuleSet(r.Set)
            && (r.Segment is not { } segment || c.Serving.InSegment(c.Request, segment));
    }
}
