using Attune.Algorithms;

namespace Attune.Tests.Evaluation;

/// <summary>Scores item i with <c>scores[i]</c> for everyone: a known ranking to check the runner against.</summary>
internal sealed class FixedScoresModel(float[] scores) : IRecommender
{
    public string Name => "fixed";
    public int Items => scores.Length;
    public void Score(int user, ReadOnlySpan<int> history, Span<float> output) => scores.CopyTo(output);
    public void Save(BinaryWriter writer) => throw new NotSupportedException();
}
