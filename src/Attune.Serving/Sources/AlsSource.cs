using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Attune.Serving.Sources;

/// <summary>Matrix factorization (iALS) from the person's whole history: their stored vector, or one folded in with live events.</summary>
public sealed class AlsSource : CandidateSource
{
    public override string Name => "als";
    public override string Description => "Matrix factorization (iALS) from the person's whole history, folded in with their live events";

    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        PopularitySource.AddPopular(context, pool);
        return SourceScores.None;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        var person = context.Person;
        if (context.State.Bundle.Als is not { } als || !person.Personalized || person.History.Count == 0 || als.Items > context.ItemCount)
            return SourceScores.None;
        bool stored = person.BundleUser >= 0 && !person.HasLive && person.BundleUser < als.Users;
        als.Score(stored ? person.BundleUser : -1, CollectionsMarshal.AsSpan(person.History), buffer.AsSpan(0, als.Items));
        return SourceScores.Clipped(buffer, als.Items);
    }

    public override SourceScores ScoreItems(SourceContext context, ReadOnlySpan<int> items, float[] buffer)
    {
        var person = context.Person;
        if (context.State.Bundle.Als is not { } als || !person.Personalized || person.History.Count == 0 || als.Items > context.ItemCount)
            return SourceScores.None;
        Span<float> user = stackalloc float[als.Rank];
        bool stored = person.BundleUser >= 0 && !person.HasLive && person.BundleUser < als.Users;
        if (stored) als.UserVector(person.BundleUser).CopyTo(user);
        else als.InferUserVector(CollectionsMarshal.AsSpan(person.History), user);
        foreach (int j in items) buffer[j] = j < als.Items ? Math.Max(0f, TensorPrimitives.Dot(user, als.ItemVector(j))) : 0f;
        return new SourceScores(buffer, context.ItemCount);
    }

    public override string? Explain(SourceContext context, int item)
    {
        int anchor = ClosestInFactors(context.State, context.Person.Recent, item);
        return anchor < 0 ? "Picked for you from your activity" : $"Based on your interest in {Explanations.Title(context.State, anchor)}";
    }

    /// <summary>The recent item closest to <paramref name="item"/> by cosine of factor vectors (at least 0.2), or -1.</summary>
    private static int ClosestInFactors(ServingState state, IReadOnlyList<int> recent, int item)
    {
        if (state.Bundle.Als is not { } als || item >= als.Items) return -1;
        var target = als.ItemVector(item);
        var norms = state.ItemNorms;
        float targetNorm = norms[item];
        int best = -1;
        float bestCos = 0.2f; // below this the link is too weak to name
        foreach (int h in recent)
        {
            if (h >= als.Items || h == item) continue;
            float cos = TensorPrimitives.Dot(als.ItemVector(h), target) / (norms[h] * targetNorm + 1e-9f);
            if (cos > bestCos) { bestCos = cos; best = h; }
        }
        return best;
    }
}
