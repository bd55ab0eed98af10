namespace Attune.Serving.Sources;

/// <summary>Content similarity (text, categories, brand, tags) to the anchor items; covers items nobody touched yet.</summary>
public sealed class ContentSource : CandidateSource
{
    /// <summary>Newest anchors the content profile is built from (the model decays older ones; more only costs time).</summary>
    private const int Anchors = 5;

    public override string Name => "content";
    public override string Description => "Content similarity (text, categories, brand, tags) to the anchor items; covers items nobody touched yet";

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        int n = context.ItemCount;
        if (context.Anchors.Count <= 3 && context.State.Content is { } content && content.Items <= n)
        {
            // A product page or a small cart: its most similar items by content join the pool (only the items sharing a
            // token with it are looked at).
            int k = context.Pool.Content;
            Span<int> top = k <= 1024 ? stackalloc int[k] : new int[k];
            int found = content.MostSimilar(context.AnchorSpan, k, top, Math.Max(2_000, n / 50));
            pool.AddRange(top[..found]);
        }
        PopularitySource.AddPopular(context, pool);
        AddItemsSinceTraining(context, pool);
        return SourceScores.None;
    }

    /// <summary>Items created after the model was trained, newest first: only content (and freshness) know them yet.</summary>
    internal static void AddItemsSinceTraining(SourceContext context, CandidatePool pool)
    {
        int n = context.ItemCount;
        for (int j = n - 1, added = 0; j >= context.State.Catalog.BundleItems && added < context.Pool.NewItems; j--, added++) pool.Add(j);
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        var content = context.State.Content;
        if (content is null || context.Anchors.Count == 0 || content.Items > context.ItemCount) return SourceScores.None;
        content.Score(-1, Newest(context), buffer.AsSpan(0, content.Items));
        return new SourceScores(buffer, content.Items);
    }

    public override SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer)
    {
        var content = context.State.Content;
        if (content is null || context.Anchors.Count == 0) return SourceScores.None;
        foreach (int j in items) buffer[j] = 0;
        content.ScoreItems(Newest(context), items, buffer);
        return new SourceScores(buffer, context.ItemCount);
    }

    private static ReadOnlySpan<int> Newest(SourceContext context)
    {
        var anchors = context.AnchorSpan;
        return anchors.Length > Anchors ? anchors[^Anchors..] : anchors;
    }

    public override string? Explain(SourceContext context, int item)
    {
        int anchor = SameCategoryAnchor(context, item);
        return anchor < 0 ? null : $"Similar to {Explanations.Title(context.State, anchor)}";
    }

    /// <summary>The newest anchor of the item's category, else of its department, else the newest anchor.</summary>
    private static int SameCategoryAnchor(SourceContext context, int item)
    {
        var columns = context.State.Catalog.Columns;
        var anchors = context.Anchors;
        int sameDepartment = -1;
        for (int k = anchors.Count - 1; k >= 0; k--)
        {
            int a = anchors[k];
            if (columns.Category[a] == columns.Category[item] && columns.Category[a] != 0) return a;
            if (sameDepartment < 0 && columns.Department[a] == columns.Department[item] && columns.Department[a] != 0) sameDepartment = a;
        }
        return sameDepartment >= 0 ? sameDepartment : anchors.Count > 0 ? anchors[^1] : -1;
    }
}
