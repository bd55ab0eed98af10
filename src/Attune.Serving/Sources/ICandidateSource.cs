namespace Attune.Serving.Sources;

/// <summary>
/// A candidate source: one model or signal that scores items for a request (matrix factorization, item-to-item neighbours,
/// the session model, content similarity, popularity, trending, new arrivals, the cart, and any registered later). Recipes
/// name sources and weigh them; the pipeline scales each source's scores to a maximum of 1 and blends them.
/// </summary>
/// <remarks>
/// Scores must be ≥ 0 (0 = nothing to say about the item). A source scores either the whole catalog
/// (<see cref="ScoreAll"/>, catalogs up to <see cref="ServingOptions.DenseCatalogLimit"/> items) or only the items of a
/// candidate pool (<see cref="ScoreItems"/>, larger catalogs), into the buffer the pipeline lends it, or returns an array
/// it shares with every request (popularity: never written by the pipeline). Sources are singletons shared by all threads:
/// per-request state lives in the <see cref="SourceContext"/> and the buffer, never in the source.
/// Adding a source is one class and one <see cref="SourceRegistry.Add"/>: the pipeline, recipes, validation and
/// explanations find it by name.
/// </remarks>
public interface ICandidateSource
{
    /// <summary>The name recipes and configuration use (<c>als</c>, <c>viewed</c>…): lower case, unique.</summary>
    string Name { get; }

    /// <summary>One line for <c>GET /v1/recipes</c> and the docs.</summary>
    string Description { get; }

    /// <summary>
    /// Adds the items this source could rank high to a large catalog's candidate pool. A source that has to score the whole
    /// catalog to know them (the session model) may do so into <paramref name="buffer"/> and return those scores: the pipeline
    /// then uses them instead of calling <see cref="ScoreItems"/>.
    /// </summary>
    SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer);

    /// <summary>Scores every item below <see cref="SourceContext.ItemCount"/> (entries past the returned length count as 0).</summary>
    SourceScores ScoreAll(SourceContext context, float[] buffer);

    /// <summary>Scores <paramref name="items"/> only: entries of the buffer elsewhere are stale and never read.</summary>
    SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer);

    /// <summary>Why <paramref name="item"/> is shown, when this source contributed most to it; null when it has nothing to say.</summary>
    string? Explain(SourceContext context, int item);
}

/// <summary>
/// Base of most sources: no pool contribution, item scores taken from the dense scores, no reason. Override what differs.
/// </summary>
public abstract class CandidateSource : ICandidateSource
{
    public abstract string Name { get; }
    public abstract string Description { get; }

    public virtual SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer) => SourceScores.None;

    public abstract SourceScores ScoreAll(SourceContext context, float[] buffer);

    /// <summary>By default the whole catalog is scored (right for sources that read a shared precomputed array).</summary>
    public virtual SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer) => ScoreAll(context, buffer);

    public virtual string? Explain(SourceContext context, int item) => null;

    public override string ToString() => Name;
}

/// <summary>
/// What a source scored: <see cref="Values"/> (the lent buffer, or an array shared by every request: read only) covering the
/// first <see cref="Length"/> items. <see cref="None"/> when the source has nothing to say for this request.
/// </summary>
public readonly record struct SourceScores(float[]? Values, int Length)
{
    public static SourceScores None => default;

    public bool IsEmpty => Values is null || Length <= 0;

    /// <summary>Scores in <paramref name="buffer"/> with negatives clipped to 0 (factor and session models can go below).</summary>
    public static SourceScores Clipped(float[] buffer, int length)
    {
        System.Numerics.Tensors.TensorPrimitives.Max(buffer.AsSpan(0, length), 0f, buffer.AsSpan(0, length));
        return new SourceScores(buffer, length);
    }
}
