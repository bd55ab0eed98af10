using Attune.Algorithms.ItemKnn;
using Attune.Serving.Models;

namespace Attune.Serving.Sources;

/// <summary>Item-to-item neighbours of the anchor items, newer anchors weighing more (the model's history decay).</summary>
public abstract class ItemKnnSource : CandidateSource
{
    /// <summary>This source's neighbour model in a bundle (null when the bundle has none).</summary>
    protected abstract ItemKnnModel? Model(ModelBundle bundle);

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        if (Model(context.State.Bundle) is not { } model) return SourceScores.None;
        foreach (int a in context.AnchorSpan)
        {
            if ((uint)a >= (uint)model.Items) continue;
            pool.AddRange(model.Neighbours(a).Items.Span);
        }
        return SourceScores.None;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        if (Model(context.State.Bundle) is not { } model || context.Anchors.Count == 0 || model.Items > context.ItemCount) return SourceScores.None;
        model.Score(-1, context.AnchorSpan, buffer.AsSpan(0, model.Items));
        return new SourceScores(buffer, model.Items);
    }

    public override SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer)
    {
        if (Model(context.State.Bundle) is not { } model || context.Anchors.Count == 0) return SourceScores.None;
        int n = context.ItemCount;
        foreach (int j in items) buffer[j] = 0;
        var anchors = context.AnchorSpan;
        float w = 1f;
        for (int h = anchors.Length - 1; h >= 0; h--, w *= model.HistoryDecay)
        {
            int a = anchors[h];
            if ((uint)a >= (uint)model.Items) continue;
            var (ids, sims) = model.Neighbours(a);
            var idSpan = ids.Span;
            var simSpan = sims.Span;
            for (int p = 0; p < idSpan.Length; p++) if (idSpan[p] < n) buffer[idSpan[p]] += w * simSpan[p];
        }
        return new SourceScores(buffer, n);
    }

    /// <summary>The anchor whose neighbour list holds <paramref name="item"/> most strongly, or -1.</summary>
    protected int BestAnchor(SourceContext context, int item)
    {
        if (Model(context.State.Bundle) is not { } model) return -1;
        int best = -1;
        float bestSim = 0;
        foreach (int a in context.AnchorSpan)
        {
            if ((uint)a >= (uint)model.Items) continue;
            var (ids, sims) = model.Neighbours(a);
            var idSpan = ids.Span;
            for (int p = 0; p < idSpan.Length; p++)
            {
                if (idSpan[p] != item) continue;
                if (sims.Span[p] >= bestSim) { bestSim = sims.Span[p]; best = a; }
                break;
            }
        }
        return best;
    }
}

/// <summary>Item-kNN over views and clicks from the anchor items ("people who viewed this also viewed").</summary>
public sealed class ViewedTogetherSource : ItemKnnSource
{
    public override string Name => "viewed";
    public override string Description => "Item-kNN over views and clicks, from the scenario's anchor items";
    protected override ItemKnnModel? Model(ModelBundle bundle) => bundle.ViewedTogether;

    public override string? Explain(SourceContext context, int item)
    {
        int anchor = BestAnchor(context, item);
        if (anchor < 0) return null;
        string title = Explanations.Title(context.State, anchor);
        return context.Scenario.Name is "similar" ? $"People who viewed {title} also viewed this" : $"Because you viewed {title}";
    }
}

/// <summary>Item-kNN over carts and purchases from the anchor items ("frequently bought together").</summary>
public sealed class BoughtTogetherSource : ItemKnnSource
{
    public override string Name => "bought";
    public override string Description => "Item-kNN over carts and purchases (frequently bought together), from the anchor items";
    protected override ItemKnnModel? Model(ModelBundle bundle) => bundle.BoughtTogether;

    public override string? Explain(SourceContext context, int item)
    {
        int anchor = BestAnchor(context, item);
        return anchor < 0 ? null : $"Frequently bought with {Explanations.Title(context.State, anchor)}";
    }
}
