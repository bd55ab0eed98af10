using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Attune.Serving.Sources;

/// <summary>
/// The neural next-item model (SASRec) from the person's latest items, stored and live alike: it reads the order of a whole
/// recent history, where the sequence model follows the current session. Silent unless the bundle has one
/// (<c>Attune:Models:SasRec</c>) and a recipe weighs it.
/// </summary>
public sealed class SasRecSource : CandidateSource
{
    public override string Name => "sasrec";
    public override string Description => "The neural next-item model (SASRec) from the person's latest items, when trained";

    /// <summary>The model scores the whole catalog anyway: its best join the pool, and its scores are reused.</summary>
    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        var scores = ScoreAll(context, buffer);
        pool.AddBest(scores, context.Pool.Sequence);
        return scores;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        var person = context.Person;
        if (context.State.Bundle.SasRec is not { } model || !person.Personalized || person.History.Count == 0 || model.Items > context.ItemCount)
            return SourceScores.None;
        var scores = buffer.AsSpan(0, model.Items);
        model.Score(person.BundleUser, CollectionsMarshal.AsSpan(person.History), scores);
        // Logits to relative probabilities (the best item 1): comparable with the other sources' scores in a blend.
        TensorPrimitives.Subtract(scores, TensorPrimitives.Max(scores), scores);
        TensorPrimitives.Exp(scores, scores);
        return new SourceScores(buffer, model.Items);
    }

    public override string? Explain(SourceContext context, int item) =>
        context.Person.Recent.Count > 0 ? $"Often next after a history like yours (latest: {Explanations.Title(context.State, context.Person.Recent[0])})" : null;
}
