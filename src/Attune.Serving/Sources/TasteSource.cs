using Attune.Serving.Pipeline;

namespace Attune.Serving.Sources;

/// <summary>
/// The person's stated-by-behaviour tastes, read from their history (trained and live) at each request: how much of it lies in
/// the item's category and department, how much in its brand, and how close the item's price level within its category is to
/// the level they usually choose. Score = (category share + ½ department share) × (1 + brand share) × price fit, where price
/// fit = exp(−gap² / 2·0.5²) of <c>person.priceGap</c>. Nothing for a person without history. What the search scenario
/// re-ranks relevant items by ("you often buy Acme"), beside the factor model's affinity.
/// </summary>
public sealed class TasteSource : CandidateSource
{
    private const float DepartmentWeight = 0.5f, PriceWidth = 0.5f, ExplainShare = 0.2f;

    [ThreadStatic] private static RankingFeatures? t_features;
    [ThreadStatic] private static (RecommendationRequest? Request, PersonView? Person, ServingState? State) t_loaded;

    public override string Name => "taste";

    public override string Description => "The person's tastes from their history: category and department shares, brand share, price level";

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        if (Profile(context) is not { } f) return SourceScores.None;
        var columns = context.State.Catalog.Columns;
        int n = context.ItemCount;
        for (int j = 0; j < n; j++) buffer[j] = Score(f, columns, j);
        return new SourceScores(buffer, n);
    }

    public override SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer)
    {
        if (Profile(context) is not { } f) return SourceScores.None;
        var columns = context.State.Catalog.Columns;
        int n = context.ItemCount;
        foreach (int j in items) if ((uint)j < (uint)n) buffer[j] = Score(f, columns, j);
        return new SourceScores(buffer, n);
    }

    public override string? Explain(SourceContext context, int item)
    {
        if (Profile(context) is not { } f) return null;
        var columns = context.State.Catalog.Columns;
        if (f.PersonValue(columns, -2, item) >= ExplainShare && columns.Items[item]?.Brand is { } brand) return $"You often choose {brand}";
        if (f.PersonValue(columns, -1, item) >= ExplainShare && columns.Items[item]?.Categories is [var category, ..])
            return $"You often look at {Explanations.Humanize(category)}";
        return null;
    }

    private static float Score(RankingFeatures f, Catalog.CatalogColumns columns, int j)
    {
        float category = f.PersonValue(columns, -1, j) + DepartmentWeight * f.PersonValue(columns, -4, j);
        if (category <= 0) return 0;
        float brand = f.PersonValue(columns, -2, j);
        float gap = f.PersonValue(columns, -5, j);
        return category * (1 + brand) * MathF.Exp(-gap * gap / (2 * PriceWidth * PriceWidth));
    }

    /// <summary>The request's person profile, loaded once per request on this thread (null without history).</summary>
    private static RankingFeatures? Profile(SourceContext context)
    {
        var person = context.Person;
        if (person.History.Count == 0) return null;
        var f = t_features ??= new RankingFeatures();
        var loaded = t_loaded;
        if (!ReferenceEquals(loaded.Request, context.Request) || !ReferenceEquals(loaded.Person, person) || !ReferenceEquals(loaded.State, context.State))
        {
            f.Load(context.State, person);
            t_loaded = (context.Request, person, context.State);
        }
        return f.HasHistory ? f : null;
    }
}
