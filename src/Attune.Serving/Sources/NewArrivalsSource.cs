namespace Attune.Serving.Sources;

/// <summary>Recently published items: 1 when just published, halving every quarter of <see cref="ServingOptions.NewArrivalDays"/>.</summary>
public sealed class NewArrivalsSource : CandidateSource
{
    public override string Name => "new";
    public override string Description => "Recently published items, newest first";

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        var published = context.State.Catalog.Columns.PublishedMs;
        long window = (long)(context.Options.NewArrivalDays * 86_400_000);
        foreach (int j in context.State.Newest(context.Pool.Newest))
        {
            if (context.NowMs - published[j] > window) break; // newest first: the rest are older still
            pool.Add(j);
        }
        ContentSource.AddItemsSinceTraining(context, pool);
        return SourceScores.None;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        var published = context.State.Catalog.Columns.PublishedMs;
        double window = context.Options.NewArrivalDays * 86_400_000;
        int n = context.ItemCount;
        for (int j = 0; j < n; j++) buffer[j] = Freshness(published[j], context.NowMs, window);
        return new SourceScores(buffer, n);
    }

    public override SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer)
    {
        var published = context.State.Catalog.Columns.PublishedMs;
        double window = context.Options.NewArrivalDays * 86_400_000;
        foreach (int j in items) buffer[j] = Freshness(published[j], context.NowMs, window);
        return new SourceScores(buffer, context.ItemCount);
    }

    public override string? Explain(SourceContext context, int item)
    {
        int brand = context.State.Catalog.Columns.Brand[item];
        return brand != 0 && context.Person.Brands.Contains(brand) ? "New in a brand you like" : "New arrival";
    }

    /// <summary>New-arrival score: 1 when just published, halving every quarter of the window, 0 outside it or unknown.</summary>
    internal static float Freshness(long publishedMs, long nowMs, double windowMs)
    {
        long age = nowMs - publishedMs;
        return publishedMs > 0 && age >= -86_400_000 && age <= windowMs ? (float)Math.Pow(0.5, Math.Max(age, 0) / (windowMs / 4)) : 0f;
    }
}

/// <summary>The person's open cart (added, neither bought nor removed), the latest added highest.</summary>
public sealed class CartSource : CandidateSource
{
    public override string Name => "cart";
    public override string Description => "The person's open cart (added, neither bought nor removed)";

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        foreach (int j in context.Person.Cart) pool.Add(j);
        return SourceScores.None;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        if (!context.Person.Personalized || context.Person.Cart.Count == 0) return SourceScores.None;
        buffer.AsSpan(0, context.ItemCount).Clear();
        return Fill(context, buffer);
    }

    public override SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer)
    {
        if (!context.Person.Personalized || context.Person.Cart.Count == 0) return SourceScores.None;
        foreach (int j in items) buffer[j] = 0;
        return Fill(context, buffer);
    }

    private static SourceScores Fill(SourceContext context, float[] buffer)
    {
        var cart = context.Person.Cart;
        int n = context.ItemCount;
        for (int k = 0; k < cart.Count; k++) if (cart[k] < n) buffer[cart[k]] = 1f + 0.01f * k;
        return new SourceScores(buffer, n);
    }

    public override string? Explain(SourceContext context, int item) => "Still in your cart";
}
