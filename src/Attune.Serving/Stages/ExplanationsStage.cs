using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// Plain-language reasons for each chosen item, from the two sources that contributed most to its score (each source
/// explains itself, see <see cref="Sources.ICandidateSource.Explain"/>; the second when it gave at least half as much as the
/// first, or a twentieth in a restricted scenario such as search, where the first is the match). Someone who opted out of personalization is told so;
/// an item no source spoke for is "Popular in its category". An item a pin placed says only that it is promoted; one a boost
/// raised says so first.
/// </summary>
public sealed class ExplanationsStage : IRankingStage
{
    public string Name => "explanations";

    public void Apply(RankingContext c)
    {
        c.Reasons.Clear();
        c.ReasonItems.Clear();
        if (!c.Request.Explain) return;
        var person = c.Person;
        bool optedOut = !person.Personalized && person.Id is not null && c.Serving.IsOptedOut(person.Id);
        // In a restricted scenario (search, new arrivals) the first source is a given (the match): what else raised the item
        // is worth saying even when it weighed much less.
        float secondShare = c.Scenario.RestrictTo is null ? 0.5f : 0.05f;
        foreach (int item in c.Chosen)
        {
            // A pinned item is there because a merchant put it there: saying "picked for you" would be untrue.
            if (c.Pinned.Contains(item))
            {
                c.Reasons.Add([Explanations.Pinned]);
                c.ReasonItems.Add([]);
                continue;
            }
            var (first, second) = c.TopSources(item, secondShare);
            Explanations.BeginNaming();
            string? a = Reason(c, first, item);
            string? b = second != first ? Reason(c, second, item) : null;
            c.ReasonItems.Add(Explanations.EndNaming(c.State));
            string[] reasons = optedOut ? [a ?? "Popular right now", "Not personalized: you turned personalization off"]
                : a is null ? [Explanations.PopularIn(c.State, item)]
                : b is null || b == a ? [a] : [a, b];
            c.Reasons.Add(IsBoosted(c, item) ? [Explanations.Boosted, .. reasons] : reasons);
        }
    }

    /// <summary>Whether a boost rule of the scenario raised the item (judged for the few chosen items, not the whole scope).</summary>
    private static bool IsBoosted(RankingContext c, int item)
    {
        if (c.State.Catalog.Columns.Items[item] is not { } it) return false;
        foreach (var rule in c.State.Rules.Compiled)
        {
            var r = rule.Rule;
            if (r.Action == Rules.RuleAction.Boost && rule.AppliesTo(c.Scenario.Name, c.Request.Query) && c.Scenario.UsesRuleSet(r.Set)
                && (r.Segment is null || c.Serving.InSegment(c.Request, r.Segment)) && rule.Matches(item, it, c.Request.Context))
                return true;
        }
        return false;
    }

    private static string? Reason(RankingContext c, byte source, int item) =>
        source == RankingContext.NoSource || source >= c.Registry.Count ? null : c.Registry[source].Explain(c.Sources, item);
}
