using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// What must never be shown (score → −∞): items not showable (deleted, hidden, blocked) or outside a restricted scenario or
/// ranking, other departments on a department row, the request's exclusions, items another row shows, the anchors (and
/// their categories for complements), what the person bought (unless repeat-buy) and items frequency-capped for them.
/// </summary>
public sealed class GuardrailsStage : IRankingStage
{
    public string Name => "guardrails";

    public void Apply(RankingContext c)
    {
        var blend = c.Blend;
        var scope = c.Scope;
        var catalog = c.State.Catalog;
        var columns = catalog.Columns;
        int n = c.ItemCount;
        var scenario = c.Scenario;
        bool restricted = c.CandidatesOnly || (scenario.RestrictTo is not null);
        var showable = columns.Showable;
        var allowed = c.Allowed;
        foreach (int j in scope)
        {
            if (!showable[j] || (restricted && !allowed[j])) blend[j] = float.NegativeInfinity;
        }
        if (c.Department is { } dept)
        {
            var departments = columns.Department;
            foreach (int j in scope) if (departments[j] != dept) blend[j] = float.NegativeInfinity;
        }
        foreach (string id in c.Request.Exclude)
        {
            int i = catalog.IndexOf(id);
            if (i >= 0 && i < n) blend[i] = float.NegativeInfinity;
        }
        if (c.AlsoExclude is { } also) foreach (int i in also) if (i < n) blend[i] = float.NegativeInfinity;
        var anchors = c.Sources.AnchorSpan;
        if (scenario.ExcludeAnchors) foreach (int i in anchors) blend[i] = float.NegativeInfinity;
        if (scenario.ExcludeAnchorCategories && anchors.Length > 0)
        {
            var anchorCategories = c.AnchorCategories;
            anchorCategories.Clear();
            var categories = columns.Category;
            foreach (int a in anchors) if (categories[a] != 0) anchorCategories.Add(categories[a]);
            foreach (int j in scope) if (anchorCategories.Contains(categories[j])) blend[j] = float.NegativeInfinity;
        }
        var person = c.Person;
        if (!person.Personalized) return;
        if (scenario.ExcludePurchased)
        {
            foreach (int i in person.Purchased)
            {
                if (i < n && !c.Serving.IsRepeatBuy(columns.Items[i])) blend[i] = float.NegativeInfinity;
            }
        }
        int cap = c.Sources.Options.FrequencyCapImpressions;
        if (cap > 0)
        {
            foreach (var (i, shown) in person.Impressions)
            {
                if (i < n && shown.Count >= cap && shown.Engaged < shown.First) blend[i] = float.NegativeInfinity;
            }
        }
    }
}
