using System.Runtime.InteropServices;

namespace Attune.Serving.Sources;

/// <summary>The sequence/session model from the person's most recent items: what people take next.</summary>
public sealed class SequenceSource : CandidateSource
{
    /// <summary>Most recent history items the model reads (it looks at fewer itself).</summary>
    private const int History = 20;

    public override string Name => "sequence";
    public override string Description => "The sequence/session model from the person's most recent items: what people take next";

    /// <summary>The model scores the whole catalog anyway: its best join the pool, and its scores are reused.</summary>
    public override SourceScores AddCandidates(SourceContext context, CandidatePool pool, float[] buffer)
    {
        var scores = ScoreAll(context, buffer);
        pool.AddBest(scores, context.Pool.Sequence);
        return scores;
    }

    public override SourceScores ScoreAll(SourceContext context, float[] buffer)
    {
        // The sequence model follows the current session: what happened since the model was trained. A returning person's
        // older history is the matrix factorization's job (and costs this model's neighbour search for nothing).
        var person = context.Person;
        if (context.State.Bundle.Sequence is not { } seq || !person.Personalized || !person.HasLive || seq.Items > context.ItemCount)
            return SourceScores.None;
        var history = CollectionsMarshal.AsSpan(person.History);
        if (history.Length > History) history = history[^History..];
        seq.Score(person.BundleUser, history, buffer.AsSpan(0, seq.Items));
        return SourceScores.Clipped(buffer, seq.Items);
    }

    public override string? Explain(SourceContext context, int item) =>
        context.Person.Recent.Count > 0 ? $"Often viewed next after {Explanations.Title(context.State, context.Person.Recent[0])}" : null;
}
