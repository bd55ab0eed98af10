namespace Attune.Serving.Sources;

/// <summary>Decayed popularity, averaged with popularity in the request's context (device, country, part of day).</summary>
public sealed class PopularitySource : CandidateSource
{
    public override string Name => "popularity";
    public override string Description => "Decayed popularity, mixed with popularity in the request's context (device, country, part of day)";

    /// <summary>
    /// The most popular items in the request's context join the pool: the recipe's <see cref="PoolSizes.Popular"/>, or
    /// <see cref="PoolSizes.PopularForItems"/> on an item page or cart (answered mostly by its neighbours).
    /// </summary>
    public static void AddPopular(SourceContext context, CandidatePool pool)
    {
        var request = context.Request;
        int k = context.AnchoredOnRequest ? context.Pool.PopularForItems : context.Pool.Popular;
        pool.AddRange(context.State.PopularTop(request.Device, request.Country, request.LocalHour, k));
    }

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        AddPopular(context, pool);
        return SourceScores.None;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        var request = context.Request;
        var popularity = context.State.PopularityFor(request.Device, request.Country, request.LocalHour);
        return new SourceScores(popularity, Math.Min(popularity.Length, context.ItemCount));
    }

    public override string? Explain(SourceContext context, int item) => Explanations.PopularIn(context.State, item);
}

/// <summary>Items rising above their usual rate, updated online with every event.</summary>
public sealed class TrendingSource : CandidateSource
{
    public override string Name => "trending";
    public override string Description => "Items rising above their usual rate, updated online";

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        pool.AddRange(context.State.Trending.Top(context.Pool.Trending));
        return SourceScores.None;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        var trending = context.State.Trending.Positive;
        return new SourceScores(trending, Math.Min(trending.Length, context.ItemCount));
    }

    public override string? Explain(SourceContext context, int item) => "Trending now";
}
